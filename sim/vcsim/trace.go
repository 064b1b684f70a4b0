package main

import (
	"crypto/sha256"
	"encoding/hex"
	"html"
	"regexp"
	"sync"
	"time"
)

// traceCapacity bounds memory: the oldest calls are dropped beyond it.
const traceCapacity = 200000

var (
	reMethod = regexp.MustCompile(`<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?(\w+)[\s>/]`)
	reThis   = regexp.MustCompile(`<(?:[\w-]+:)?_this[^>]*type="(\w+)"[^>]*>([^<]*)<`)
	// Arguments that carry a datastore path, in the methods the harness uses.
	rePath = regexp.MustCompile(`<(?:[\w-]+:)?(?:name|datastorePath|sourceName)(?:\s[^>]*)?>(\[[^<]*)<`)
	// A SOAP fault's type, as govmomi writes it in the detail element.
	reFaultType = regexp.MustCompile(`type="(?:[\w-]+:)?(\w+)"`)
)

// call is one SOAP request as the harness sees it. Bodies are never kept,
// so credentials (Login's password) never reach the trace.
type call struct {
	ID          int64  `json:"id"`
	Method      string `json:"method"`
	This        string `json:"this"`
	Path        string `json:"path,omitempty"`
	Session     string `json:"session,omitempty"` // digest of the session cookie
	Client      string `json:"client"`            // remote address
	Actor       string `json:"actor,omitempty"`   // the X-Ich-Actor that made it, if any
	StartNS     int64  `json:"start_ns"`          // monotonic, since the simulator started
	EndNS       int64  `json:"end_ns"`
	StartUnixNS int64  `json:"start_unix_ns"` // wall clock, or a schedule's virtual clock
	EndUnixNS   int64  `json:"end_unix_ns"`
	// When the call took effect, if before its end: a slow answer
	// (delay_after) is held back after the call ran.
	AppliedUnixNS int64  `json:"applied_unix_ns,omitempty"`
	Outcome       string `json:"outcome"`            // "ok", a fault name, or "dropped"
	Injected      string `json:"injected,omitempty"` // the harness rule's fault, if one fired
	Rule          int    `json:"rule,omitempty"`
	// From a session spared from faults and latency (an observer's): no
	// rule counts or fires on it.
	Exempt bool `json:"exempt,omitempty"`
}

func parseCall(body []byte) call {
	c := call{Method: "?"}
	if m := reMethod.FindSubmatch(body); m != nil {
		c.Method = string(m[1])
	}
	if m := reThis.FindSubmatch(body); m != nil {
		c.This = string(m[1]) + ":" + html.UnescapeString(string(m[2]))
	}
	if m := rePath.FindSubmatch(body); m != nil {
		c.Path = html.UnescapeString(string(m[1]))
	}
	return c
}

func sessionDigest(cookie string) string {
	if cookie == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(sum[:6])
}

// faultName reads the fault type out of a SOAP fault response.
func faultName(body []byte) string {
	if m := reFaultType.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	return "SoapFault"
}

type tracer struct {
	mu     sync.Mutex
	clock  func() time.Time // the schedule's virtual clock while one runs
	start  time.Time
	nextID int64
	calls  []*call
}

func newTracer(clock func() time.Time) *tracer {
	return &tracer{clock: clock, start: time.Now()}
}

func (t *tracer) begin(c call) *call {
	c.StartNS, c.StartUnixNS = time.Since(t.start).Nanoseconds(), t.clock().UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.nextID++
	c.ID = t.nextID
	rec := &c
	if len(t.calls) >= traceCapacity {
		t.calls = t.calls[1:]
	}
	t.calls = append(t.calls, rec)
	return rec
}

func (t *tracer) applied(c *call) {
	appliedUnixNS := t.clock().UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	c.AppliedUnixNS = appliedUnixNS
}

func (t *tracer) end(c *call, outcome string) {
	endNS, endUnixNS := time.Since(t.start).Nanoseconds(), t.clock().UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	c.EndNS, c.EndUnixNS = endNS, endUnixNS
	c.Outcome = outcome
}

// since returns the finished calls with an id above id, and counts per method.
func (t *tracer) since(id int64) ([]call, map[string]int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := []call{}
	counts := map[string]int{}
	for _, c := range t.calls {
		if c.ID > id && c.Outcome != "" {
			out = append(out, *c)
			counts[c.Method]++
		}
	}
	return out, counts
}

func (t *tracer) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = nil
}
