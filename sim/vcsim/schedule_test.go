package main

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// runActors plays a script per actor: each number is a sleep in ms
// through the schedule; it returns the order of (actor, step) as run.
func runActors(t *testing.T, s *schedule, scripts map[string][]float64) []string {
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
			for i, ms := range script {
				mu.Lock()
				order = append(order, name+string(rune('0'+i)))
				mu.Unlock()
				s.park(name, time.Duration(ms*float64(time.Millisecond)))
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
	order := runActors(t, s, map[string][]float64{"a": {30e3, 30e3, 30e3}, "b": {45e3, 45e3}})
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
		order := runActors(t, s, map[string][]float64{"a": {10, 10}, "b": {10, 10}, "c": {10, 10}})
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
		s.park("b", 0)
		<-blocked
	}()
	ran := make(chan struct{})
	go func() {
		s.join("a")
		s.park("a", 50*time.Millisecond) // after b's turn
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
	if s.park("a", 0) {
		t.Error("park after stop waited")
	}
}

func TestCallsOfUnknownClientsAreNotScheduled(t *testing.T) {
	s := newSchedule()
	s.start(scheduleConfig{Actors: []string{"a"}, Seed: 1})
	defer s.stop()
	if s.park("stranger", 0) || s.park("", 0) {
		t.Error("a client that is no running actor was parked")
	}
	if !s.join("a") { // the only actor: its turn at once
		t.Fatal("a did not join")
	}
	// A call naming no actor, while a runs, is not charged to a.
	if s.park("", time.Second) {
		t.Error("a call naming no actor was parked as the running actor's")
	}
	if st := s.status(); st.Joined != 1 || st.Steps != 1 {
		t.Errorf("status %+v, want one joined actor and one step", st)
	}
}
