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

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// A promServer is a server of the Prometheus project that a test runs: the
// Prometheus server, scraping the exporter every second, or an Alertmanager.
type promServer struct {
	t      *testing.T
	name   string // for messages
	base   string // http://127.0.0.1:PORT
	cmd    *exec.Cmd
	out    *syncBuffer
	client *http.Client
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's result, set before done is closed
}

// promJob is the scrape job of the exporter.
const promJob = "netlink_exporter"

// startPrometheus starts bin on a free port of 127.0.0.1, scraping target
// and evaluating the rules in rulesFile every second, and sending alerts to
// the alertmanagers (host:port), and waits until it is ready. Cleanup stops
// it.
func startPrometheus(t *testing.T, bin, target, rulesFile string, alertmanagers ...string) *promServer {
	t.Helper()
	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: %s
    static_configs:
      - targets: [%q]
`, rulesFile, promJob, target)
	if len(alertmanagers) > 0 {
		config += "alerting:\n  alertmanagers:\n"
	}
	for _, am := range alertmanagers {
		config += fmt.Sprintf("    - static_configs:\n        - targets: [%q]\n", am)
	}
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return startServer(t, "prometheus", bin, func(addr string, attempt int) []string {
		return []string{
			"--config.file=" + configFile,
			"--storage.tsdb.path=" + filepath.Join(dir, fmt.Sprintf("data%d", attempt)),
			"--web.listen-address=" + addr,
			// Debian's defaults point to /etc/prometheus, which may not exist.
			"--web.console.templates=" + dir,
			"--web.console.libraries=" + dir,
			"--log.level=warn"}
	})
}

// startServer runs bin with the arguments that args returns for a free
// port of 127.0.0.1, and waits until its /-/ready answers. Cleanup stops
// it.
func startServer(t *testing.T, name, bin string, args func(addr string, attempt int) []string) *promServer {
	t.Helper()
	for attempt := 0; ; attempt++ {
		addr := freePort(t)
		p := &promServer{t: t, name: name, base: "http://" + addr, out: &syncBuffer{},
			client: &http.Client{Timeout: 5 * time.Second}, done: make(chan struct{})}
		p.cmd = exec.Command(bin, args(addr, attempt)...)
		p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
		if err := p.cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", bin, err)
		}
		go func() { p.err = p.cmd.Wait(); close(p.done) }()
		if p.waitReady(20 * time.Second) {
			t.Cleanup(p.stop)
			return p
		}
		select {
		case <-p.done:
			// Another process may take the port between freePort and
			// the bind: try again on another.
			if strings.Contains(p.out.String(), "address already in use") && attempt < 3 {
				continue
			}
			t.Fatalf("%s %v exited before it was ready: %v\noutput:\n%s", name, p.cmd.Args, p.err, p.out)
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
			t.Fatalf("%s %v not ready after 20s\noutput:\n%s", name, p.cmd.Args, p.out)
		}
	}
}

func (p *promServer) waitReady(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return false
		default:
		}
		if resp, err := p.client.Get(p.base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func (p *promServer) stop() {
	t := p.t
	p.client.CloseIdleConnections()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not exit within 10s of SIGTERM", p.name)
	}
	if t.Failed() {
		t.Logf("%s %v output:\n%s", p.name, p.cmd.Args, p.out)
	}
}

// get fetches an API path and decodes the "data" of its answer into data.
func (p *promServer) get(path string, params url.Values, data any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path+"?"+params.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("GET %s: %d: %w", path, resp.StatusCode, err)
	}
	if body.Status != "success" {
		return fmt.Errorf("GET %s?%s: %d: %s", path, params.Encode(), resp.StatusCode, body.Error)
	}
	return json.Unmarshal(body.Data, data)
}

// query evaluates expr at time at, or now if at is 0, and returns the
// vector it yields.
func (p *promServer) query(expr string, at model.Time) (model.Vector, error) {
	params := url.Values{"query": {expr}}
	if at != 0 {
		params.Set("time", at.String())
	}
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := p.get("/api/v1/query", params, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("%s: result type %s, want vector", expr, data.ResultType)
	}
	var v model.Vector
	err := json.Unmarshal(data.Result, &v)
	return v, err
}

// value evaluates expr at time at and returns its one sample's value. It
// fails the test on anything but one sample.
func (p *promServer) value(expr string, at model.Time) float64 {
	p.t.Helper()
	v, err := p.query(expr, at)
	if err != nil {
		p.t.Fatal(err)
	}
	if len(v) != 1 {
		p.t.Fatalf("%s at %v: %d samples, want 1: %v", expr, at, len(v), v)
	}
	return float64(v[0].Value)
}

// scrapedAfter waits for the first successful scrape of the exporter that
// starts after t0, and returns its timestamp: every sample of that scrape
// has it.
func (p *promServer) scrapedAfter(t0 time.Time) model.Time {
	p.t.Helper()
	deadline := t0.Add(10 * time.Second)
	// timestamp() of a selector is its sample's time; of an expression,
	// the evaluation's.
	expr := fmt.Sprintf(`timestamp(up{job=%[1]q}) and up{job=%[1]q} == 1`, promJob)
	for {
		v, err := p.query(expr, 0)
		if err != nil {
			p.t.Fatal(err)
		}
		if len(v) == 1 {
			// The value is the sample's time in seconds, to the millisecond.
			ts := model.Time(math.Round(float64(v[0].Value) * 1000))
			if ts.Time().After(t0) {
				return ts
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no scrape of %s started after %v: %s = %v", promJob, t0, expr, v)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A promAlert is an alert as /api/v1/rules lists it.
type promAlert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// An alertRule is an alerting rule as Prometheus loaded it: its labels and
// annotation templates are those of the rules file, with its alerts now.
type alertRule struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	Alerts      []promAlert       `json:"alerts"`
}

// alertRule returns the named alerting rule of the named group, and false
// if it is not loaded.
func (p *promServer) alertRule(group, name string) (alertRule, bool, error) {
	var data struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				alertRule
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := p.get("/api/v1/rules", url.Values{"type": {"alert"}}, &data); err != nil {
		return alertRule{}, false, err
	}
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			if g.Name == group && r.Name == name && r.Type == "alerting" {
				return r.alertRule, true, nil
			}
		}
	}
	return alertRule{}, false, nil
}
