package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/vmware/govmomi/vim25/types"
)

// Fault kinds that are not vSphere faults.
const (
	kindDrop      = "drop"        // close the connection before the call runs
	kindDropAfter = "drop_after"  // run the call, then close without answering
	kindDelay     = "delay"       // only wait delay_ms, then run the call
	kindSlowReply = "delay_after" // run the call at once, answer delay_ms later
)

// faultKind is what one kind of fault does to a call, as the harness
// judges an implementation by it: GET /harness/fault-kinds serves this
// table, and the Python side (sim/faults.py) is tested equal to it.
type faultKind struct {
	Name string `json:"name"`
	// A vSphere fault in the answer (else the transport's doing: a lost
	// connection, a slow call or answer).
	VSphereFault bool `json:"vsphere_fault"`
	// The call takes effect all the same.
	Runs bool `json:"runs"`
	// The answer tells the client something untrue about the datastore (a
	// folder that is there "not found", one that is not "already there").
	Untrue  bool   `json:"untrue"`
	Meaning string `json:"meaning"`
}

var faultKinds = []faultKind{
	{"FileLocked", true, false, false, "the file is locked; the call did not run"},
	{"CannotDeleteFile", true, false, false, "the file could not be deleted; the call did not run"},
	{"FileNotFound", true, false, true, "the file is said not to exist, whether or not it does"},
	{"FileAlreadyExists", true, false, true, "the file is said to exist already, whether or not it does"},
	{"CannotCreateFile", true, false, false, "the file could not be made; the call did not run"},
	{"CannotAccessFile", true, false, false, "the file could not be reached; the call did not run"},
	{"FileFault", true, false, false, "a generic file fault; the call did not run"},
	{"NotAuthenticated", true, false, false, "the session has ended (it really has): log in again"},
	{"InvalidDatastore", true, false, false, "the datastore cannot be used now; the call did not run"},
	{"NoPermission", true, false, false, "the session may not do this; the call did not run"},
	{kindDrop, false, false, false, "the connection closes before the call runs"},
	{kindDropAfter, false, true, false, "the call runs, then the connection closes unanswered"},
	{kindDelay, false, true, false, "the call waits delay_ms, then runs"},
	{kindSlowReply, false, true, false, "the call runs at once, its answer comes delay_ms later"},
}

type faultMaker func(path string, this types.ManagedObjectReference) types.BaseMethodFault

// fileFault makes a FileFault subclass about the call's datastore path.
func fileFault(wrap func(types.FileFault) types.BaseMethodFault) faultMaker {
	return func(path string, _ types.ManagedObjectReference) types.BaseMethodFault {
		return wrap(types.FileFault{File: path})
	}
}

// faultMakers builds each vSphere fault a rule can return.
var faultMakers = map[string]faultMaker{
	"FileLocked":        fileFault(func(f types.FileFault) types.BaseMethodFault { return &types.FileLocked{FileFault: f} }),
	"CannotDeleteFile":  fileFault(func(f types.FileFault) types.BaseMethodFault { return &types.CannotDeleteFile{FileFault: f} }),
	"FileNotFound":      fileFault(func(f types.FileFault) types.BaseMethodFault { return &types.FileNotFound{FileFault: f} }),
	"FileAlreadyExists": fileFault(func(f types.FileFault) types.BaseMethodFault { return &types.FileAlreadyExists{FileFault: f} }),
	"CannotCreateFile":  fileFault(func(f types.FileFault) types.BaseMethodFault { return &types.CannotCreateFile{FileFault: f} }),
	"CannotAccessFile":  fileFault(func(f types.FileFault) types.BaseMethodFault { return &types.CannotAccessFile{FileFault: f} }),
	"FileFault":         fileFault(func(f types.FileFault) types.BaseMethodFault { return &f }),
	"InvalidDatastore": func(path string, _ types.ManagedObjectReference) types.BaseMethodFault {
		return &types.InvalidDatastore{Name: datastoreName(path)}
	},
	"NotAuthenticated": func(_ string, this types.ManagedObjectReference) types.BaseMethodFault {
		return &types.NotAuthenticated{NoPermission: types.NoPermission{Object: &this, PrivilegeId: "System.View"}}
	},
	"NoPermission": func(_ string, this types.ManagedObjectReference) types.BaseMethodFault {
		return &types.NoPermission{Object: &this, PrivilegeId: "Datastore.FileManagement"}
	},
}

func knownFaults() []string {
	names := make([]string, 0, len(faultKinds))
	for _, k := range faultKinds {
		names = append(names, k.Name)
	}
	sort.Strings(names)
	return names
}

func isFaultKind(name string) bool {
	for _, k := range faultKinds {
		if k.Name == name {
			return true
		}
	}
	return false
}

// datastoreName is "ds" of "[ds] a/b".
func datastoreName(path string) string {
	if strings.HasPrefix(path, "[") {
		if end := strings.Index(path, "]"); end > 0 {
			return path[1:end]
		}
	}
	return ""
}

// rule is one fault-injection rule, as the control API takes it.
type rule struct {
	ID          int     `json:"id"`
	Method      string  `json:"method,omitempty"` // "" or "*": any method
	Path        string  `json:"path,omitempty"`   // glob on the datastore path argument; * matches anything
	Fault       string  `json:"fault"`
	Message     string  `json:"message,omitempty"`
	DelayMS     int     `json:"delay_ms,omitempty"`    // waited before the fault (or alone, for "delay")
	Count       int     `json:"count,omitempty"`       // fire at most this often (0: always)
	Skip        int     `json:"skip,omitempty"`        // let this many matching calls pass first
	Probability float64 `json:"probability,omitempty"` // 0 (default) means 1
	Sync        bool    `json:"sync,omitempty"`        // _Task methods: fail the call, not the task
	Seen        int     `json:"seen"`                  // matching calls so far
	Hits        int     `json:"hits"`                  // times it fired

	pathRE  *regexp.Regexp
	ordinal int // rules added before it since the last reseed: its draws' stream
}

func (r *rule) validate() error {
	if r.Fault == "" {
		return fmt.Errorf("fault is required; one of %s", strings.Join(knownFaults(), ", "))
	}
	if !isFaultKind(r.Fault) {
		return fmt.Errorf("unknown fault %q; one of %s", r.Fault, strings.Join(knownFaults(), ", "))
	}
	if r.Count < 0 || r.Skip < 0 || r.DelayMS < 0 {
		return fmt.Errorf("count, skip and delay_ms must be >= 0")
	}
	if r.Probability < 0 || r.Probability > 1 {
		return fmt.Errorf("probability must be within 0..1, got %v", r.Probability)
	}
	if (r.Fault == kindDelay || r.Fault == kindSlowReply) && r.DelayMS == 0 {
		return fmt.Errorf("fault %q needs delay_ms", r.Fault)
	}
	r.pathRE = globRE(r.Path)
	return nil
}

// globRE: '*' matches any run of characters (slashes included), '?' one;
// everything else, brackets of datastore paths included, is literal.
func globRE(glob string) *regexp.Regexp {
	if glob == "" {
		return nil
	}
	quoted := regexp.QuoteMeta(glob)
	quoted = strings.ReplaceAll(quoted, `\*`, `.*`)
	quoted = strings.ReplaceAll(quoted, `\?`, `.`)
	return regexp.MustCompile("^" + quoted + "$")
}

func (r *rule) matches(c *call) bool {
	if r.Method != "" && r.Method != "*" && r.Method != c.Method {
		return false
	}
	return r.pathRE == nil || (c.Path != "" && r.pathRE.MatchString(c.Path))
}

// decision is what the harness does to one call.
type decision struct {
	rule  rule // a copy, as it was when it fired
	fault types.BaseMethodFault
}

// A rule's probability is drawn per matching call from the seed, the
// rule's ordinal and the call's number among those it matched: what one
// rule decides depends on no other rule and on no call it does not match,
// so a run that makes the same calls in the same order replays exactly.
type faultEngine struct {
	mu     sync.Mutex
	rules  []*rule
	nextID int
	seed   int64
	added  int // rules added since the last reseed
}

func newFaultEngine(seed int64) *faultEngine {
	return &faultEngine{seed: seed}
}

func (e *faultEngine) add(r rule) (rule, error) {
	if err := r.validate(); err != nil {
		return r, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.nextID++
	r.ID, r.Seen, r.Hits, r.ordinal = e.nextID, 0, 0, e.added
	e.added++
	e.rules = append(e.rules, &r)
	return r, nil
}

func (e *faultEngine) remove(id int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, r := range e.rules {
		if r.ID == id {
			e.rules = append(e.rules[:i], e.rules[i+1:]...)
			return true
		}
	}
	return false
}

func (e *faultEngine) clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rules = nil
}

func (e *faultEngine) reseed(seed int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seed, e.added = seed, 0
}

func (e *faultEngine) list() []rule {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]rule, 0, len(e.rules))
	for _, r := range e.rules {
		out = append(out, *r)
	}
	return out
}

// decide returns the first rule that fires for c, in the order rules were
// added, or nil. Skip and count are counted per rule, over matching calls.
func (e *faultEngine) decide(c *call, this types.ManagedObjectReference) *decision {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.rules {
		if !r.matches(c) {
			continue
		}
		r.Seen++
		if r.Seen <= r.Skip || (r.Count > 0 && r.Hits >= r.Count) {
			continue
		}
		if r.Probability > 0 && draw(e.seed, uint64(r.ordinal), uint64(r.Seen)) >= r.Probability {
			continue
		}
		r.Hits++
		d := &decision{rule: *r}
		if make, ok := faultMakers[r.Fault]; ok {
			d.fault = make(c.Path, this)
		}
		return d
	}
	return nil
}

// draw is a number in [0, 1) that depends on its arguments only
// (splitmix64's finaliser over them).
func draw(seed int64, stream, n uint64) float64 {
	x := uint64(seed)
	for _, v := range []uint64{stream, n} {
		x ^= v + 0x9e3779b97f4a7c15 + (x << 6) + (x >> 2)
		x += 0x9e3779b97f4a7c15
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
		x = (x ^ (x >> 27)) * 0x94d049bb133111eb
		x ^= x >> 31
	}
	return float64(x>>11) / float64(1<<53)
}
