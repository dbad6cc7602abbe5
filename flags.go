// Copyright The netlink_exporter Authors
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

package main

import (
	"fmt"
	"math"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/netlink-exporter/netlink_exporter/collector"
	"github.com/netlink-exporter/netlink_exporter/eventstream"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
	"github.com/netlink-exporter/netlink_exporter/pods"
)

const (
	exporterName   = "netlink_exporter"
	defaultAddress = ":9917"
	healthyPath    = "/-/healthy"
	readyPath      = "/-/ready"
	eventsPath     = "/events"
)

// A config is everything the command line sets.
type config struct {
	metricsPath            string
	disableExporterMetrics bool
	maxRequests            int
	eventsMaxClients       int
	eventsWriteTimeout     time.Duration
	monitor                netlinkmon.Options
	collector              collector.Options
	interfaces             collector.InterfaceOptions
	pods                   *pods.Options // nil with --no-pods
	web                    *web.FlagConfig
	log                    *promslog.Config
}

// parseFlags parses args (without the program name) with a fresh kingpin
// application, so that tests can call it again and again. --help and
// --version print and exit as usual.
func parseFlags(args []string) (config, error) {
	app := kingpin.New(exporterName, "Counts Linux link events per network namespace via netlink.")
	app.Version(version.Print(exporterName))
	app.HelpFlag.Short('h')

	metricsPath := app.Flag("web.telemetry-path",
		"Path under which to expose metrics.").
		Default("/metrics").String()
	disableExporterMetrics := app.Flag("web.disable-exporter-metrics",
		"Exclude metrics about the exporter itself (promhttp_*, process_*, go_*).").
		Bool()
	maxRequests := app.Flag("web.max-requests",
		"Maximum number of parallel scrape requests. Use 0 to disable.").
		Default("40").Int()
	eventsMaxClients := app.Flag("web.events.max-clients",
		"Maximum number of clients of the /events stream at once. Use 0 to disable /events.").
		Default(strconv.Itoa(eventstream.DefaultMaxClients)).Int()
	eventsWriteTimeout := app.Flag("web.events.write-timeout",
		"How long a write to an /events client that does not read may block before its stream is closed. The monitor never waits for a client: its events are dropped meanwhile.").
		Default(eventstream.DefaultWriteTimeout.String()).Duration()
	netnsDirs := app.Flag("netns.dir",
		"Directory of network namespace bind mounts to watch for additions and removals; a directory that does not exist yet is watched for. Repeatable. An empty value watches none.").
		Default("/run/netns", "/var/run/docker/netns").Strings()
	procScan := app.Flag("netns.proc",
		"Also discover network namespaces held only by processes, by scanning /proc.").
		Default("true").Bool()
	rescanInterval := app.Flag("netns.rescan-interval",
		"How often the exporter checks its view of the network namespaces against the kernel: it scans the namespace directories and, with --netns.proc, the processes, and compares its nsids with the kernel's. A namespace missed, or a death or nsid not announced, is set right within this interval.").
		Default(model.Duration(netlinkmon.DefaultRescanInterval).String()).Duration()
	retention := app.Flag("netns.retention",
		"How long the series of a network namespace that has died stay, with their final values.").
		Default(model.Duration(netlinkmon.DefaultRetention).String()).Duration()
	aggregate := app.Flag("netns.aggregate",
		"Serve the per-namespace series per aggregate, not per namespace, for clusters: the host keeps its own, the namespaces found in the --netns.dir directories add up under netns=\"aggregate-dir\", those held only by processes under \"aggregate-proc\", with the counts of the dead ones. netlink_netns_pod_info and all but the host's netlink_netns_info are left out; netlink_netns_recent_* show the namespaces whose links changed last instead. The number of series stays the same however many pods come and go.").
		Bool()
	aggregateRecent := app.Flag("netns.aggregate.recent",
		"How many namespaces, those whose links changed last, netlink_netns_recent_* show with --netns.aggregate. 0 shows none.").
		Default(strconv.Itoa(defaultAggregateRecent)).Int()
	var receiveBuffer byteSize
	app.Flag("netlink.receive-buffer-size",
		"Receive buffer of the netlink event socket, in bytes (plain integer) or with a unit (32MiB). Too small loses events in bursts; they are recovered by a resync.").
		Default(units.Base2Bytes(netlinkmon.DefaultReceiveBufferSize).String()).SetValue(&receiveBuffer)

	podFlags := addPodFlags(app)
	detail := addDetailFlags(app)

	webConfig := kingpinflag.AddFlags(app, defaultAddress)
	logConfig := &promslog.Config{}
	promslogflag.AddFlags(app, logConfig)

	nameFlagErrors(app)
	if _, err := app.Parse(args); err != nil {
		return config{}, err
	}

	cfg := config{
		metricsPath:            *metricsPath,
		disableExporterMetrics: *disableExporterMetrics,
		maxRequests:            *maxRequests,
		eventsMaxClients:       *eventsMaxClients,
		eventsWriteTimeout:     *eventsWriteTimeout,
		monitor: netlinkmon.Options{
			NetnsDirs:         cleanDirs(*netnsDirs),
			ProcScan:          *procScan,
			RescanInterval:    *rescanInterval,
			Retention:         *retention,
			ReceiveBufferSize: int(receiveBuffer),
			LinkDetail:        *detail.enabled,
		},
		collector: collector.Options{
			PodLabels: *podFlags.labels,
			Aggregate: *aggregate,
			Recent:    *aggregateRecent,
		},
		pods:       podFlags.options(),
		interfaces: detail.options(),
		web:        webConfig,
		log:        logConfig,
	}
	return cfg, cfg.validate()
}

// validate checks the values that parse but make no sense.
func (c *config) validate() error {
	switch p := c.metricsPath; {
	case !strings.HasPrefix(p, "/") || p == "/":
		return fmt.Errorf("--web.telemetry-path: must start with / and not be / alone, got %q", p)
	case p == healthyPath:
		return fmt.Errorf("--web.telemetry-path: %s is the health endpoint", p)
	case p == readyPath:
		return fmt.Errorf("--web.telemetry-path: %s is the readiness endpoint", p)
	case p == eventsPath:
		return fmt.Errorf("--web.telemetry-path: %s is the event stream", p)
	case strings.ContainsAny(p, "{} \t\n?#") || path.Clean(p) != strings.TrimSuffix(p, "/"):
		// ServeMux reads braces as wildcards and redirects unclean paths;
		// the others never reach the path of a request.
		return fmt.Errorf("--web.telemetry-path: must be a clean path without braces, spaces, ? or #, got %q", p)
	}
	if c.maxRequests < 0 {
		return fmt.Errorf("--web.max-requests: must be 0 (no limit) or more, got %d", c.maxRequests)
	}
	if c.eventsMaxClients < 0 {
		return fmt.Errorf("--web.events.max-clients: must be 0 (no /events) or more, got %d", c.eventsMaxClients)
	}
	if d := c.eventsWriteTimeout; d <= 0 {
		return fmt.Errorf("--web.events.write-timeout: must be positive, got %s", d)
	}
	if d := c.monitor.RescanInterval; d <= 0 {
		return fmt.Errorf("--netns.rescan-interval: must be positive, got %s", d)
	}
	if d := c.monitor.Retention; d < 0 {
		return fmt.Errorf("--netns.retention: must not be negative, got %s", d)
	}
	if n := c.collector.Recent; n < 0 {
		return fmt.Errorf("--netns.aggregate.recent: must be 0 (none) or more, got %d", n)
	}
	if n := c.monitor.ReceiveBufferSize; n <= 0 {
		return fmt.Errorf("--netlink.receive-buffer-size: must be positive, got %d", n)
	}
	if err := c.validatePods(); err != nil {
		return err
	}
	if n := c.interfaces.MaxSeries; n <= 0 {
		return fmt.Errorf("--links.detail.max-series: must be positive, got %d", n)
	}
	// exporter-toolkit would read the file only once the netlink monitor
	// is up and the port bound; a bad one must fail before, and name it.
	if f := *c.web.WebConfigFile; f != "" {
		if err := web.Validate(f); err != nil {
			return fmt.Errorf("--web.config.file=%s: %w", f, err)
		}
	}
	return nil
}

// cleanDirs drops empty values, so that --netns.dir="" watches none, and
// duplicates.
func cleanDirs(dirs []string) []string {
	out := make([]string, 0, len(dirs))
	seen := make(map[string]bool, len(dirs))
	for _, d := range dirs {
		if d == "" {
			continue
		}
		d = filepath.Clean(d)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// A byteSize is a flag value in bytes: a plain integer, or a number with a
// base-2 unit such as 32MiB or 512KB. It fits in a C int, as SO_RCVBUF
// takes one.
type byteSize int

func (b *byteSize) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		var u units.Base2Bytes
		if u, err = units.ParseBase2Bytes(s); err != nil {
			return fmt.Errorf("invalid size %q: want bytes, or a number with a unit such as 32MiB", s)
		}
		n = int64(u)
	}
	if n > math.MaxInt32 {
		return fmt.Errorf("size %q is over %d bytes", s, math.MaxInt32)
	}
	*b = byteSize(n)
	return nil
}

func (b *byteSize) String() string {
	return units.Base2Bytes(*b).String()
}

// nameFlagErrors makes the parse error of every flag of app name the flag:
// kingpin reports only the value's own error, such as
// `time: invalid duration "banana"`.
func nameFlagErrors(app *kingpin.Application) {
	for _, f := range app.Model().Flags {
		app.GetFlag(f.Name).SetValue(namedValue{Value: f.Value, name: f.Name})
	}
}

// A namedValue prefixes the errors of a kingpin.Value with its flag's name.
// It keeps the value's optional bool and repeatable behaviour.
type namedValue struct {
	kingpin.Value
	name string
}

func (v namedValue) Set(s string) error {
	if err := v.Value.Set(s); err != nil {
		return fmt.Errorf("--%s: %w", v.name, err)
	}
	return nil
}

func (v namedValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func (v namedValue) IsCumulative() bool {
	r, ok := v.Value.(interface{ IsCumulative() bool })
	return ok && r.IsCumulative()
}

// defaultDetailMaxSeries is about 660 pods of three links each, several
// times what a Kubernetes node runs.
const defaultDetailMaxSeries = 10000

// defaultAggregateRecent is how many namespaces the recent view of
// --netns.aggregate shows: enough to find the culprit of a churn storm
// among a node's pods, at two series each.
const defaultAggregateRecent = 5

// detailFlags are the flags of the opt-in per-link series.
type detailFlags struct {
	enabled                    *bool
	netnsInclude, netnsExclude anchoredRegexp
	linkInclude, linkExclude   anchoredRegexp
	maxSeries                  *int
}

func addDetailFlags(app *kingpin.Application) *detailFlags {
	f := &detailFlags{}
	f.enabled = app.Flag("links.detail",
		"Export per-link series (netlink_interface_*), about 5 per link, for the links that the --links.detail.* regular expressions select, and for deleted ones during --netns.retention.").
		Bool()
	app.Flag("links.detail.netns-include",
		"Regular expression (anchored) of the namespace names whose links --links.detail exports.").
		Default(".*").SetValue(&f.netnsInclude)
	app.Flag("links.detail.netns-exclude",
		"Regular expression (anchored) of namespace names whose links --links.detail leaves out; wins over the include.").
		SetValue(&f.netnsExclude)
	app.Flag("links.detail.link-include",
		"Regular expression (anchored) of the link names that --links.detail exports.").
		Default(".*").SetValue(&f.linkInclude)
	app.Flag("links.detail.link-exclude",
		"Regular expression (anchored) of link names that --links.detail leaves out; wins over the include.").
		SetValue(&f.linkExclude)
	f.maxSeries = app.Flag("links.detail.max-series",
		"Most per-link series a scrape returns. Links past it, by namespace name then ifindex, are left out; netlink_interface_series_dropped says how many series, and the log says when it starts and stops.").
		Default(strconv.Itoa(defaultDetailMaxSeries)).Int()
	return f
}

func (f *detailFlags) options() collector.InterfaceOptions {
	return collector.InterfaceOptions{
		NetnsInclude: f.netnsInclude.filter(), NetnsExclude: f.netnsExclude.re,
		LinkInclude: f.linkInclude.filter(), LinkExclude: f.linkExclude.re,
		MaxSeries: *f.maxSeries,
	}
}

// An anchoredRegexp is a flag value matched against whole names, as
// Prometheus relabeling does: "eth" does not match "eth0". Unset, re is
// nil.
type anchoredRegexp struct {
	re *regexp.Regexp
}

func (a *anchoredRegexp) Set(s string) error {
	re, err := regexp.Compile("^(?:" + s + ")$")
	if err != nil {
		return fmt.Errorf("invalid regular expression: %w", err)
	}
	a.re = re
	return nil
}

// filter is re as an include filter: nil for `.*`, the default, which the
// collector then need not run on every link at every scrape.
func (a *anchoredRegexp) filter() *regexp.Regexp {
	if a.String() == ".*" {
		return nil
	}
	return a.re
}

func (a *anchoredRegexp) String() string {
	if a.re == nil {
		return ""
	}
	s := a.re.String()
	return s[len("^(?:") : len(s)-len(")$")]
}
