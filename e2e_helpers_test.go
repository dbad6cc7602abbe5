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
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The end-to-end tests run the real exporter binary, built once per test
// process, and talk to it over HTTP as Prometheus would.

// binEnv passes the path of the built exporter to the child processes that
// testns.Isolate starts, so that they do not build it again.
const binEnv = "NETLINK_EXPORTER_E2E_BIN"

var (
	buildOnce sync.Once
	buildDir  string // removed by TestMain; empty if nothing was built
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// exporterBinary returns the path of the exporter binary, building it with
// "go build" on first use. It fails t, with the compiler's output, if the
// build fails.
func exporterBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if p := os.Getenv(binEnv); p != "" {
			binPath = p
			return
		}
		dir, err := os.MkdirTemp("", "netlink_exporter-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		buildDir = dir
		// Readable by all, so that the binary runs under setpriv as nobody.
		if err := os.Chmod(dir, 0o755); err != nil {
			buildErr = err
			return
		}
		bin := filepath.Join(dir, exporterName)
		cmd := exec.Command("go", "build", "-o", bin, ".")
		cmd.Dir = "."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		binPath = bin
		buildErr = os.Setenv(binEnv, bin)
	})
	if buildErr != nil {
		t.Fatalf("cannot build the exporter: %v", buildErr)
	}
	return binPath
}

// A syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// healthyTimeout bounds the exporter's startup. It takes milliseconds on an
// idle host, but its baseline dumps wait for the kernel's RTNL lock, which
// other tests' bursts of thousands of links hold for seconds.
const healthyTimeout = 20 * time.Second

// An exporter is a running exporter process.
type exporter struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT
	user   string // basic auth, if set
	pass   string
	client *http.Client
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's result, set before done is closed
}

// startExporter starts the exporter on a free port of 127.0.0.1 with args,
// and waits until /-/healthy answers. Cleanup sends SIGTERM and checks that
// it exits with status 0 within 5 s. The exporter's stderr is logged if the
// test fails.
func startExporter(t *testing.T, args ...string) *exporter {
	t.Helper()
	return startExporterAuth(t, "", "", args...)
}

// startExporterAuth is startExporter for an exporter whose web config asks
// for basic auth with user and pass.
func startExporterAuth(t *testing.T, user, pass string, args ...string) *exporter {
	t.Helper()
	return startExporterWith(t, startOptions{user: user, pass: pass}, args...)
}

// startOptions say how startExporterWith runs the exporter and talks to it.
type startOptions struct {
	user, pass string      // basic auth, if the web config asks for it
	tls        *tls.Config // if set, talk HTTPS with this client configuration
	wrapper    []string    // a command that execs the exporter, such as setpriv
}

// startExporterWith is startExporter with options.
func startExporterWith(t *testing.T, o startOptions, args ...string) *exporter {
	t.Helper()
	bin := exporterBinary(t)
	scheme := "http://"
	client := &http.Client{Timeout: 5 * time.Second}
	if o.tls != nil {
		scheme = "https://"
		client.Transport = &http.Transport{TLSClientConfig: o.tls}
	}
	// Another process may take the port between freePort and the
	// exporter's bind: try again on another.
	for attempt := 0; ; attempt++ {
		e := &exporter{t: t, user: o.user, pass: o.pass, stderr: &syncBuffer{},
			client: client, done: make(chan struct{})}
		addr := freePort(t)
		e.base = scheme + addr
		argv := append(append(slices.Clone(o.wrapper), bin, "--web.listen-address="+addr), args...)
		e.cmd = exec.Command(argv[0], argv[1:]...)
		e.cmd.Stderr = e.stderr
		e.cmd.Stdout = e.stderr
		if err := e.cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", bin, err)
		}
		go func() { e.err = e.cmd.Wait(); close(e.done) }()
		if e.waitHealthy(healthyTimeout) {
			t.Cleanup(e.stop)
			return e
		}
		select {
		case <-e.done:
			if strings.Contains(e.stderr.String(), "address already in use") && attempt < 3 {
				continue
			}
			t.Fatalf("exporter %v exited before it was healthy: %v\nstderr:\n%s", e.cmd.Args, e.err, e.stderr)
		default:
			// SIGQUIT makes the Go runtime print every goroutine's stack.
			_ = e.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-e.done:
			case <-time.After(2 * time.Second):
				_ = e.cmd.Process.Kill()
				<-e.done
			}
			t.Fatalf("exporter %v not healthy after %v\nstderr:\n%s", e.cmd.Args, healthyTimeout, e.stderr)
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// waitHealthy polls /-/healthy until it answers 200, and reports whether it
// did before timeout and before the process exited.
func (e *exporter) waitHealthy(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-e.done:
			return false
		default:
		}
		if code, _, err := e.get("/-/healthy", true); err == nil && code == http.StatusOK {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// stop sends SIGTERM and checks that the exporter exits with status 0
// within 5 s.
func (e *exporter) stop() {
	t := e.t
	t.Helper()
	e.client.CloseIdleConnections()
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
	select {
	case <-e.done:
		if e.err != nil {
			t.Errorf("exporter did not exit cleanly on SIGTERM: %v", e.err)
		}
	case <-time.After(5 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.done
		t.Errorf("exporter did not exit within 5s of SIGTERM")
	}
	if t.Failed() {
		t.Logf("exporter %v stderr:\n%s", e.cmd.Args, e.stderr)
	}
}

// get fetches path, with the exporter's credentials if auth is set.
func (e *exporter) get(path string, auth bool) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	if auth && e.user != "" {
		req.SetBasicAuth(e.user, e.pass)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// scrape fetches and parses /metrics. It fails the test if the exporter
// does not answer 200 with valid text exposition.
func (e *exporter) scrape() metrics {
	t := e.t
	t.Helper()
	code, body, err := e.get("/metrics", true)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET /metrics: %d, %v\n%s\nstderr:\n%s", code, err, body, e.stderr)
	}
	m, err := parseMetrics(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return m
}

// A sample is one series of a scrape.
type sample struct {
	labels map[string]string
	value  float64
}

// metrics are the samples of a scrape by metric family name.
type metrics map[string][]sample

func parseMetrics(r io.Reader) (metrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, err
	}
	m := make(metrics, len(fams))
	for name, f := range fams {
		for _, s := range f.GetMetric() {
			labels := make(map[string]string, len(s.GetLabel()))
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			var v float64
			switch {
			case s.Counter != nil:
				v = s.GetCounter().GetValue()
			case s.Gauge != nil:
				v = s.GetGauge().GetValue()
			case s.Untyped != nil:
				v = s.GetUntyped().GetValue()
			default:
				continue // summaries and histograms: not needed here
			}
			m[name] = append(m[name], sample{labels: labels, value: v})
		}
	}
	return m, nil
}

// matches reports whether s has every label of want; a missing label
// matches an empty value, as in Prometheus.
func (s sample) matches(want map[string]string) bool {
	for k, v := range want {
		if s.labels[k] != v {
			return false
		}
	}
	return true
}

// value returns the value of the one series of name that has the labels
// (others may differ), and false if there is none or more than one.
func (m metrics) value(name string, labels map[string]string) (float64, bool) {
	var v float64
	n := 0
	for _, s := range m[name] {
		if s.matches(labels) {
			v = s.value
			n++
		}
	}
	return v, n == 1
}

// sum adds up the series of name that have the labels, and returns how many
// there were.
func (m metrics) sum(name string, labels map[string]string) (float64, int) {
	var v float64
	n := 0
	for _, s := range m[name] {
		if s.matches(labels) {
			v += s.value
			n++
		}
	}
	return v, n
}

// series lists the series, of any family, that have the labels.
func (m metrics) series(labels map[string]string) []string {
	var out []string
	for name, ss := range m {
		for _, s := range ss {
			if s.matches(labels) {
				out = append(out, name+fmt.Sprint(s.labels))
			}
		}
	}
	sort.Strings(out)
	return out
}

// state describes the monitor's global counters, which explain a count
// that is late or wrong: overruns, resyncs and messages read.
func (m metrics) state() string {
	var b strings.Builder
	for _, name := range []string{"netlink_overruns_total", "netlink_resyncs_total", "netlink_messages_total", "netlink_netns_discoveries_total", "netlink_netns_removals_total"} {
		for _, s := range m[name] {
			fmt.Fprintf(&b, "\n  %s%v %v", name, s.labels, s.value)
		}
	}
	return b.String()
}

// checker collects the mismatches of one scrape.
type checker struct {
	m    metrics
	errs []error
}

// want checks that the series of name with labels has value v.
func (c *checker) want(name string, labels map[string]string, v float64) {
	got, ok := c.m.value(name, labels)
	switch {
	case !ok:
		c.errs = append(c.errs, fmt.Errorf("%s%v: no single series, want %v", name, labels, v))
	case got != v:
		c.errs = append(c.errs, fmt.Errorf("%s%v = %v, want %v", name, labels, got, v))
	}
}

func (c *checker) err() error { return errors.Join(c.errs...) }

// waitMetrics scrapes every interval until check passes, and fails the test
// with check's last error if it has not after timeout. It returns the
// passing scrape and how long it took.
func (e *exporter) waitMetrics(timeout, interval time.Duration, check func(m metrics) error) (metrics, time.Duration) {
	t := e.t
	t.Helper()
	start := time.Now()
	for {
		m := e.scrape()
		err := check(m)
		if err == nil {
			return m, time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("after %v:\n%v\nexporter state: %s", timeout, err, m.state())
		}
		time.Sleep(interval)
	}
}

// lookTool returns the path of the first of names on PATH. Where none is,
// it fails t in CI (CI=true), where .ci/run installs every tool the tests
// need and a skip would hide a test that never ran; elsewhere it returns
// why the caller should skip.
func lookTool(t *testing.T, names ...string) (path, missing string) {
	t.Helper()
	for _, name := range names {
		if path, err := exec.LookPath(name); err == nil {
			return path, ""
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is needed and CI=true (.ci/run installs it)", names[0])
	}
	return "", fmt.Sprintf("skipping: %s is not installed (.ci/run names its Debian package)", strings.Join(names, " or "))
}

// requireTool is lookTool that skips t when the tool is missing.
func requireTool(t *testing.T, names ...string) string {
	t.Helper()
	path, missing := lookTool(t, names...)
	if missing != "" {
		t.Skip(missing)
	}
	return path
}

// runExporter runs the exporter binary, optionally through a wrapper
// command such as setpriv, expecting it to exit by itself within timeout.
// It returns the exit status and the output.
func runExporter(t *testing.T, timeout time.Duration, wrapper []string, args ...string) (code int, stderr string, took time.Duration) {
	t.Helper()
	argv := append(append(append([]string(nil), wrapper...), exporterBinary(t)), args...)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took = time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("%v still running after %v, killed\noutput:\n%s", argv, timeout, out.String())
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), took
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String(), took
	default:
		t.Fatalf("run %v: %v", argv, err)
		return 0, "", took
	}
}

// labels builds a label map from name, value pairs.
func labels(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// itoa formats an inode for a label.
func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
