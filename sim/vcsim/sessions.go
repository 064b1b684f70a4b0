package main

import (
	"sync"

	"github.com/vmware/govmomi/simulator"
)

// sessionKiller ends sessions on demand: "terminate all" revokes every
// session cookie seen so far; the simulator then finds no session for
// them and answers NotAuthenticated, as vCenter does after an expiry.
// Exempt sessions (the harness's own inspector, by cookie digest) are
// never revoked and never see injected faults or latency.
type sessionKiller struct {
	mu      sync.Mutex
	seen    map[string]bool
	revoked map[string]bool
	exempt  map[string]bool
}

func newSessionKiller() *sessionKiller {
	return &sessionKiller{seen: map[string]bool{}, revoked: map[string]bool{}, exempt: map[string]bool{}}
}

func (k *sessionKiller) exemptDigest(digest string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.exempt[digest] = true
}

func (k *sessionKiller) isExempt(cookie string) bool {
	if cookie == "" {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.exempt[sessionDigest(cookie)]
}

// revoke ends one session (an injected NotAuthenticated means it is gone).
func (k *sessionKiller) revoke(cookie string) {
	if cookie == "" {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.revoked[cookie] = true
}

func (k *sessionKiller) saw(cookie string) {
	if cookie == "" {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.seen[cookie] = true
}

// terminateAll revokes every live session and returns how many.
func (k *sessionKiller) terminateAll() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for cookie := range k.seen {
		if !k.revoked[cookie] && !k.exempt[sessionDigest(cookie)] {
			k.revoked[cookie] = true
			n++
		}
	}
	return n
}

// cookie is the Registry.Cookie hook: a revoked cookie maps to no session.
func (k *sessionKiller) cookie(ctx *simulator.Context) string {
	value := simulator.HTTPCookie(ctx)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.revoked[value] {
		return ""
	}
	return value
}
