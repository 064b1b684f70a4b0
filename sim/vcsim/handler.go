package main

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// pending hands a fault decided by the HTTP middleware to the simulator
// code that runs the same call; the middleware tags the call's SOAP header
// with the token (operationID).
type pending struct {
	mu   sync.Mutex
	next atomic.Int64
	byID map[string]*decision
}

func newPending() *pending { return &pending{byID: map[string]*decision{}} }

func (p *pending) put(d *decision) string {
	token := "ich-fault-" + strconv.FormatInt(p.next.Add(1), 10)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.byID[token] = d
	return token
}

func (p *pending) get(token string) *decision {
	if !strings.HasPrefix(token, "ich-fault-") {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byID[token]
}

func (p *pending) take(token string) *decision {
	d := p.get(token)
	if d != nil {
		p.mu.Lock()
		delete(p.byID, token)
		p.mu.Unlock()
	}
	return d
}

// taskMethods are the _Task methods whose injected faults arrive in the
// task, as on vCenter (see objects.go); other methods, and rules with
// sync, fail the call itself.
var taskMethods = map[string]bool{
	"DeleteDatastoreFile_Task": true, "SearchDatastore_Task": true,
	"SearchDatastoreSubFolders_Task": true, "CopyDatastoreFile_Task": true,
	"MoveDatastoreFile_Task": true,
}

// registryHandler is the simulator's Registry.Handler, called before every
// method: it refuses unknown or wrong-typed reference arguments
// (references.go), fails calls synchronously, mends search specs, and hands
// the file objects' calls to their wrappers (objects.go).
func (h *harness) registryHandler(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
	if fault := checkReferences(ctx, m); fault != nil {
		h.pending.take(ctx.Header.ID) // the call does not run: nor does a fault for it
		return nil, fault
	}
	if d := h.pending.get(ctx.Header.ID); d != nil && (d.rule.Sync || !taskMethods[m.Name]) {
		return nil, h.pending.take(ctx.Header.ID).fault
	}
	if h.fidelity == fidelityVCenter {
		switch req := m.Body.(type) {
		case *types.SearchDatastore_Task:
			req.SearchSpec = matchAll(req.SearchSpec)
		case *types.SearchDatastoreSubFolders_Task:
			req.SearchSpec = matchAll(req.SearchSpec)
		}
	}
	hook := h.hooks[m.This]
	if hook != nil && ctx.Session != nil && ctx.Session.Registry.Get(m.This) == nil {
		// A session looks in its own registry before the global one, and
		// would otherwise take the simulator's object over the wrapper.
		ctx.Session.Registry.Put(hook)
	}
	return hook, nil
}

// failTask starts a task for the SOAP method on the datastore of path that
// ends in fault, with the info vCenter gives (entity, method name).
func failTask(ctx *simulator.Context, method, path string, fault types.BaseMethodFault) types.ManagedObjectReference {
	// CreateTask turns "FooTask" into the task name "Foo_Task".
	name := strings.TrimSuffix(method, "_Task") + "Task"
	task := simulator.CreateTask(taskEntity(ctx, datastoreName(path)), name,
		func(*simulator.Task) (types.AnyType, types.BaseMethodFault) { return nil, fault })
	return task.Run(ctx)
}

// taskEntity is the datastore called name, else the first datacenter: a
// task's entity must be a ManagedEntity for clients such as pyvmomi.
func taskEntity(ctx *simulator.Context, name string) mo.Reference {
	for _, e := range ctx.Map.All("Datastore") {
		if e.Entity().Name == name {
			return e
		}
	}
	return ctx.Map.All("Datacenter")[0]
}
