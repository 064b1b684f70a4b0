package main

import (
	"hash/fnv"
	"math"
	"sync"
	"time"
)

// latencyConfig is the harness's own latency: added to every SOAP call
// before it runs, adjustable at run time, with seeded jitter. (Upstream's
// -delay flags stay as they are, applied inside the simulator.)
type latencyConfig struct {
	DefaultMS int            `json:"default_ms"`
	Methods   map[string]int `json:"methods"`
	Jitter    float64        `json:"jitter"` // coefficient of variation of a normal jitter
}

// Jitter is drawn per call from the seed, the method and the call's number
// among that method's calls: it depends on no other method's calls.
type latency struct {
	mu    sync.Mutex
	cfg   latencyConfig
	seed  int64
	calls map[string]uint64 // per method, since the last reseed
}

func newLatency(cfg latencyConfig, seed int64) *latency {
	if cfg.Methods == nil {
		cfg.Methods = map[string]int{}
	}
	return &latency{cfg: cfg, seed: seed, calls: map[string]uint64{}}
}

func (l *latency) get() latencyConfig {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cfg
}

func (l *latency) set(cfg latencyConfig) {
	if cfg.Methods == nil {
		cfg.Methods = map[string]int{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cfg = cfg
}

func (l *latency) reseed(seed int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seed, l.calls = seed, map[string]uint64{}
}

// of returns how long a call to method waits.
func (l *latency) of(method string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	ms, ok := l.cfg.Methods[method]
	if !ok {
		ms = l.cfg.DefaultMS
	}
	d := float64(ms)
	if l.cfg.Jitter > 0 && ms > 0 {
		n := l.calls[method]
		l.calls[method] = n + 1
		d += normal(l.seed, fnv64(method), n) * l.cfg.Jitter * float64(ms)
	}
	return time.Duration(max(d, 0) * float64(time.Millisecond))
}

// normal is a standard normal number drawn from its arguments (Box-Muller).
func normal(seed int64, stream, n uint64) float64 {
	u1 := max(draw(seed, stream, 2*n), 1e-12)
	u2 := draw(seed, stream, 2*n+1)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

func fnv64(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}
