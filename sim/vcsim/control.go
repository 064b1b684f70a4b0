package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// controlAPI serves /harness/, the harness's JSON control API. Only
// loopback clients may use it: it can break every call of the simulator.
//
//	GET    /harness/info                 fidelity, seed, govmomi version
//	GET    /harness/fault-kinds          each kind a rule may inject, and what it does
//	GET    /harness/faults               rules, with seen/hit counts
//	POST   /harness/faults               add a rule -> the rule with its id
//	DELETE /harness/faults[/ID]          remove all rules, or one
//	PUT    /harness/seed {"seed": N}     reseed fault probabilities and jitter (each
//	                                     rule and method draws from it on its own)
//	GET    /harness/latency, PUT         per-method latency and jitter
//	GET    /harness/trace?since=ID       finished calls after ID, counts per method
//	DELETE /harness/trace                forget recorded calls
//	POST   /harness/sessions/terminate   end every session now (but exempt ones)
//	POST   /harness/sessions/exempt {"session": DIGEST}  never fault, delay or end it
//	PUT    /harness/schedule {"actors": [...], "seed": N, ...}  run actors one at a time
//	GET    /harness/schedule, DELETE     its status (steps, stalls, digest); stop it
//	POST   /harness/schedule/join|sleep|leave {"actor": NAME[, "ms": F]}  an actor's
//	                                     scheduling points; join and sleep block
//	GET    /harness/schedule/now         the virtual clock
//	POST   /harness/reset                no schedule, rules, latency or trace (in one request)
func (h *harness) controlAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /harness/info", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, map[string]any{"fidelity": h.fidelity, "seed": h.seed.Load(),
			"govmomi": govmomiVersion(), "faults": knownFaults()})
	})
	mux.HandleFunc("GET /harness/fault-kinds", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, faultKinds)
	})
	mux.HandleFunc("GET /harness/faults", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, h.faults.list())
	})
	mux.HandleFunc("POST /harness/faults", func(w http.ResponseWriter, r *http.Request) {
		var rl rule
		if !decode(w, r, &rl) {
			return
		}
		added, err := h.faults.add(rl)
		if err != nil {
			reply(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		reply(w, http.StatusCreated, added)
	})
	mux.HandleFunc("DELETE /harness/faults", func(w http.ResponseWriter, _ *http.Request) {
		h.faults.clear()
		reply(w, http.StatusOK, map[string]string{})
	})
	mux.HandleFunc("DELETE /harness/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil || !h.faults.remove(id) {
			reply(w, http.StatusNotFound, map[string]string{"error": "no rule " + r.PathValue("id")})
			return
		}
		reply(w, http.StatusOK, map[string]string{})
	})
	mux.HandleFunc("PUT /harness/seed", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Seed int64 `json:"seed"`
		}
		if decode(w, r, &body) {
			h.reseed(body.Seed)
			reply(w, http.StatusOK, body)
		}
	})
	mux.HandleFunc("GET /harness/latency", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, h.latency.get())
	})
	mux.HandleFunc("PUT /harness/latency", func(w http.ResponseWriter, r *http.Request) {
		var cfg latencyConfig
		if !decode(w, r, &cfg) {
			return
		}
		if err := validLatency(cfg); err != nil {
			reply(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		h.latency.set(cfg)
		reply(w, http.StatusOK, h.latency.get())
	})
	mux.HandleFunc("GET /harness/trace", func(w http.ResponseWriter, r *http.Request) {
		since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
		calls, counts := h.trace.since(since)
		reply(w, http.StatusOK, map[string]any{"calls": calls, "counts": counts})
	})
	mux.HandleFunc("DELETE /harness/trace", func(w http.ResponseWriter, _ *http.Request) {
		h.trace.reset()
		reply(w, http.StatusOK, map[string]string{})
	})
	mux.HandleFunc("POST /harness/reset", func(w http.ResponseWriter, _ *http.Request) {
		h.schedule.stop()
		h.faults.clear()
		h.latency.set(latencyConfig{})
		h.trace.reset()
		reply(w, http.StatusOK, map[string]string{})
	})
	mux.HandleFunc("POST /harness/sessions/terminate", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, map[string]int{"terminated": h.sessions.terminateAll()})
	})
	mux.HandleFunc("POST /harness/sessions/exempt", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Session string `json:"session"`
		}
		if !decode(w, r, &body) {
			return
		}
		if body.Session == "" {
			reply(w, http.StatusBadRequest, map[string]string{"error": "session (a cookie digest) is required"})
			return
		}
		h.sessions.exemptDigest(body.Session)
		reply(w, http.StatusOK, body)
	})
	h.scheduleAPI(mux)
	return loopbackOnly(mux)
}

func (h *harness) scheduleAPI(mux *http.ServeMux) {
	mux.HandleFunc("PUT /harness/schedule", func(w http.ResponseWriter, r *http.Request) {
		var cfg scheduleConfig
		if !decode(w, r, &cfg) {
			return
		}
		if err := cfg.validate(); err != nil {
			reply(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		h.schedule.start(cfg)
		reply(w, http.StatusOK, h.schedule.status())
	})
	mux.HandleFunc("GET /harness/schedule", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, h.schedule.status())
	})
	mux.HandleFunc("DELETE /harness/schedule", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, h.schedule.stop())
	})
	mux.HandleFunc("GET /harness/schedule/now", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, map[string]int64{"now_unix_ns": h.schedule.clock().UnixNano()})
	})
	point := func(name string, act func(actor string, ms float64) bool) {
		mux.HandleFunc("POST /harness/schedule/"+name, func(w http.ResponseWriter, r *http.Request) {
			var body struct {
				Actor string  `json:"actor"`
				MS    float64 `json:"ms"`
			}
			if !decode(w, r, &body) {
				return
			}
			if body.Actor == "" || body.MS < 0 {
				reply(w, http.StatusBadRequest, map[string]string{"error": "actor is required; ms must be >= 0"})
				return
			}
			if !act(body.Actor, body.MS) {
				reply(w, http.StatusConflict, map[string]string{"error": fmt.Sprintf(
					"no running schedule has actor %q in a state to %s", body.Actor, name)})
				return
			}
			reply(w, http.StatusOK, map[string]int64{"now_unix_ns": h.schedule.clock().UnixNano()})
		})
	}
	point("join", func(actor string, _ float64) bool { return h.schedule.join(actor) })
	point("sleep", func(actor string, ms float64) bool {
		return h.schedule.park(actor, time.Duration(ms*float64(time.Millisecond)), true)
	})
	point("leave", func(actor string, _ float64) bool { return h.schedule.leave(actor) })
}

func validLatency(cfg latencyConfig) error {
	if cfg.DefaultMS < 0 || cfg.Jitter < 0 {
		return fmt.Errorf("default_ms and jitter must be >= 0")
	}
	for method, ms := range cfg.Methods {
		if ms < 0 {
			return fmt.Errorf("latency of %s must be >= 0", method)
		}
	}
	return nil
}

func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			reply(w, http.StatusForbidden, map[string]string{
				"error": "the harness control API answers loopback clients only"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func decode(w http.ResponseWriter, r *http.Request, into any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		reply(w, http.StatusBadRequest, map[string]string{"error": "bad request body: " + msg})
		return false
	}
	return true
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
