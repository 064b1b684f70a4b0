// Command vcsim runs govmomi's vCenter simulator (the VPX model) for the
// imagecache harness. It mirrors the upstream vcsim flags the harness uses so
// that the upstream image and this build are interchangeable, and it always
// removes the model's datastore tree on exit.
package main

import (
	"crypto/tls"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
)

const govmomiModule = "github.com/vmware/govmomi"

// closeTimeout bounds how long shutdown waits for in-flight SOAP calls
// (a -delay can hold one open) before the datastore tree is removed anyway.
const closeTimeout = 5 * time.Second

func main() {
	log.SetPrefix("vcsim: ")
	log.SetFlags(0)

	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		log.Fatal(err)
	}
	if opts.version {
		fmt.Println(govmomiVersion())
		return
	}
	// A launcher that died leaves a broken stdout pipe; without this the
	// next log line would kill us with SIGPIPE before the tree is removed.
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(run(opts))
}

func run(opts *options) int {
	// Registered before anything is created so that a signal arriving during
	// start-up still ends in a clean exit rather than a leaked tree.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)

	closeTrace, err := startTrace(opts)
	if err != nil {
		log.Print(err)
		return 1
	}
	defer closeTrace()

	if opts.home != "" {
		removeHome, err := useHome(opts.home)
		if err != nil {
			log.Print(err)
			return 1
		}
		defer removeHome()
	}

	model := opts.model()
	if err := model.Create(); err != nil {
		log.Printf("creating the model: %v", err)
		return 1
	}
	// Registered first so that it runs last, after the server is closed.
	defer model.Remove()

	server, thumb, err := listen(model, opts)
	if err != nil {
		log.Print(err)
		return 1
	}
	defer closeServer(server)
	h := newHarness(opts)
	h.install(model, server)
	// Parked calls must go on, or closing the server would wait for them.
	defer h.schedule.stop()

	// Same line as upstream vcsim prints, so one parser serves both; the
	// thumbprint is ours (none without TLS).
	fmt.Printf("export GOVC_URL=%s GOVC_SIM_PID=%d VCSIM_THUMBPRINT=%s\n", server.URL,
		os.Getpid(), thumb)

	if opts.stdinExit {
		go exitOnStdin(stop)
	}
	sig := <-stop
	log.Printf("stopping on %v", sig)
	return 0
}

// listen starts the SOAP server, and says the thumbprint of its certificate.
// govmomi panics when the address cannot be bound; that becomes an error
// here so the deferred model.Remove still runs.
func listen(model *simulator.Model, opts *options) (server *simulator.Server, thumb string,
	err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot listen on %s: %v", opts.listen, r)
		}
	}()
	model.Service.Listen = &url.URL{Host: opts.listen}
	if opts.username != "" {
		model.Service.Listen.User = url.UserPassword(opts.username, opts.password)
	}
	if opts.tls {
		cert, sum, err := freshCertificate()
		if err != nil {
			return nil, "", fmt.Errorf("making a certificate: %v", err)
		}
		model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		thumb = sum
	}
	return model.Service.NewServer(), thumb, nil
}

// useHome makes dir the parent of the model's datastore tree and removes it
// entirely on exit, so a launcher that owns dir finds nothing left behind.
func useHome(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("-home: %v", err)
	}
	if err := os.Setenv("TMPDIR", dir); err != nil {
		return nil, fmt.Errorf("-home: %v", err)
	}
	return func() { _ = os.RemoveAll(dir) }, nil
}

// startTrace routes govmomi's SOAP trace as -trace and -trace-file ask.
func startTrace(opts *options) (func(), error) {
	simulator.Trace = opts.trace || opts.traceFile != ""
	if opts.traceFile == "" {
		return func() {}, nil
	}
	f, err := os.Create(opts.traceFile)
	if err != nil {
		return nil, fmt.Errorf("-trace-file: %v", err)
	}
	simulator.TraceFile = f
	return func() { _ = f.Close() }, nil
}

func closeServer(server *simulator.Server) {
	done := make(chan struct{})
	go func() {
		server.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(closeTimeout):
		log.Printf("in-flight requests still open after %v; exiting anyway", closeTimeout)
	}
}

// exitOnStdin stops the simulator when stdin yields a byte or reaches EOF,
// like upstream's -stdinexit. A launcher that keeps the write end of a pipe
// thereby takes the simulator down with it, even when it is SIGKILLed.
func exitOnStdin(stop chan<- os.Signal) {
	_, _ = os.Stdin.Read(make([]byte, 1))
	stop <- syscall.SIGTERM
}

func govmomiVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, dep := range info.Deps {
		if dep.Path == govmomiModule {
			if dep.Replace != nil {
				return dep.Replace.Version
			}
			return dep.Version
		}
	}
	return "unknown"
}
