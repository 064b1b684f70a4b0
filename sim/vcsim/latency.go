package main

import (
	"math/rand"
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

type latency struct {
	mu  sync.Mutex
	cfg latencyConfig
	rng *rand.Rand
}

func newLatency(cfg latencyConfig, seed int64) *latency {
	if cfg.Methods == nil {
		cfg.Methods = map[string]int{}
	}
	return &latency{cfg: cfg, rng: rand.New(rand.NewSource(seed))}
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
	l.rng = rand.New(rand.NewSource(seed))
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
		d += l.rng.NormFloat64() * l.cfg.Jitter * float64(ms)
	}
	return time.Duration(max(d, 0) * float64(time.Millisecond))
}
