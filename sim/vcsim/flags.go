package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/simulator"
)

// options holds the upstream vcsim flags the harness relies on; names and
// defaults follow upstream so command lines work with either binary.
type options struct {
	listen             string
	datacenters        int
	clusters           int
	hostsPerCluster    int
	standaloneHosts    int
	datastores         int
	vmsPerPool         int
	tls                bool
	username, password string
	trace              bool
	traceFile          string
	delay              int
	methodDelay        map[string]int
	delayJitter        float64
	stdinExit          bool
	home               string
	fidelity           string
	control            bool
	seed               int64
	latency            latencyConfig
	version            bool
}

func parseFlags(args []string) (*options, error) {
	defaults := simulator.VPX()
	o := &options{}
	fs := flag.NewFlagSet("vcsim", flag.ContinueOnError)
	fs.StringVar(&o.listen, "l", "127.0.0.1:8989", "listen address (port 0 picks a free port)")
	fs.IntVar(&o.datacenters, "dc", defaults.Datacenter, "number of datacenters")
	fs.IntVar(&o.clusters, "cluster", defaults.Cluster, "number of clusters per datacenter")
	fs.IntVar(&o.hostsPerCluster, "host", defaults.ClusterHost, "number of hosts per cluster")
	fs.IntVar(&o.standaloneHosts, "standalone-host", defaults.Host, "number of standalone hosts")
	fs.IntVar(&o.datastores, "ds", defaults.Datastore, "number of local datastores")
	fs.IntVar(&o.vmsPerPool, "vm", defaults.Machine, "number of virtual machines per resource pool")
	fs.BoolVar(&o.tls, "tls", true, "serve HTTPS with a self-signed certificate")
	fs.StringVar(&o.username, "username", "", "login username (any accepted when empty)")
	fs.StringVar(&o.password, "password", "", "login password (any accepted when empty)")
	fs.BoolVar(&o.trace, "trace", false, "trace SOAP traffic to -trace-file")
	fs.StringVar(&o.traceFile, "trace-file", "", "trace output file (default stderr)")
	fs.IntVar(&o.delay, "delay", 0, "delay in ms added to every SOAP method")
	methodDelay := fs.String("method-delay", "", "per-method delay in ms: 'Method1:ms,Method2:ms'")
	fs.Float64Var(&o.delayJitter, "delay-jitter", 0, "delay jitter as a coefficient of variation")
	fs.BoolVar(&o.stdinExit, "stdinexit", false, "exit when stdin yields a byte or reaches EOF")
	fidelity := fs.String("fidelity", fidelityVCenter, "vcenter: mend the simulator's gaps as vCenter behaves; stock: upstream behaviour (harness extension)")
	fs.BoolVar(&o.control, "control", true, "serve the /harness/ control API (harness extension; false: look like upstream vcsim)")
	fs.Int64Var(&o.seed, "seed", 1, "seed of fault probabilities and latency jitter (harness extension)")
	latencySpec := fs.String("latency", "", "harness latency in ms, adjustable at run time: '*:20,MakeDirectory:50' (harness extension)")
	fs.Float64Var(&o.latency.Jitter, "latency-jitter", 0, "harness latency jitter as a coefficient of variation (harness extension)")
	fs.StringVar(&o.home, "home", "", "directory for the datastore tree, removed entirely on exit (harness extension)")
	fs.BoolVar(&o.version, "version", false, "print the govmomi version and exit")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.methodDelay, err = parseMethodDelay("-method-delay", *methodDelay); err != nil {
		return nil, err
	}
	if o.fidelity, err = parseFidelity(*fidelity); err != nil {
		return nil, err
	}
	if o.latency.Methods, err = parseMethodDelay("-latency", *latencySpec); err != nil {
		return nil, err
	}
	o.latency.DefaultMS = o.latency.Methods["*"]
	delete(o.latency.Methods, "*")
	return o, nil
}

func parseMethodDelay(flagName, spec string) (map[string]int, error) {
	delays := map[string]int{}
	if spec == "" {
		return delays, nil
	}
	for _, item := range strings.Split(spec, ",") {
		method, ms, ok := strings.Cut(strings.TrimSpace(item), ":")
		n, err := strconv.Atoi(ms)
		if !ok || method == "" || err != nil || n < 0 {
			return nil, fmt.Errorf("%s: %q is not Method:milliseconds", flagName, item)
		}
		delays[method] = n
	}
	return delays, nil
}

// model builds the VPX model these options describe.
func (o *options) model() *simulator.Model {
	m := simulator.VPX()
	m.Datacenter = o.datacenters
	m.Cluster = o.clusters
	m.ClusterHost = o.hostsPerCluster
	m.Host = o.standaloneHosts
	m.Datastore = o.datastores
	m.Machine = o.vmsPerPool
	m.DelayConfig.Delay = o.delay
	m.DelayConfig.MethodDelay = o.methodDelay
	m.DelayConfig.DelayJitter = o.delayJitter
	simulator.TaskDelay.MethodDelay = o.methodDelay
	// Upstream tags About.FullName the same way; clients use it to tell a
	// simulator from a real vCenter.
	m.ServiceContent.About.FullName += " (govmomi simulator)"
	return m
}
