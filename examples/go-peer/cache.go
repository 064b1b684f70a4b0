package main

import (
	"context"
	"fmt"
	"log"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

const markPrefix = "ts-"

// A mark is exactly ts-YYYY-MM-DD-HH-MM-SS (UTC, zero-padded, a real date).
var markPattern = regexp.MustCompile(`^ts-(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})$`)

const markLayout = "2006-01-02-15-04-05"

func markName(now time.Time) string { return markPrefix + now.UTC().Format(markLayout) }

// parseMark is the time of a well-formed mark; ok is false for anything else.
func parseMark(name string) (time.Time, bool) {
	m := markPattern.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse(markLayout, m[1]) // rejects month 13, Feb 30, ...
	return t, err == nil
}

// imageFolder is what one listing says of an image folder.
type imageFolder struct {
	marks  []string // every ts- folder, well-formed or not: what enlist removes
	newest *time.Time
}

func readFolder(subfolders []string) imageFolder {
	var f imageFolder
	for _, name := range subfolders {
		if !strings.HasPrefix(name, markPrefix) {
			continue
		}
		f.marks = append(f.marks, name)
		if t, ok := parseMark(name); ok && (f.newest == nil || t.After(*f.newest)) {
			f.newest = &t
		} else if !ok {
			log.Printf("malformed mark %q ignored", name)
		}
	}
	return f
}

// Cache is one node's image cache manager.
type Cache struct {
	sess     *Session
	base     string // relative to each datastore's root
	lockPath string
	age      time.Duration
}

func newCache(sess *Session, base, lockPath string, ageSeconds int64) (*Cache, error) {
	parts := strings.Split(base, "/")
	if base == "" || strings.HasPrefix(base, "/") || contains(parts, "", ".", "..") {
		return nil, invalidArgument("base folder %q must be a relative path without '..'", base)
	}
	if lockPath == "" || ageSeconds < 0 {
		return nil, invalidArgument("lock_path is required and age_seconds must be >= 0")
	}
	return &Cache{sess, path.Clean(base), lockPath, time.Duration(ageSeconds) * time.Second}, nil
}

func contains(list []string, values ...string) bool {
	for _, v := range values {
		for _, l := range list {
			if l == v {
				return true
			}
		}
	}
	return false
}

func validateImageID(id string) error {
	if id == "" {
		return invalidArgument("image id must be a non-empty string")
	}
	if strings.ContainsAny(id, `/\`) || strings.Contains(id, "..") {
		return invalidArgument(`image id %q must not contain '/', '\' or '..'`, id)
	}
	for _, r := range id {
		if r < 32 || r == 127 {
			return invalidArgument("image id %q contains a control character", id)
		}
	}
	return nil
}

func (c *Cache) basePath(ds string) string { return fmt.Sprintf("[%s] %s", ds, c.base) }

// Folder is the image's cache folder on a datastore: [ds] <base>/<image>.
func (c *Cache) Folder(ds, image string) (string, error) {
	if err := validateImageID(image); err != nil {
		return "", err
	}
	return c.basePath(ds) + "/" + image, nil
}

// Enlist protects an image a spawn is about to use: under the image's lock,
// remove every ts- folder in it. An image that is not cached is no error.
func (c *Cache) Enlist(ctx context.Context, dsName, image string) error {
	imgPath, err := c.Folder(dsName, image)
	if err != nil {
		return err
	}
	ds, err := c.sess.datastore(ctx, dsName)
	if err != nil {
		return err
	}
	return withLock(c.lockPath, imgPath, func() error {
		names, err := c.sess.subfolders(ctx, ds, imgPath)
		if faultName(err) == "FileNotFound" {
			return nil // not cached: the spawn fetches it
		} else if err != nil {
			return err
		}
		return c.removeMarks(ctx, ds, imgPath, readFolder(names).marks)
	})
}

func (c *Cache) removeMarks(ctx context.Context, ds *Datastore, imgPath string, marks []string) error {
	for _, name := range marks {
		if err := c.sess.remove(ctx, ds, imgPath+"/"+name); err != nil && faultName(err) != "FileNotFound" {
			return fmt.Errorf("removing mark %s/%s: %w", imgPath, name, err)
		}
	}
	return nil
}

type summary struct{ marked, deleted, cleared, skipped, faults int }

func (s *summary) skip(err error) {
	s.skipped++
	if err != nil {
		s.faults++
	}
}

// Age is one aging pass over the named datastores. A fault on one image or
// one datastore's listing is logged and counted; the pass goes on.
func (c *Cache) Age(ctx context.Context, instances []instance, dsNames []string, clock func() time.Time) (string, error) {
	used := map[string]bool{}
	for _, in := range instances {
		for _, ref := range []*string{in.ImageRef, in.KernelID, in.RamdiskID} {
			if ref != nil {
				used[*ref] = true // '' counts, as in Nova
			}
		}
	}
	var targets []*Datastore
	for _, name := range dsNames {
		ds, err := c.sess.datastore(ctx, name)
		if err != nil {
			return "", err
		}
		targets = append(targets, ds)
	}
	var sum summary
	for _, ds := range targets {
		base := c.basePath(ds.Name)
		tree, err := c.sess.tree(ctx, ds, base)
		if faultName(err) == "FileNotFound" {
			continue // no base folder: nothing cached
		} else if err != nil {
			log.Printf("%s: listing failed: %v", base, err)
			sum.skip(err)
			continue
		}
		images := append([]string(nil), tree[""]...)
		sort.Strings(images)
		for _, image := range images {
			imgPath := base + "/" + image
			err := withLock(c.lockPath, imgPath, func() error {
				// The time under the lock, as the original reads it.
				return c.ageImage(ctx, ds, imgPath, readFolder(tree[image]), used[image], clock(), &sum)
			})
			if err != nil {
				log.Printf("%s: %v", imgPath, err)
				sum.skip(err)
			}
		}
	}
	return fmt.Sprintf("marked %d, deleted %d, cleared %d, skipped %d (%d on faults)",
		sum.marked, sum.deleted, sum.cleared, sum.skipped, sum.faults), nil
}

func (c *Cache) expired(mark *time.Time, now time.Time) bool {
	return mark != nil && now.Sub(*mark) > c.age // strictly older; a future mark waits
}

func (c *Cache) ageImage(ctx context.Context, ds *Datastore, imgPath string, f imageFolder,
	used bool, now time.Time, sum *summary) error {
	switch {
	case used: // in use: no mark may stay
		if len(f.marks) > 0 {
			if err := c.removeMarks(ctx, ds, imgPath, f.marks); err != nil {
				return err
			}
			sum.cleared++
		}
	case f.newest == nil: // unused and unmarked: mark it unused since now
		err := c.sess.mkdir(ctx, ds, imgPath+"/"+markName(now))
		switch faultName(err) {
		case "", "FileAlreadyExists": // another process marked it this second
			sum.marked++
		case "FileNotFound": // deleted since the listing: do not re-create it
			sum.skip(nil)
		default:
			return fmt.Errorf("marking: %w", err)
		}
	case c.expired(f.newest, now):
		// Read the folder again under the lock: an enlist since the listing wins.
		names, err := c.sess.subfolders(ctx, ds, imgPath)
		if faultName(err) == "FileNotFound" {
			sum.skip(nil)
			return nil
		} else if err != nil {
			return fmt.Errorf("re-reading before delete: %w", err)
		}
		if !c.expired(readFolder(names).newest, now) {
			log.Printf("%s: not deleted: its mark was removed or renewed since the listing", imgPath)
			sum.skip(nil)
			return nil
		}
		if err := c.sess.remove(ctx, ds, imgPath); err != nil {
			return fmt.Errorf("deleting: %w", err) // tolerated: the next pass tries again
		}
		log.Printf("%s: unused for longer than %s; deleted", imgPath, c.age)
		sum.deleted++
	}
	return nil
}
