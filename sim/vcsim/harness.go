package main

import (
	"sync/atomic"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// harness is the imagecache harness's layer around the simulator: fault
// injection, latency, call trace, session control and fidelity fixes.
type harness struct {
	fidelity string
	control  bool
	seed     atomic.Int64
	faults   *faultEngine
	latency  *latency
	trace    *tracer
	sessions *sessionKiller
	pending  *pending
	schedule *schedule
	hooks    map[types.ManagedObjectReference]mo.Reference // see objects.go
}

func newHarness(opts *options) *harness {
	h := &harness{
		fidelity: opts.fidelity,
		control:  opts.control,
		faults:   newFaultEngine(opts.seed),
		latency:  newLatency(opts.latency, opts.seed),
		sessions: newSessionKiller(),
		pending:  newPending(),
		schedule: newSchedule(),
	}
	h.trace = newTracer(h.schedule.clock)
	h.seed.Store(opts.seed)
	return h
}

// install hooks the harness into the model's registry and wraps the
// server's HTTP handler. It runs before the URL is printed, so before any
// client can know where to connect.
func (h *harness) install(model *simulator.Model, server *simulator.Server) {
	registry := model.Service.Context.Map
	registry.Handler = h.registryHandler
	registry.Cookie = h.sessions.cookie
	h.installObjects(registry)
	server.Config.Handler = h.middleware(server.Config.Handler)
}

func (h *harness) reseed(seed int64) {
	h.seed.Store(seed)
	h.faults.reseed(seed)
	h.latency.reseed(seed)
}
