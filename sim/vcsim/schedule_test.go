package main

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A scheduling point of a script: a SOAP call that costs ms, or a sleep.
type point struct {
	ms    float64
	sleep bool
	path  string // a call's datastore path
}

func sleeps(ms ...float64) []point {
	script := make([]point, len(ms))
	for i, m := range ms {
		script[i] = point{ms: m, sleep: true}
	}
	return script
}

func calls(n int) []point { return make([]point, n) }

// on is n calls on a datastore path.
func on(path string, n int) []point {
	script := make([]point, n)
	for i := range script {
		script[i].path = path
	}
	return script
}

// runActors plays a script per actor through the schedule; it returns
// the order of (actor, step) as run.
func runActors(t *testing.T, s *schedule, scripts map[string][]point) []string {
	t.Helper()
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	for name, script := range scripts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !s.join(name) {
				t.Errorf("%s could not join", name)
				return
			}
			for i, p := range script {
				mu.Lock()
				order = append(order, name+string(rune('0'+i)))
				mu.Unlock()
				s.parkOn(name, time.Duration(p.ms*float64(time.Millisecond)), p.sleep, p.path)
			}
			s.leave(name)
		}()
	}
	wg.Wait()
	return order
}

func TestScheduleRunsActorsInVirtualTimeOrder(t *testing.T) {
	s := newSchedule()
	s.start(scheduleConfig{Actors: []string{"a", "b"}, Seed: 1})
	defer s.stop()
	began := time.Now()
	// Sleeps of 30 s and 45 s: slept for real, they would take 90 s.
	order := runActors(t, s, map[string][]point{"a": sleeps(30e3, 30e3, 30e3), "b": sleeps(45e3, 45e3)})
	// a runs at 0, 30, 60; b at 0, 45: whoever goes first at 0 is the seed's choice.
	got := strings.Join(order, " ")
	if got != "a0 b0 a1 b1 a2" && got != "b0 a0 a1 b1 a2" {
		t.Fatalf("order %q", got)
	}
	if elapsed := time.Since(began); elapsed > 30*time.Second {
		t.Errorf("virtual sleeps took %v of real time", elapsed)
	}
	st := s.status()
	if st.Steps != 7 || st.Stalls != 0 { // 2 joins + 5 sleeps
		t.Errorf("status %+v", st)
	}
	if want := s.epoch.Add(90*time.Second + 7*stepTick); s.clock().Before(s.epoch.Add(90*time.Second)) || s.clock().After(want) {
		t.Errorf("virtual clock at %v, want about +90s", s.clock().Sub(s.epoch))
	}
}

func TestSameSeedSameOrderAndTiesFollowTheSeed(t *testing.T) {
	digests := map[int64]string{}
	firsts := map[string]bool{}
	for _, seed := range []int64{1, 2, 3, 4, 5, 6, 1} {
		s := newSchedule()
		s.start(scheduleConfig{Actors: []string{"a", "b", "c"}, Seed: seed, ChangePoints: 2, ChangeSpan: 6})
		order := runActors(t, s, map[string][]point{"a": sleeps(10, 10), "b": sleeps(10, 10), "c": sleeps(10, 10)})
		st := s.stop()
		if d, seen := digests[seed]; seen && d != st.Digest {
			t.Fatalf("seed %d: digest %s then %s", seed, d, st.Digest)
		}
		digests[seed] = st.Digest
		firsts[order[0]] = true
	}
	if len(firsts) < 2 {
		t.Errorf("every seed let the same actor go first: %v", firsts)
	}
}

func TestAnActorThatNeverParksIsMarkedStalled(t *testing.T) {
	s := newSchedule()
	s.start(scheduleConfig{Actors: []string{"a", "b"}, Seed: 1, QuietMS: 100})
	defer s.stop()
	blocked := make(chan struct{})
	defer close(blocked)
	go func() { // b runs at once, then blocks outside the simulator's view
		s.join("b")
		s.park("b", 0, false)
		<-blocked
	}()
	ran := make(chan struct{})
	go func() {
		s.join("a")
		s.park("a", 50*time.Millisecond, true) // after b's turn
		close(ran)
		s.leave("a")
	}()
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("a never ran")
	}
	if st := s.status(); st.Stalls != 1 {
		t.Errorf("status %+v, want one stall", st)
	}
}

func TestStopReleasesParkedActors(t *testing.T) {
	s := newSchedule()
	s.start(scheduleConfig{Actors: []string{"a", "b"}, Seed: 1})
	released := make(chan bool)
	go func() { released <- s.join("a") }() // b never joins: a waits
	time.Sleep(20 * time.Millisecond)
	s.stop()
	select {
	case ok := <-released:
		if ok {
			t.Error("join reported true: a would go on as if scheduled")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a still parked after stop")
	}
	if s.park("a", 0, false) {
		t.Error("park after stop waited")
	}
}

func TestCallsOfUnknownClientsAreNotScheduled(t *testing.T) {
	s := newSchedule()
	s.start(scheduleConfig{Actors: []string{"a"}, Seed: 1})
	defer s.stop()
	if s.park("stranger", 0, false) || s.park("", 0, false) {
		t.Error("a client that is no running actor was parked")
	}
	if !s.join("a") { // the only actor: its turn at once
		t.Fatal("a did not join")
	}
	// A call naming no actor, while a runs, is not charged to a.
	if s.park("", time.Second, false) {
		t.Error("a call naming no actor was parked as the running actor's")
	}
	if st := s.status(); st.Joined != 1 || st.Steps != 1 {
		t.Errorf("status %+v, want one joined actor and one step", st)
	}
}

func TestPctRunsTheEnabledActorOfHighestPriorityWhateverTheTimeItAsks(t *testing.T) {
	blocks := map[string]bool{}
	for seed := int64(1); seed <= 8; seed++ {
		s := newSchedule()
		s.start(scheduleConfig{Actors: []string{"a", "b"}, Seed: seed, Strategy: pct})
		// a's calls cost 100 ms, b's 1 ms: by the clock, b would run all of
		// its calls between two of a's.
		order := runActors(t, s, map[string][]point{
			"a": {{ms: 100}, {ms: 100}, {ms: 100}}, "b": {{ms: 1}, {ms: 1}, {ms: 1}}})
		s.stop()
		got := strings.Join(order, " ")
		if got != "a0 a1 a2 b0 b1 b2" && got != "b0 b1 b2 a0 a1 a2" {
			t.Fatalf("seed %d: order %q, want one actor after the other", seed, got)
		}
		blocks[got] = true
	}
	if len(blocks) != 2 {
		t.Errorf("every seed gave the same actor the highest priority: %v", blocks)
	}
	interleaved := false
	for seed := int64(1); seed <= 20 && !interleaved; seed++ {
		s := newSchedule()
		s.start(scheduleConfig{Actors: []string{"a", "b"}, Seed: seed, Strategy: pct,
			ChangePoints: 1, ChangeSpan: 4})
		order := strings.Join(runActors(t, s, map[string][]point{"a": calls(3), "b": calls(3)}), " ")
		s.stop()
		interleaved = order != "a0 a1 a2 b0 b1 b2" && order != "b0 b1 b2 a0 a1 a2"
	}
	if !interleaved {
		t.Error("a change point never handed the turn over in the middle of an actor's calls")
	}
}

func TestUnderPctASleeperPollingALockLetsTheHolderGoOn(t *testing.T) {
	for seed := int64(1); seed <= 6; seed++ {
		s := newSchedule()
		s.start(scheduleConfig{Actors: []string{"poller", "holder"}, Seed: seed, Strategy: pct})
		var released atomic.Bool
		polls := 0
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			s.join("holder")
			s.park("holder", 0, false) // the call that gives the lock back
			released.Store(true)
			s.leave("holder")
		}()
		go func() {
			defer wg.Done()
			s.join("poller")
			for !released.Load() && polls < 1000 {
				polls++
				s.park("poller", 10*time.Millisecond, true)
			}
			s.leave("poller")
		}()
		wg.Wait()
		s.stop()
		// A sleep is not enabled before the waiting call's time: one poll
		// at most runs before the holder's call.
		if polls > 2 {
			t.Errorf("seed %d: the poller polled %d times before the holder went on", seed, polls)
		}
	}
}

func TestSwitchesRunTheLastActorOnExceptAtTheNamedSteps(t *testing.T) {
	run := func(sw ...switchConfig) (string, scheduleStatus) {
		s := newSchedule()
		s.start(scheduleConfig{Actors: []string{"a", "b"}, Seed: 1, Strategy: switches,
			Switches: sw})
		order := runActors(t, s, map[string][]point{"a": calls(3), "b": calls(3)})
		return strings.Join(order, " "), s.stop()
	}
	if got, _ := run(); got != "a0 a1 a2 b0 b1 b2" {
		t.Errorf("no switches: order %q, want a's calls, then b's", got)
	}
	got, st := run(switchConfig{Step: 3, Actor: "b"})
	if got != "a0 a1 b0 b1 b2 a2" {
		t.Errorf("a switch to b at step 3: order %q", got)
	}
	if st.Missed != 0 || len(st.Choices) != st.Steps {
		t.Fatalf("status %+v: want every step's choice and no missed switch", st)
	}
	if c := st.Choices[2]; c.Actor != 1 || len(c.Enabled) != 2 {
		t.Errorf("step 3: %+v, want b going with both enabled", c)
	}
	// b has made its calls and left by step 7.
	if _, st := run(switchConfig{Step: 3, Actor: "b"}, switchConfig{Step: 7, Actor: "b"}); st.Missed != 1 {
		t.Errorf("a switch to an actor that had left: %d missed, want 1", st.Missed)
	}
}

func TestPreemptionsPreemptAtTheNamedPointsOnly(t *testing.T) {
	run := func(scripts map[string][]point, points ...int) (string, scheduleStatus) {
		s := newSchedule()
		s.start(scheduleConfig{Actors: []string{"a", "b"}, Seed: 1, Strategy: preempts,
			Preemptions: points})
		order := runActors(t, s, scripts)
		return strings.Join(order, " "), s.stop()
	}
	// The points a run met, and those at which the actor before did not
	// go on (the other enabled one went).
	preempted := func(st scheduleStatus) (met []int, at []int) {
		for i, c := range st.Choices {
			if c.Point == 0 {
				continue
			}
			met = append(met, c.Point)
			before := st.Choices[i-1].Actor
			if !slices.Contains(c.Enabled, before) || !slices.Contains(c.Enabled, 1-before) {
				t.Errorf("point %d: %d ran last, enabled %v", c.Point, before, c.Enabled)
			}
			if c.Actor != before {
				at = append(at, c.Point)
			}
		}
		return met, at
	}
	// a calls on an image folder and an entry of it, b on the folder.
	racing := map[string][]point{
		"a": append(on("[ds] base/img1", 2), on("[ds] base/img1/ts-1/", 2)...),
		"b": on("[ds] base/img1", 3)}
	plain, st := run(racing)
	if met, at := preempted(st); len(met) < 3 || len(at) != 0 {
		t.Fatalf("no preemption named: points %v, preempted at %v (order %q)", met, at, plain)
	}
	for _, named := range [][]int{{1}, {2}, {1, 3}} {
		got, st := run(racing, named...)
		met, at := preempted(st)
		if !slices.Equal(at, named) || st.Missed != 0 {
			t.Errorf("points %v named: preempted at %v, %d missed (order %q)", named, at,
				st.Missed, got)
		}
		if got == plain || !slices.Equal(met, countUp(len(met))) {
			t.Errorf("points %v named: order %q, points met %v", named, got, met)
		}
	}
	// A point the run does not reach leaves it as without.
	if got, _ := run(racing, 400); got != plain {
		t.Errorf("a point not reached: order %q, want %q", got, plain)
	}
	// On two images the calls commute: once b has run (its join is on no
	// path, its next call not known), no step is a point.
	apart := map[string][]point{"a": on("[ds] base/img1", 3), "b": on("[ds] base/img2", 3)}
	if got, st := run(apart, 1); !slices.Equal(firstOf(preempted(st)), []int{1}) {
		t.Errorf("calls on two images: points %v (order %q), want the first only",
			firstOf(preempted(st)), got)
	}
}

func countUp(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func firstOf(a, _ []int) []int { return a }

func TestRelatedPathsAreOneOrOneInsideTheOther(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"[ds] base/img1", "[ds] base/img1", true},
		{"[ds] base/img1", "[ds] base/img1/ts-1", true},
		{"[ds] base", "[ds] base/img1/ts-1", true},
		{"[ds] base/img1", "[ds] base/img10", false},
		{"[ds] base/img1/", "[ds] base/img1/ts-1", true},
		{"[ds] base/img1/", "[ds] base/img1", true},
		{"[ds] base/img1", "[ds2] base/img1", false},
		{"", "[ds] base", false},
	} {
		if related(c.a, c.b) != c.want || related(c.b, c.a) != c.want {
			t.Errorf("related(%q, %q): want %v", c.a, c.b, c.want)
		}
	}
}

func TestScheduleConfigurationsAreValidated(t *testing.T) {
	for _, cfg := range []scheduleConfig{
		{Actors: []string{"a"}, Strategy: "fair"},
		{Actors: []string{"a"}, Switches: []switchConfig{{Step: 1, Actor: "a"}}},
		{Actors: []string{"a"}, Preemptions: []int{1}},
		{Actors: []string{"a"}, Strategy: preempts, Preemptions: []int{0}},
		{Actors: []string{"a"}, Strategy: preempts, Preemptions: []int{2, 2}},
		{Actors: []string{"a"}, Strategy: switches, Switches: []switchConfig{{Step: 1, Actor: "z"}}},
		{Actors: []string{"a"}, Strategy: switches, Switches: []switchConfig{{Step: 0, Actor: "a"}}},
		{Actors: []string{"a", "b"}, Strategy: switches,
			Switches: []switchConfig{{Step: 2, Actor: "a"}, {Step: 2, Actor: "b"}}},
	} {
		if err := cfg.validate(); err == nil {
			t.Errorf("%+v was accepted", cfg)
		}
	}
	if err := (&scheduleConfig{Actors: []string{"a", "b"}, Strategy: switches,
		Switches: []switchConfig{{Step: 2, Actor: "b"}}}).validate(); err != nil {
		t.Errorf("a good switches schedule was refused: %v", err)
	}
}
