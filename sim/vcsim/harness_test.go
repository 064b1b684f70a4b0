package main

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25/types"
)

func TestGlobTreatsDatastoreBracketsLiterally(t *testing.T) {
	re := globRE("[LocalDS_0] ich-*/10.0.0.5_base/img1")
	for path, want := range map[string]bool{
		"[LocalDS_0] ich-1234/10.0.0.5_base/img1":  true,
		"[LocalDS_0] ich-1/2/10.0.0.5_base/img1":   true, // * spans slashes
		"[LocalDS_0] ich-1234/10.0.0.5_base/img10": false,
		"L ich-1234/10.0.0.5_base/img1":            false,
		"[LocalDS_1] ich-1234/10.0.0.5_base/img1":  false,
	} {
		if got := re.MatchString(path); got != want {
			t.Errorf("%q: got %v, want %v", path, got, want)
		}
	}
}

func TestSkipAndCountAreCountedOverMatchingCalls(t *testing.T) {
	e := newFaultEngine(1)
	if _, err := e.add(rule{Method: "MakeDirectory", Fault: "CannotCreateFile", Skip: 1, Count: 2}); err != nil {
		t.Fatal(err)
	}
	var fired []bool
	for i := 0; i < 5; i++ {
		e.decide(&call{Method: "CurrentTime"}, types.ManagedObjectReference{}) // never matches
		fired = append(fired, e.decide(&call{Method: "MakeDirectory", Path: "[ds] a"}, types.ManagedObjectReference{}) != nil)
	}
	want := []bool{false, true, true, false, false}
	for i := range want {
		if fired[i] != want[i] {
			t.Fatalf("fired %v, want %v", fired, want)
		}
	}
	if r := e.list()[0]; r.Seen != 5 || r.Hits != 2 {
		t.Errorf("seen %d hits %d, want 5 and 2", r.Seen, r.Hits)
	}
}

func TestProbabilityIsReproducibleFromTheSeed(t *testing.T) {
	pattern := func(seed int64) string {
		e := newFaultEngine(seed)
		_, _ = e.add(rule{Fault: "FileLocked", Probability: 0.5})
		var b strings.Builder
		for i := 0; i < 40; i++ {
			if e.decide(&call{Method: "X"}, types.ManagedObjectReference{}) != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	if pattern(7) != pattern(7) {
		t.Error("same seed, different pattern")
	}
	if pattern(7) == pattern(8) {
		t.Error("different seeds, same pattern")
	}
	if !strings.Contains(pattern(7), "x") || !strings.Contains(pattern(7), ".") {
		t.Errorf("probability 0.5 gave %s", pattern(7))
	}
}

func TestRulesAreValidated(t *testing.T) {
	e := newFaultEngine(1)
	for _, r := range []rule{{}, {Fault: "Nope"}, {Fault: "FileLocked", Probability: 2},
		{Fault: "delay"}, {Fault: "FileLocked", Count: -1}} {
		if _, err := e.add(r); err == nil {
			t.Errorf("%+v accepted", r)
		}
	}
}

var inHeader = regexp.MustCompile(`<(\w+:)?Header>.*<operationID>ich-fault-7</operationID></(\w+:)?Header><(\w+:)?Body>`)

func TestOperationIDIsAddedToTheSOAPHeader(t *testing.T) {
	for _, body := range []string{
		`<soapenv:Envelope x="1"><soapenv:Body><M/></soapenv:Body></soapenv:Envelope>`,
		`<soapenv:Envelope><soapenv:Header/><soapenv:Body><M/></soapenv:Body></soapenv:Envelope>`,
		`<soapenv:Envelope><soapenv:Header><a>1</a></soapenv:Header><soapenv:Body><M/></soapenv:Body></soapenv:Envelope>`,
		`<Envelope><Body><M/></Body></Envelope>`,
	} {
		out := string(withOperationID([]byte(body), "ich-fault-7"))
		if !inHeader.MatchString(out) {
			t.Errorf("%s -> %s", body, out)
		}
		if !strings.HasSuffix(out, "</soapenv:Body></soapenv:Envelope>") && !strings.HasSuffix(out, "</Body></Envelope>") {
			t.Errorf("body damaged: %s", out)
		}
	}
}

func TestParseCallReadsMethodTargetAndPathOnly(t *testing.T) {
	c := parseCall([]byte(`<soapenv:Envelope><soapenv:Body><DeleteDatastoreFile_Task xmlns="urn:vim25">` +
		`<_this type="FileManager">FileManager</_this><name>[LocalDS_0] a &amp; b/img1</name>` +
		`<datacenter type="Datacenter">datacenter-2</datacenter></DeleteDatastoreFile_Task></soapenv:Body></soapenv:Envelope>`))
	if c.Method != "DeleteDatastoreFile_Task" || c.This != "FileManager:FileManager" || c.Path != "[LocalDS_0] a & b/img1" {
		t.Errorf("%+v", c)
	}
	login := parseCall([]byte(`<soapenv:Envelope><soapenv:Body><Login xmlns="urn:vim25"><_this type="SessionManager">` +
		`SessionManager</_this><userName>u</userName><password>hunter2</password></Login></soapenv:Body></soapenv:Envelope>`))
	if login.Method != "Login" || login.Path != "" {
		t.Errorf("%+v", login)
	}
}

func TestControlAPIRefusesNonLoopbackClients(t *testing.T) {
	h := newHarness(&options{fidelity: fidelityVCenter, seed: 1})
	api := h.controlAPI()
	for addr, want := range map[string]int{"127.0.0.1:4000": 200, "[::1]:4000": 200,
		"192.0.2.9:4000": 403, "10.0.0.1:1": 403, "garbage": 403} {
		req := httptest.NewRequest(http.MethodGet, "/harness/info", nil)
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("%s: HTTP %d, want %d", addr, rec.Code, want)
		}
	}
}

func TestEveryVSphereFaultKindHasAMakerAndNoOtherDoes(t *testing.T) {
	for _, k := range faultKinds {
		_, made := faultMakers[k.Name]
		if made != k.VSphereFault {
			t.Errorf("%s: vsphere_fault %v, but a maker: %v", k.Name, k.VSphereFault, made)
		}
	}
	if len(faultMakers) != 10 || len(faultKinds) != 14 {
		t.Errorf("%d makers, %d kinds", len(faultMakers), len(faultKinds))
	}
}

func TestOneRulesDrawsDoNotDependOnAnotherRulesCalls(t *testing.T) {
	pattern := func(noise int) string {
		e := newFaultEngine(7)
		_, _ = e.add(rule{Method: "A", Fault: "FileLocked", Probability: 0.5})
		_, _ = e.add(rule{Method: "B", Fault: "FileLocked", Probability: 0.5})
		var b strings.Builder
		for i := 0; i < 40; i++ {
			for j := 0; j < noise; j++ {
				e.decide(&call{Method: "B"}, types.ManagedObjectReference{})
			}
			if e.decide(&call{Method: "A"}, types.ManagedObjectReference{}) != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	if a, b := pattern(0), pattern(3); a != b || !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Errorf("rule A's draws moved with rule B's calls: %s vs %s", a, b)
	}
}

func TestJitterOfOneMethodDoesNotDependOnAnothersCalls(t *testing.T) {
	cfg := latencyConfig{DefaultMS: 100, Jitter: 0.3}
	a, b := newLatency(cfg, 3), newLatency(cfg, 3)
	for i := 0; i < 20; i++ {
		b.of("Other")
		if x, y := a.of("M"), b.of("M"); x != y {
			t.Fatalf("call %d: %v vs %v", i, x, y)
		}
	}
}

func TestAPanicInACallIsASystemErrorAndTheServerServesOn(t *testing.T) {
	panicking := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("type assertion") })
	w := httptest.NewRecorder()
	serve(panicking, w, httptest.NewRequest(http.MethodPost, "/sdk", nil))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
	for _, want := range []string{`xsi:type="SystemError"`, "the simulator failed on this call: type assertion"} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("answer %q lacks %q", w.Body.String(), want)
		}
	}
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("a connection dropped on purpose must stay dropped, got %v", p)
		}
	}()
	serve(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }),
		httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/sdk", nil))
}

func TestReferencesAreFoundInFieldsPointersAndLists(t *testing.T) {
	dc := types.ManagedObjectReference{Type: "Datacenter", Value: "datacenter-2"}
	req := types.MoveDatastoreFile_Task{
		This:             types.ManagedObjectReference{Type: "FileManager", Value: "FileManager"},
		SourceName:       "[ds] a",
		SourceDatacenter: &dc,
	}
	v := reflect.ValueOf(req)
	var got []string
	for i := 0; i < v.NumField(); i++ {
		for _, ref := range references(v.Field(i)) {
			got = append(got, v.Type().Field(i).Name+"="+ref.Value)
		}
	}
	if strings.Join(got, " ") != "This=FileManager SourceDatacenter=datacenter-2" {
		t.Errorf("got %v", got)
	}
	list := references(reflect.ValueOf([]types.ManagedObjectReference{dc, dc}))
	if len(list) != 2 || references(reflect.ValueOf((*types.ManagedObjectReference)(nil))) != nil {
		t.Errorf("lists and nil pointers: %v", list)
	}
}
