// go-peer: a minimal implementation of Nova's VMware image cache scheme
// (enlist, age, cache folder) speaking imagecache-harness's JSON-lines
// protocol (docs/protocol.md): one request per line on stdin, one reply per
// line on stdout, logs on stderr.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"time"
)

const protocolVersion = 1

type request struct {
	Seq      int    `json:"seq"`
	Op       string `json:"op"`
	Now      string `json:"now"`
	Protocol int    `json:"protocol"`
	VSphere  struct {
		URL      string `json:"url"`
		Insecure bool   `json:"insecure"`
	} `json:"vsphere"`
	Node struct {
		Name       string `json:"name"`
		BaseFolder string `json:"base_folder"`
		LockPath   string `json:"lock_path"`
		AgeSeconds int64  `json:"age_seconds"`
	} `json:"node"`
	Datastore  string     `json:"datastore"`
	Datastores []string   `json:"datastores"`
	Image      string     `json:"image"`
	Instances  []instance `json:"instances"`
}

type instance struct {
	UUID      string  `json:"uuid"`
	Name      string  `json:"name"`
	Host      string  `json:"host"`
	ImageRef  *string `json:"image_ref"`
	KernelID  *string `json:"kernel_id"`
	RamdiskID *string `json:"ramdisk_id"`
}

type errorBody struct {
	Kind    string  `json:"kind"`
	Fault   *string `json:"fault"`
	Message string  `json:"message"`
}

type reply struct {
	Seq    int        `json:"seq"`
	OK     bool       `json:"ok"`
	Result any        `json:"result,omitempty"`
	Error  *errorBody `json:"error,omitempty"`
}

// opError is an error with the protocol's kind; anything else is "error",
// or "vsphere_fault" when vSphere answered with a fault.
type opError struct{ kind, msg string }

func (e *opError) Error() string { return e.msg }

func invalidArgument(format string, args ...any) error {
	return &opError{"invalid_argument", "InvalidArgument: " + fmt.Sprintf(format, args...)}
}

func describe(err error) *errorBody {
	if e, ok := err.(*opError); ok {
		return &errorBody{Kind: e.kind, Message: e.msg}
	}
	if name := faultName(err); name != "" {
		return &errorBody{Kind: "vsphere_fault", Fault: &name, Message: name + ": " + err.Error()}
	}
	return &errorBody{Kind: "error", Message: err.Error()}
}

type server struct {
	cache *Cache
}

func (s *server) handle(ctx context.Context, req *request) (any, error) {
	var now time.Time
	if req.Op != "stop" {
		t, err := time.Parse(time.RFC3339Nano, req.Now)
		if err != nil {
			return nil, invalidArgument("now %q: %v", req.Now, err)
		}
		now = t.UTC()
	}
	if req.Op == "start" {
		if req.Protocol != protocolVersion {
			return nil, invalidArgument("protocol %d is not %d", req.Protocol, protocolVersion)
		}
		sess, err := connect(ctx, req.VSphere.URL, req.VSphere.Insecure)
		if err != nil {
			return nil, err
		}
		s.cache, err = newCache(sess, req.Node.BaseFolder, req.Node.LockPath, req.Node.AgeSeconds)
		if err != nil {
			return nil, err
		}
		return map[string]string{"implementation": "go-peer", "version": "1"}, nil
	}
	if s.cache == nil {
		return nil, invalidArgument("%q before 'start'", req.Op)
	}
	switch req.Op {
	case "enlist":
		return nil, s.cache.Enlist(ctx, req.Datastore, req.Image)
	case "age":
		summary, err := s.cache.Age(ctx, req.Instances, req.Datastores, clockFrom(now))
		if err != nil {
			return nil, err
		}
		return map[string]string{"summary": summary}, nil
	case "cache_folder":
		path, err := s.cache.Folder(req.Datastore, req.Image)
		if err != nil {
			return nil, err
		}
		return map[string]string{"path": path}, nil
	case "stop":
		s.cache.sess.Close(ctx)
		return nil, nil
	}
	return nil, &opError{"protocol", fmt.Sprintf("unknown op %q", req.Op)}
}

func main() {
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetPrefix("go-peer ")
	ctx := context.Background()
	installSchedule()
	srv := &server{}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20) // age requests can list many instances
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		if len(in.Bytes()) == 0 {
			continue
		}
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			log.Fatalf("malformed request: %v", err) // a harness bug: die loudly
		}
		result, err := srv.handle(ctx, &req)
		rep := reply{Seq: req.Seq, OK: err == nil, Result: result}
		if err != nil {
			log.Printf("%s failed: %v", req.Op, err)
			rep.Result, rep.Error = nil, describe(err)
		}
		if err := out.Encode(rep); err != nil { // Encode writes one line
			log.Fatalf("writing reply: %v", err)
		}
		if req.Op == "stop" {
			return
		}
	}
}
