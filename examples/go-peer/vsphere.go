package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// faultName is the vSphere fault's type name (FileNotFound, NoPermission,
// ...) if err carries one, else "".
func faultName(err error) string {
	var f interface{ Fault() types.BaseMethodFault }
	if err == nil || !errors.As(err, &f) || f.Fault() == nil {
		return ""
	}
	return reflect.Indirect(reflect.ValueOf(f.Fault())).Type().Name()
}

// Session is a logged-in vSphere client that logs in again, once per call,
// when vSphere answers NotAuthenticated (an expired or terminated session).
type Session struct {
	vim  *vim25.Client
	mgr  *session.Manager
	user *url.Userinfo
	dss  map[string]*Datastore
}

type Datastore struct {
	Name    string
	DC      *object.Datacenter
	Browser *object.HostDatastoreBrowser
}

func connect(ctx context.Context, rawURL string, insecure bool) (*Session, error) {
	u, err := soap.ParseURL(rawURL)
	if err != nil || u.User == nil {
		return nil, invalidArgument("%q is not an https://user:pass@host:port/sdk URL", rawURL)
	}
	sc := soap.NewClient(u, insecure)
	if actor != "" { // a seeded contention run: name ourselves on every request
		sc.Client.Transport = actorTransport{sc.Client.Transport}
	}
	vc, err := vim25.NewClient(ctx, sc) // reads the service content
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", u.Host, err)
	}
	s := &Session{vim: vc, mgr: session.NewManager(vc), user: u.User}
	if err := s.mgr.Login(ctx, u.User); err != nil {
		return nil, fmt.Errorf("logging in to %s: %w", u.Host, err)
	}
	return s, nil
}

func (s *Session) Close(ctx context.Context) { _ = s.mgr.Logout(ctx) }

// call runs fn, logging in again and retrying once on NotAuthenticated.
func (s *Session) call(ctx context.Context, fn func() error) error {
	err := fn()
	if faultName(err) == "NotAuthenticated" {
		log.Printf("session not authenticated; logging in again")
		if lerr := s.mgr.Login(ctx, s.user); lerr != nil {
			return lerr
		}
		err = fn()
	}
	return err
}

// runTask starts a task and polls its info until it ends: its result, or
// its fault as an error.
func (s *Session) runTask(ctx context.Context, start func() (*object.Task, error)) (types.AnyType, error) {
	var task *object.Task
	if err := s.call(ctx, func() (err error) { task, err = start(); return }); err != nil {
		return nil, err
	}
	pc := property.DefaultCollector(s.vim)
	delay := 5 * time.Millisecond
	for waited := time.Duration(0); waited < 5*time.Minute; waited += delay {
		var t mo.Task
		err := s.call(ctx, func() error { return pc.RetrieveOne(ctx, task.Reference(), []string{"info"}, &t) })
		if err != nil {
			return nil, fmt.Errorf("reading the task's state: %w", err)
		}
		switch t.Info.State {
		case types.TaskInfoStateSuccess:
			return t.Info.Result, nil
		case types.TaskInfoStateError:
			if t.Info.Error == nil {
				return nil, errors.New("task failed without a fault")
			}
			return nil, soap.WrapVimFault(t.Info.Error.Fault)
		}
		sleep(delay)
		delay = min(delay*2, 500*time.Millisecond)
	}
	return nil, errors.New("task not finished after 5 minutes")
}

// datastore looks a datastore up by name, reading the inventory again once
// when the name is unknown.
func (s *Session) datastore(ctx context.Context, name string) (*Datastore, error) {
	if ds, ok := s.dss[name]; ok {
		return ds, nil
	}
	found := map[string]*Datastore{}
	err := s.call(ctx, func() error {
		finder := find.NewFinder(s.vim, false)
		dcs, err := finder.DatacenterList(ctx, "*")
		if err != nil {
			return err
		}
		for _, dc := range dcs {
			finder.SetDatacenter(dc)
			list, err := finder.DatastoreList(ctx, "*")
			if _, none := err.(*find.NotFoundError); none {
				continue
			} else if err != nil {
				return err
			}
			for _, ds := range list {
				browser, err := ds.Browser(ctx)
				if err != nil {
					return err
				}
				found[ds.Name()] = &Datastore{Name: ds.Name(), DC: dc, Browser: browser}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.dss = found
	if ds, ok := found[name]; ok {
		return ds, nil
	}
	known := make([]string, 0, len(found))
	for n := range found {
		known = append(known, n)
	}
	sort.Strings(known)
	return nil, &opError{"not_found", fmt.Sprintf("DatastoreNotFound: no datastore %q (known: %s)",
		name, strings.Join(known, ", "))}
}

func foldersOnly(pattern string) *types.HostDatastoreBrowserSearchSpec {
	// matchPattern is always explicit: an empty one matches nothing on the simulator.
	return &types.HostDatastoreBrowserSearchSpec{
		Query:        []types.BaseFileQuery{&types.FolderFileQuery{}},
		MatchPattern: []string{pattern},
	}
}

// tree lists every folder under root, recursively, in one call: folder path
// relative to root ("" for root) -> names of its subfolders.
func (s *Session) tree(ctx context.Context, ds *Datastore, root string) (map[string][]string, error) {
	res, err := s.runTask(ctx, func() (*object.Task, error) {
		return ds.Browser.SearchDatastoreSubFolders(ctx, root, foldersOnly("*"))
	})
	if err != nil {
		return nil, err
	}
	tree := map[string][]string{}
	results, _ := res.(types.ArrayOfHostDatastoreBrowserSearchResults)
	for _, r := range results.HostDatastoreBrowserSearchResults {
		folder := strings.TrimRight(r.FolderPath, "/")
		rel, ok := strings.CutPrefix(folder, root)
		if !ok || (rel != "" && rel[0] != '/') {
			continue
		}
		var names []string
		for _, f := range r.File {
			names = append(names, f.GetFileInfo().Path)
		}
		tree[strings.TrimPrefix(rel, "/")] = names
	}
	return tree, nil
}

// subfolders lists the folders directly in folder (one call).
func (s *Session) subfolders(ctx context.Context, ds *Datastore, folder string) ([]string, error) {
	res, err := s.runTask(ctx, func() (*object.Task, error) {
		return ds.Browser.SearchDatastore(ctx, folder, foldersOnly("*"))
	})
	if err != nil {
		return nil, err
	}
	var names []string
	if r, ok := res.(types.HostDatastoreBrowserSearchResults); ok {
		for _, f := range r.File {
			names = append(names, f.GetFileInfo().Path)
		}
	}
	return names, nil
}

// mkdir creates folder; its parent must exist (a vanished image folder is
// never re-created for a mark).
func (s *Session) mkdir(ctx context.Context, ds *Datastore, folder string) error {
	fm := object.NewFileManager(s.vim)
	return s.call(ctx, func() error { return fm.MakeDirectory(ctx, folder, ds.DC, false) })
}

// remove deletes a file or a folder with everything in it.
func (s *Session) remove(ctx context.Context, ds *Datastore, path string) error {
	fm := object.NewFileManager(s.vim)
	_, err := s.runTask(ctx, func() (*object.Task, error) { return fm.DeleteDatastoreFile(ctx, path, ds.DC) })
	return err
}
