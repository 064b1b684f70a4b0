package main

import (
	"cmp"
	"container/heap"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// A schedule makes a contention run reproducible. Its actors (client
// processes, named in a header of their SOAP calls) run one at a time, on
// a virtual clock: an actor runs until it reaches a scheduling point — a
// SOAP call, a sleep through the control API, or its end — and parks
// there with the virtual time it wants to go on at (now + the call's
// latency, now + the sleep). Once every actor is parked, one goes on, as
// the schedule's strategy picks:
//
//   - uniform (the default): the earliest waiter; ties go to the actor
//     with the highest seeded priority. Latency jitter and the seed decide
//     the order.
//   - pct (Burckhardt et al., ASPLOS 2010): the enabled waiter of highest
//     seeded priority, whatever the time it asked for; at seeded change
//     points the running actor's priority drops to the bottom.
//   - switches: the actor that ran last goes on while it is enabled, else
//     the earliest enabled waiter, except at the steps the schedule names,
//     where the named actor goes (a preemption when the one before was
//     enabled). Every schedule with at most k preemptions is such a list.
//   - preemptions: as switches, but the schedule names preemption points,
//     counted from 1 as the run meets them: steps at which the actor that
//     ran last waits on a call on a datastore path, and another enabled
//     actor's call is on the same path or one inside the other. A call on
//     no path (a task's wait) or a sleep counts as on the path of the
//     actor's last call on one; before any (its join, its login) what it
//     calls next is not known, and it is a partner. Calls on unrelated
//     paths commute: preempting between them changes nothing.
//     At each named one, the next such actor after it (in the actors'
//     order, round) goes instead. No point named is ever missed, only not
//     reached; what a search samples when it cannot know the steps in
//     advance. Under switches and preemptions each step's choice says
//     which point it was.
//
// Enabled, for pct and switches: every waiter on a SOAP call, and the
// sleepers due no later than the earliest of those (with no call waiting,
// the earliest sleepers). A call may take any time, so running one before
// its time is a delay of the others; a sleep may not end early, which also
// keeps an actor polling a lock from starving the holder. Time never goes
// back: a step runs at max(now, the time its waiter asked for).
//
// Latency, delays and sleeps cost no real time, and the order of calls
// depends on the strategy and the seed only. The status gives, per step,
// the actors enabled and the one that went: what a search over schedules
// branches on.
//
// An actor that neither parks nor ends within the quiet time is blocked
// outside the simulator's view (a file lock held by a parked actor, a real
// sleep in a client the harness cannot reach): it is marked stalled and
// the others go on, and the run is no longer exact. Stalls are counted.

const actorHeader = "X-Ich-Actor"

// nowHeader, on the answer to an actor's SOAP call, is the virtual time
// (Unix ns) at which the actor goes on: its clock until its next
// scheduling point, so that it need not ask for it (GET .../now).
const nowHeader = "X-Ich-Now"

// Virtual time moves on by at least this much per step, so that no two
// running segments share an instant and time stamps order the history.
const stepTick = time.Microsecond

type actorState int

const (
	notJoined actorState = iota
	parked
	running
	stalled
	finished
)

type actor struct {
	name     string
	state    actorState
	priority int
	path     string // the datastore path of its last call on one
}

type waiter struct {
	at      time.Duration
	actor   *actor
	seq     int64
	release chan struct{}
	stopped bool   // released by stop, not by its turn
	sleep   bool   // a sleep, not a SOAP call
	path    string // the datastore path its call is on, if any
}

// Strategies (see the top of this file).
const (
	uniform  = "uniform"
	pct      = "pct"
	switches = "switches"
	preempts = "preemptions"
)

// A switch of a switches schedule: at step Step (from 1), Actor goes.
type switchConfig struct {
	Step  int    `json:"step"`
	Actor string `json:"actor"`
}

// A step as taken: the actor that went and those enabled (indexes into
// the configuration's actors).
type stepChoice struct {
	Actor   int   `json:"actor"`
	Enabled []int `json:"enabled"`
	Point   int   `json:"point,omitempty"` // the preemption point it was (from 1), if one
}

type scheduleConfig struct {
	Actors       []string `json:"actors"`
	Seed         int64    `json:"seed"`
	EpochUnixNS  int64    `json:"epoch_unix_ns"`
	QuietMS      int      `json:"quiet_ms"`
	ChangePoints int      `json:"change_points"`
	// Steps over which the change points are spread.
	ChangeSpan int            `json:"change_span"`
	Strategy   string         `json:"strategy"` // uniform (""), pct, switches or preemptions
	Switches   []switchConfig `json:"switches"`
	// The preemption points (from 1) of a preemptions schedule.
	Preemptions []int `json:"preemptions"`
}

type scheduleStatus struct {
	Active    bool   `json:"active"`
	Steps     int    `json:"steps"`
	Stalls    int    `json:"stalls"`
	Joined    int    `json:"joined"`
	NowUnixNS int64  `json:"now_unix_ns"`
	Digest    string `json:"digest"` // of the order in which actors ran
	// Switches the schedule named that could not be taken (their actor was
	// not enabled then): the run is not the schedule it was given.
	Missed  int          `json:"missed"`
	Choices []stepChoice `json:"choices"`
}

type schedule struct {
	mu      sync.Mutex
	on      bool
	epoch   time.Time
	now     time.Duration
	actors  map[string]*actor
	joined  int
	parked  waiters
	seq     int64
	steps   int
	stalls  int
	changes map[int]bool
	lowest  int
	order   []byte // actor indexes, one per step
	index   map[string]byte
	// pct, switches and preemptions
	strategy string
	switches map[int]string // step -> actor
	preempt  map[int]bool   // preemption points named
	points   int            // preemption points met
	last     *actor         // the actor of the last step
	missed   int
	choices  []stepChoice
	touched  time.Time // real time of the last scheduling event
	quit     chan struct{}
}

func newSchedule() *schedule { return &schedule{} }

func (c *scheduleConfig) validate() error {
	if len(c.Actors) == 0 || len(c.Actors) > 255 {
		return fmt.Errorf("actors: give 1 to 255 names")
	}
	seen := map[string]bool{}
	for _, name := range c.Actors {
		if name == "" || seen[name] {
			return fmt.Errorf("actors: names must be distinct and non-empty, got %q", name)
		}
		seen[name] = true
	}
	if c.QuietMS < 0 || c.ChangePoints < 0 || c.ChangeSpan < 0 {
		return fmt.Errorf("quiet_ms, change_points and change_span must be >= 0")
	}
	switch c.Strategy {
	case "", uniform, pct, switches, preempts:
	default:
		return fmt.Errorf("strategy: %q is none of uniform, pct, switches, preemptions",
			c.Strategy)
	}
	if len(c.Preemptions) > 0 && c.Strategy != preempts {
		return fmt.Errorf("preemptions: only a preemptions strategy takes them")
	}
	points := map[int]bool{}
	for _, point := range c.Preemptions {
		if point < 1 || points[point] {
			return fmt.Errorf("preemptions: points must be distinct and >= 1, got %d", point)
		}
		points[point] = true
	}
	if len(c.Switches) > 0 && c.Strategy != switches {
		return fmt.Errorf("switches: only a switches strategy takes them")
	}
	steps := map[int]bool{}
	for _, sw := range c.Switches {
		if sw.Step < 1 || steps[sw.Step] {
			return fmt.Errorf("switches: steps must be distinct and >= 1, got %d", sw.Step)
		}
		if !seen[sw.Actor] {
			return fmt.Errorf("switches: step %d names %q, which is none of the actors",
				sw.Step, sw.Actor)
		}
		steps[sw.Step] = true
	}
	return nil
}

// start replaces any running schedule with one for cfg.
func (s *schedule) start(cfg scheduleConfig) {
	s.stop()
	if cfg.QuietMS == 0 {
		cfg.QuietMS = 3000
	}
	if cfg.ChangeSpan == 0 {
		cfg.ChangeSpan = 1000
	}
	rng := rand.New(rand.NewSource(cfg.Seed))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.on = true
	s.epoch = time.Unix(0, cfg.EpochUnixNS)
	if cfg.EpochUnixNS == 0 {
		s.epoch = time.Now()
	}
	s.now, s.joined, s.seq, s.steps, s.stalls = 0, 0, 0, 0, 0
	s.parked, s.order = nil, nil
	s.actors, s.index = map[string]*actor{}, map[string]byte{}
	for i, p := range rng.Perm(len(cfg.Actors)) {
		name := cfg.Actors[i]
		s.actors[name] = &actor{name: name, priority: p + 1}
		s.index[name] = byte(i)
	}
	s.changes, s.lowest = map[int]bool{}, 0
	for range cfg.ChangePoints {
		s.changes[1+rng.Intn(cfg.ChangeSpan)] = true
	}
	s.strategy = cfg.Strategy
	if s.strategy == "" {
		s.strategy = uniform
	}
	s.switches, s.last, s.missed, s.choices = map[int]string{}, nil, 0, nil
	for _, sw := range cfg.Switches {
		s.switches[sw.Step] = sw.Actor
	}
	s.preempt, s.points = map[int]bool{}, 0
	for _, point := range cfg.Preemptions {
		s.preempt[point] = true
	}
	s.touched = time.Now()
	s.quit = make(chan struct{})
	go s.watch(s.quit, time.Duration(cfg.QuietMS)*time.Millisecond)
}

// stop ends the schedule; every parked call and sleep goes on at once.
func (s *schedule) stop() scheduleStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	status := s.statusLocked()
	if !s.on {
		return status
	}
	s.on = false
	close(s.quit)
	for _, w := range s.parked {
		w.stopped = true
		close(w.release)
	}
	s.parked = nil
	return status
}

func (s *schedule) status() scheduleStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusLocked()
}

func (s *schedule) statusLocked() scheduleStatus {
	sum := sha256.Sum256(s.order)
	return scheduleStatus{Active: s.on, Steps: s.steps, Stalls: s.stalls, Joined: s.joined,
		NowUnixNS: s.epoch.Add(s.now).UnixNano(), Digest: hex.EncodeToString(sum[:8]),
		Missed: s.missed, Choices: s.choices}
}

// clock is the virtual time while a schedule runs, else the real one.
func (s *schedule) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.on {
		return time.Now()
	}
	return s.epoch.Add(s.now)
}

// runningClock is the virtual time while the actor called name runs in a
// running schedule; false for anyone else (no actor, parked, stalled).
func (s *schedule) runningClock(name string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.actorLocked(name); !s.on || a == nil || a.state != running {
		return time.Time{}, false
	}
	return s.epoch.Add(s.now), true
}

func (s *schedule) active() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.on
}

// join parks a named actor until every actor has joined and its turn
// comes. It reports false when no schedule knows the actor, or when the
// schedule stopped first.
func (s *schedule) join(name string) bool {
	s.mu.Lock()
	a := s.actors[name]
	if !s.on || a == nil || a.state != notJoined {
		s.mu.Unlock()
		return false
	}
	s.joined++
	return s.parkLocked(a, 0, false, "")
}

// park is a scheduling point of the actor called name, a SOAP call or
// (sleep) a sleep: it waits until the actor's turn at now+d or later. A call that names no actor is not one: it
// runs at once (inside the turn of whoever made it, if anyone). park
// reports false, without waiting, when the caller is not a joined actor of
// a running schedule, and after waiting when the schedule stopped first.
func (s *schedule) park(name string, d time.Duration, sleep bool) bool {
	return s.parkOn(name, d, sleep, "")
}

// parkOn is park for a call on a datastore path ("": none), by which the
// preemptions strategy tells calls that may not commute.
func (s *schedule) parkOn(name string, d time.Duration, sleep bool, path string) bool {
	s.mu.Lock()
	a := s.actorLocked(name)
	if a == nil {
		s.mu.Unlock()
		return false
	}
	return s.parkLocked(a, d, sleep, path)
}

// parkLocked is entered with s.mu held and releases it. It reports
// false when the schedule stopped before the actor's turn came.
func (s *schedule) parkLocked(a *actor, d time.Duration, sleep bool, path string) bool {
	w := &waiter{at: s.now + d, actor: a, seq: s.seq, release: make(chan struct{}), sleep: sleep,
		path: path}
	s.seq++
	a.state = parked
	heap.Push(&s.parked, w)
	s.touched = time.Now()
	s.dispatchLocked()
	s.mu.Unlock()
	<-w.release
	s.mu.Lock()
	defer s.mu.Unlock()
	return !w.stopped
}

// leave ends an actor's part in the run.
func (s *schedule) leave(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.actorLocked(name)
	if a == nil {
		return false
	}
	a.state = finished
	s.touched = time.Now()
	s.dispatchLocked()
	return true
}

func (s *schedule) actorLocked(name string) *actor {
	if !s.on {
		return nil
	}
	if a := s.actors[name]; a != nil && a.state != notJoined && a.state != finished {
		return a
	}
	return nil
}

// dispatchLocked lets the next waiter go on once nobody runs.
func (s *schedule) dispatchLocked() {
	if !s.on || s.joined < len(s.actors) || len(s.parked) == 0 {
		return
	}
	for _, a := range s.actors {
		if a.state == running {
			return
		}
	}
	enabled := s.enabledLocked()
	var w *waiter
	point := 0 // the preemption point this step is, if one
	if s.strategy == uniform {
		w = heap.Pop(&s.parked).(*waiter)
	} else {
		w, point = s.pickLocked(enabled)
		for i, p := range s.parked {
			if p == w {
				heap.Remove(&s.parked, i)
				break
			}
		}
	}
	s.now = max(s.now+stepTick, w.at)
	s.steps++
	s.order = append(s.order, s.index[w.actor.name])
	choice := stepChoice{Actor: int(s.index[w.actor.name]), Point: point}
	for _, e := range enabled {
		choice.Enabled = append(choice.Enabled, int(s.index[e.actor.name]))
	}
	s.choices = append(s.choices, choice)
	s.last = w.actor
	if w.path != "" {
		w.actor.path = w.path
	}
	if s.changes[s.steps] {
		s.lowest--
		w.actor.priority = s.lowest
	}
	w.actor.state = running
	close(w.release)
}

// enabledLocked: the waiters pct and switches choose from (see the top of
// this file), one per actor (its earliest), in the order of the actors.
func (s *schedule) enabledLocked() []*waiter {
	first := map[*actor]*waiter{}
	var call, sleeper *waiter // the earliest of each kind
	for _, w := range s.parked {
		if f := first[w.actor]; f == nil || w.at < f.at || (w.at == f.at && w.seq < f.seq) {
			first[w.actor] = w
		}
		if !w.sleep && (call == nil || w.at < call.at) {
			call = w
		}
		if w.sleep && (sleeper == nil || w.at < sleeper.at) {
			sleeper = w
		}
	}
	var enabled []*waiter
	for _, w := range first {
		if !w.sleep || (call != nil && w.at <= call.at) || (call == nil && w.at == sleeper.at) {
			enabled = append(enabled, w)
		}
	}
	sort.Slice(enabled, func(i, j int) bool {
		return s.index[enabled[i].actor.name] < s.index[enabled[j].actor.name]
	})
	return enabled
}

// pickLocked: the waiter pct, switches or preemptions lets go on, of
// enabled, and the preemption point the step is (0: none, or pct).
func (s *schedule) pickLocked(enabled []*waiter) (*waiter, int) {
	if s.strategy == pct {
		best := enabled[0]
		for _, w := range enabled[1:] {
			if w.actor.priority > best.actor.priority ||
				(w.actor.priority == best.actor.priority && w.at < best.at) {
				best = w
			}
		}
		return best, 0
	}
	partner, point := s.preemptingLocked(enabled)
	if partner != nil && s.strategy == preempts && s.preempt[point] {
		return partner, point
	}
	step := s.steps + 1
	if name, named := s.switches[step]; named {
		for _, w := range enabled {
			if w.actor.name == name {
				return w, point
			}
		}
		s.missed++
		log.Printf("schedule: step %d names actor %s, which is not enabled then; "+
			"the run is not the schedule it was given", step, name)
	}
	earliest := enabled[0]
	for _, w := range enabled {
		if w.actor == s.last {
			return w, point // no preemption
		}
		if w.at < earliest.at {
			earliest = w
		}
	}
	return earliest, point
}

// preemptingLocked counts a preemption point (see the top of this file)
// and returns the actor that would preempt there and the point's number;
// else nil, 0.
func (s *schedule) preemptingLocked(enabled []*waiter) (*waiter, int) {
	at := slices.IndexFunc(enabled, func(w *waiter) bool { return w.actor == s.last })
	if at < 0 || enabled[at].path == "" {
		return nil, 0
	}
	for k := 1; k < len(enabled); k++ {
		w := enabled[(at+k)%len(enabled)]
		// A call on no path (a task's wait) is part of the actor's last
		// call on one; before any (its join, its login) its next calls are
		// not known: a partner.
		path := cmp.Or(w.path, w.actor.path)
		if path == "" || related(enabled[at].path, path) {
			s.points++
			return w, s.points
		}
	}
	return nil, 0
}

// related: two datastore paths are one, or one is inside the other (a
// folder's path may end in a slash).
func related(a, b string) bool {
	a, b = strings.TrimSuffix(a, "/"), strings.TrimSuffix(b, "/")
	return a != "" && b != "" &&
		(a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/"))
}

// watch marks actors stalled that run longer than quiet without parking.
func (s *schedule) watch(quit chan struct{}, quiet time.Duration) {
	tick := time.NewTicker(min(quiet/4, 100*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-quit:
			return
		case <-tick.C:
		}
		s.mu.Lock()
		if s.on && time.Since(s.touched) > quiet {
			for _, a := range s.actors {
				if a.state == running {
					a.state = stalled
					s.stalls++
					log.Printf("schedule: actor %s ran %v without a scheduling point; "+
						"going on without it (the run is no longer exact)", a.name, quiet)
				}
			}
			s.touched = time.Now()
			s.dispatchLocked()
		}
		s.mu.Unlock()
	}
}

// waiters is a heap: earliest first, then highest priority, then arrival.
type waiters []*waiter

func (q waiters) Len() int { return len(q) }
func (q waiters) Less(i, j int) bool {
	a, b := q[i], q[j]
	if a.at != b.at {
		return a.at < b.at
	}
	if a.actor.priority != b.actor.priority {
		return a.actor.priority > b.actor.priority
	}
	return a.seq < b.seq
}
func (q waiters) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *waiters) Push(x any)   { *q = append(*q, x.(*waiter)) }
func (q *waiters) Pop() any {
	old := *q
	w := old[len(old)-1]
	*q = old[:len(old)-1]
	return w
}
