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

//go:build linux

package e2e

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
)

// A promServer is a server of the Prometheus project that a test runs: a
// Prometheus server, scraping the exporter every second, or receiving what
// an agent forwards; or an Alertmanager.
type promServer struct {
	*harness.Server
	// job is the exporter's scrape job in the server's data.
	job string
}

// How long a server may take to be ready, and to exit on SIGTERM.
const (
	serverReadyTimeout = 20 * time.Second
	serverStopTimeout  = 10 * time.Second
)

// promJob is the scrape job of the exporter.
const promJob = "netlink_exporter"

// promOptions say how startPrometheus runs a Prometheus server.
type promOptions struct {
	// name is the server's external label prometheus, which it adds to
	// the alerts it sends, so that the Alertmanager tells them apart from
	// other servers'.
	name string
	// target, if not empty, is scraped every second as job promJob.
	target string
	// job is the exporter's scrape job where the server does not scrape
	// it itself: the agent's.
	job string
	// rulesFile is evaluated every second.
	rulesFile string
	// alertmanagers (host:port) receive the alerts.
	alertmanagers []string
	// flags are added to the command line: features, the remote-write
	// receiver.
	flags []string
}

// startPrometheus starts the Prometheus server bin on a free port of
// 127.0.0.1 as o says, and waits until it is ready. Cleanup stops it.
func startPrometheus(t *testing.T, bin string, o promOptions) *promServer {
	t.Helper()
	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
  external_labels:
    prometheus: %q
rule_files: [%q]
`, o.name, o.rulesFile)
	job := o.job
	if o.target != "" {
		job = promJob
		config += fmt.Sprintf(`scrape_configs:
  - job_name: %s
    static_configs:
      - targets: [%q]
`, promJob, o.target)
	}
	if len(o.alertmanagers) > 0 {
		config += "alerting:\n  alertmanagers:\n"
	}
	for _, am := range o.alertmanagers {
		config += fmt.Sprintf("    - static_configs:\n        - targets: [%q]\n", am)
	}
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startServer(t, "prometheus "+o.name, bin, func(addr string, attempt int) []string {
		return append([]string{
			"--config.file=" + configFile,
			"--storage.tsdb.path=" + filepath.Join(dir, fmt.Sprintf("data%d", attempt)),
			"--web.listen-address=" + addr,
			// Debian's defaults point to /etc/prometheus, which may not exist.
			"--web.console.templates=" + dir,
			"--web.console.libraries=" + dir,
			"--log.level=warn"}, o.flags...)
	})
	p.job = job
	return p
}

// startAgent starts bin in agent mode on a free port of 127.0.0.1, with
// the configuration configFile and flags, and waits until it is ready.
// Cleanup stops it.
func startAgent(t *testing.T, bin, configFile string, flags ...string) *promServer {
	t.Helper()
	dir := t.TempDir()
	return startServer(t, "prometheus agent", bin, func(addr string, attempt int) []string {
		return append([]string{
			"--agent",
			"--config.file=" + configFile,
			"--storage.agent.path=" + filepath.Join(dir, fmt.Sprintf("data%d", attempt)),
			"--web.listen-address=" + addr,
			"--log.level=warn"}, flags...)
	})
}

// startServer runs bin with the arguments that args returns for a free
// port of 127.0.0.1, and waits until its /-/ready answers. Cleanup stops
// it.
func startServer(t *testing.T, name, bin string, args func(addr string, attempt int) []string) *promServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), serverReadyTimeout)
	defer cancel()
	s, err := harness.StartServer(ctx, name, bin, args)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(serverStopTimeout); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("%s %v output:\n%s", name, s.Args(), s.Output())
		}
	})
	return &promServer{Server: s}
}

// value evaluates expr at time at and returns its one sample's value. It
// fails t on anything but one sample.
func (p *promServer) value(t *testing.T, expr string, at model.Time) float64 {
	t.Helper()
	v, err := p.Query(t.Context(), expr, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != 1 {
		t.Fatalf("%s at %v: %d samples, want 1: %v", expr, at, len(v), v)
	}
	return float64(v[0].Value)
}

// scrapedAfter waits for the first successful scrape of the exporter that
// starts after t0, and returns its timestamp: every sample of that scrape
// has it. Through an agent, the scrape is the agent's, and arrives with its
// timestamp.
func (p *promServer) scrapedAfter(t *testing.T, t0 time.Time) model.Time {
	t.Helper()
	deadline := t0.Add(15 * time.Second)
	// timestamp() of a selector is its sample's time; of an expression,
	// the evaluation's.
	expr := fmt.Sprintf(`timestamp(up{job=%[1]q}) and up{job=%[1]q} == 1`, p.job)
	for {
		v, err := p.Query(t.Context(), expr, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(v) == 1 {
			// The value is the sample's time in seconds, to the millisecond.
			ts := model.Time(math.Round(float64(v[0].Value) * 1000))
			if ts.Time().After(t0) {
				return ts
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scrape of %s started after %v: %s = %v", p.job, t0, expr, v)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
