package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"log"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

var (
	reHeaderClose = regexp.MustCompile(`</([\w-]+:)?Header>`)
	reHeaderEmpty = regexp.MustCompile(`<([\w-]+:)?Header\s*/>`)
	reBodyOpen    = regexp.MustCompile(`<([\w-]+:)?Body[\s>]`)
)

// middleware wraps the simulator's HTTP handler: /harness/ is the control
// API; each SOAP call to /sdk is traced, delayed, and possibly faulted.
func (h *harness) middleware(next http.Handler) http.Handler {
	control := h.controlAPI()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.control && (strings.HasPrefix(r.URL.Path, "/harness/") || r.URL.Path == "/harness") {
			control.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/sdk") {
			next.ServeHTTP(w, r)
			return
		}
		h.serveSOAP(next, w, r)
	})
}

func (h *harness) serveSOAP(next http.Handler, w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c := parseCall(body)
	cookie := ""
	if ck, err := r.Cookie(soap.SessionCookieName); err == nil {
		cookie = ck.Value
	}
	h.sessions.saw(cookie)
	c.Session, c.Client = sessionDigest(cookie), r.RemoteAddr
	c.Exempt = h.sessions.isExempt(cookie)
	actor := r.Header.Get(actorHeader)
	c.Actor = actor
	rec := h.trace.begin(c)

	var d *decision
	if !c.Exempt {
		h.pause(actor, h.latency.of(c.Method), c.Path)
		d = h.faults.decide(rec, thisRef(c.This))
	} else {
		h.pause(actor, 0, c.Path) // still a scheduling point
	}
	if d != nil {
		rec.Injected, rec.Rule = d.rule.Fault, d.rule.ID
		if d.rule.Fault != kindSlowReply {
			h.pause(actor, time.Duration(d.rule.DelayMS)*time.Millisecond, c.Path)
		}
		switch d.rule.Fault {
		case kindDrop:
			h.trace.end(rec, "dropped")
			dropConnection(w)
			return
		case kindDelay:
			d = nil
		}
	}
	if d != nil && d.fault != nil {
		body = withOperationID(body, h.pending.put(d))
		if _, ok := d.fault.(*types.NotAuthenticated); ok {
			h.sessions.revoke(cookie) // as on vCenter: the session is gone
		}
	}

	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if d != nil && d.rule.Fault == kindDropAfter {
		serve(next, &discard{header: http.Header{}}, r)
		h.trace.end(rec, "dropped")
		dropConnection(w)
		return
	}
	if d != nil && d.rule.Fault == kindSlowReply {
		held := &discard{header: http.Header{}, status: http.StatusOK}
		serve(next, held, r)
		h.trace.applied(rec)
		h.pause(actor, time.Duration(d.rule.DelayMS)*time.Millisecond, c.Path)
		for key, values := range held.header {
			w.Header()[key] = values
		}
		h.stampClock(w, actor)
		w.WriteHeader(held.status)
		_, _ = w.Write(held.body.Bytes())
		outcome := "ok"
		if held.status >= 400 {
			outcome = faultName(held.body.Bytes())
		}
		h.trace.end(rec, outcome)
		return
	}
	h.stampClock(w, actor)
	out := &capture{ResponseWriter: w, status: http.StatusOK}
	serve(next, out, r)
	outcome := "ok"
	if out.status >= 400 {
		outcome = faultName(out.body.Bytes())
	} else if d != nil && d.fault != nil {
		outcome = d.rule.Fault // delivered in the task the call returned
	}
	h.trace.end(rec, outcome)
}

// serve runs the simulator's handler for one call. A panic in a method
// becomes a SystemError fault for its caller, and the process serves on;
// net/http would close the connection unanswered. (Arguments that would
// panic are refused before the method runs: references.go.)
func serve(next http.Handler, w http.ResponseWriter, r *http.Request) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p) // a connection dropped on purpose (drop, drop_after)
		}
		log.Printf("harness: a call panicked in the simulator: %v", p)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(systemError(fmt.Sprint(p)))
	}()
	next.ServeHTTP(w, r)
}

// systemError is the SOAP fault vCenter answers when it fails inside a call.
func systemError(reason string) []byte {
	var text bytes.Buffer
	_ = xml.EscapeText(&text, []byte("the simulator failed on this call: "+reason))
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope ` +
		`xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ` +
		`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>` +
		`<faultcode>ServerFaultCode</faultcode><faultstring>` + text.String() + `</faultstring>` +
		`<detail><SystemErrorFault xmlns="urn:vim25" xsi:type="SystemError"><reason>` +
		text.String() + `</reason></SystemErrorFault></detail></soapenv:Fault></soapenv:Body>` +
		`</soapenv:Envelope>`)
}

// stampClock tells an actor of a running schedule, on its answer, the
// virtual time it goes on at (nowHeader).
func (h *harness) stampClock(w http.ResponseWriter, actor string) {
	if now, ok := h.schedule.runningClock(actor); ok {
		w.Header().Set(nowHeader, strconv.FormatInt(now.UnixNano(), 10))
	}
}

// pause lets d pass for a call on path (its datastore path, if any): on
// the virtual clock, as a scheduling point, when the call is an actor's in
// a running schedule; else for real.
func (h *harness) pause(actor string, d time.Duration, path string) {
	if !h.schedule.parkOn(actor, d, false, path) && d > 0 {
		time.Sleep(d)
	}
}

// withOperationID adds <operationID>token</operationID> to the SOAP header
// (creating the header if needed); the registry handler reads it back.
func withOperationID(body []byte, token string) []byte {
	elem := []byte("<operationID>" + token + "</operationID>")
	if loc := reHeaderClose.FindIndex(body); loc != nil {
		return splice(body, loc[0], loc[0], elem)
	}
	if m := reHeaderEmpty.FindSubmatchIndex(body); m != nil {
		return splice(body, m[0], m[1], wrap(group(body, m, 1), elem))
	}
	if m := reBodyOpen.FindSubmatchIndex(body); m != nil {
		return splice(body, m[0], m[0], wrap(group(body, m, 1), elem))
	}
	log.Printf("harness: no SOAP Body in request; fault not delivered")
	return body
}

// group is submatch i of a FindSubmatchIndex result, "" if it did not take part.
func group(body []byte, m []int, i int) string {
	if m[2*i] < 0 {
		return ""
	}
	return string(body[m[2*i]:m[2*i+1]])
}

func wrap(prefix string, elem []byte) []byte {
	return []byte("<" + prefix + "Header>" + string(elem) + "</" + prefix + "Header>")
}

func splice(body []byte, from, to int, insert []byte) []byte {
	out := make([]byte, 0, len(body)+len(insert))
	out = append(out, body[:from]...)
	out = append(out, insert...)
	return append(out, body[to:]...)
}

func thisRef(s string) types.ManagedObjectReference {
	kind, value, _ := strings.Cut(s, ":")
	return types.ManagedObjectReference{Type: kind, Value: value}
}

// dropConnection closes the client's connection without an answer, as a
// network failure or a crashed vCenter would.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// capture passes a response through and keeps error bodies (fault names).
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(status int) {
	c.status = status
	c.ResponseWriter.WriteHeader(status)
}

func (c *capture) Write(p []byte) (int, error) {
	if c.status >= 400 {
		c.body.Write(p)
	}
	return c.ResponseWriter.Write(p)
}

// discard is a ResponseWriter that keeps a response back: for nobody
// (drop_after), or to send it later (delay_after).
type discard struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(p []byte) (int, error) { return d.body.Write(p) }
func (d *discard) WriteHeader(status int)      { d.status = status }
