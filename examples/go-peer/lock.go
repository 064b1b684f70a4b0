package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Locks are Nova's: oslo.concurrency's external lock named after the image's
// datastore path, "[ds] <base>/<image>", on the file
// <lock_path>/nova-vmware-ts-<name with '/' -> '_'>, taken with a POSIX
// record lock (fcntl F_SETLK, as fasteners' lockf), so Nova, refimpl and
// this peer on one host exclude each other.
const lockFilePrefix = "nova-vmware-ts"

func lockFile(lockPath, name string) string {
	file := lockFilePrefix + "-" + strings.ReplaceAll(name, string(os.PathSeparator), "_")
	if len(file) > 255 { // too long for a file name: cut, and add a digest (as refimpl)
		sum := sha256.Sum256([]byte(file))
		digest := hex.EncodeToString(sum[:])
		head := file[:255-len(digest)-1]
		for !utf8.ValidString(head) {
			head = head[:len(head)-1]
		}
		file = head + "-" + digest
	}
	return filepath.Join(lockPath, file)
}

// withLock runs fn holding the image's lock; it polls for the lock (with
// the schedule's sleep in a seeded contention run).
func withLock(lockPath, name string, fn func() error) error {
	if err := os.MkdirAll(lockPath, 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(lockFile(lockPath, name), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close() // closing releases the lock
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	delay := time.Millisecond
	for {
		err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EACCES) {
			return fmt.Errorf("locking %s: %w", f.Name(), err)
		}
		sleep(delay)
		delay = min(delay*2, 100*time.Millisecond)
	}
	return fn()
}

// Seeded contention runs (ICH_SCHEDULE, docs/protocol.md): name the actor in
// every HTTP request to the simulator, and sleep on the simulator's clock.
var (
	actor        string
	scheduleURL  string
	scheduleHTTP = &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // loopback, self-signed
)

func installSchedule() {
	var spec struct{ URL, Actor string }
	raw := os.Getenv("ICH_SCHEDULE")
	if raw == "" {
		return
	}
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		log.Fatalf("ICH_SCHEDULE: %v", err)
	}
	// Only the scheme, host and port count: the control API is at the root.
	u, err := url.Parse(spec.URL)
	if err != nil || u.Host == "" {
		log.Fatalf("ICH_SCHEDULE: url %q: not an absolute URL", spec.URL)
	}
	scheduleURL, actor = u.Scheme+"://"+u.Host, spec.Actor
}

type actorTransport struct{ base http.RoundTripper }

func (t actorTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Ich-Actor", actor)
	return t.base.RoundTrip(r)
}

// scheduleNow is the schedule's virtual clock, if a schedule runs.
func scheduleNow() (time.Time, bool) {
	if scheduleURL == "" {
		return time.Time{}, false
	}
	resp, err := scheduleHTTP.Get(scheduleURL + "/harness/schedule/now")
	if err != nil {
		log.Printf("schedule clock: %v", err)
		return time.Time{}, false
	}
	defer resp.Body.Close()
	var body struct {
		NowUnixNS int64 `json:"now_unix_ns"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&body) != nil {
		log.Printf("schedule clock: status %d or no now_unix_ns in the answer", resp.StatusCode)
		return time.Time{}, false
	}
	return time.Unix(0, body.NowUnixNS), true
}

// clockFrom is the time during one operation (docs/protocol.md, "Time"):
// the request's now, and under a seeded schedule as much later as the
// schedule's clock has run since the request came, so that a pass that
// waited for a lock names its mark with the time it marks at.
func clockFrom(now time.Time) func() time.Time {
	since, ok := scheduleNow()
	return func() time.Time {
		if t, running := scheduleNow(); ok && running {
			return now.Add(t.Sub(since))
		}
		return now
	}
}

// sleep waits d: on the schedule's virtual clock when there is one and it
// has us in a turn, else for real.
func sleep(d time.Duration) {
	if actor != "" {
		body, _ := json.Marshal(map[string]any{"actor": actor, "ms": float64(d) / 1e6})
		resp, err := scheduleHTTP.Post(scheduleURL+"/harness/schedule/sleep", "application/json",
			bytes.NewReader(body))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		// 409: the schedule is over (or not ours); anything else is a bug here.
		if err != nil || resp.StatusCode != http.StatusConflict {
			log.Printf("schedule sleep: %v (status %v); sleeping for real", err, status(resp))
		}
	}
	time.Sleep(d)
}

func status(resp *http.Response) any {
	if resp == nil {
		return "none"
	}
	return resp.StatusCode
}
