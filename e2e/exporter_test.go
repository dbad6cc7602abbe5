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
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
)

// readyTimeout bounds the exporter's startup until it is ready. It takes
// milliseconds on an idle host, but its baseline dumps wait for the
// kernel's RTNL lock, which other tests' bursts of thousands of links, or
// a teardown of namespaces full of bridges, hold for seconds.
const readyTimeout = 2 * time.Minute

// stopTimeout is how long the exporter may take to exit on SIGTERM. Nothing
// in user space delays the exit, but a thread inside a link dump waits for
// the kernel's RTNL lock, uninterruptibly, and the exit follows the kernel:
// seconds while other tests tear namespaces down. How soon after RTNL is
// free is the bench's lifecycle stage's to measure.
const stopTimeout = 20 * time.Second

// eventually bounds the waits for what the spec wants within a second or
// less (a namespace watched, a death seen, an event on /metrics): the tests
// log how long each took, and fail only if it never happens. How fast is
// the bench's (cmd/netlink-bench) to measure, on a machine that runs
// nothing else: a busy CI machine must not fail a test.
const eventually = 20 * time.Second

// An exporter is an exporter process that a test started. Its Client is a
// value: a copy of the exporter can ask with other credentials or another
// HTTP client.
type exporter struct {
	harness.Client
	t    *testing.T
	proc *harness.Exporter
}

// startExporter starts the exporter on a free port of 127.0.0.1 with args,
// and waits until /-/ready answers: the baseline is read, and what the test
// does next is counted. Cleanup sends SIGTERM and checks that it exits with
// status 0 within stopTimeout. The exporter's output is logged if the test
// fails.
func startExporter(t *testing.T, args ...string) *exporter {
	t.Helper()
	return startExporterWith(t, harness.Options{Args: args})
}

// startExporterWith is startExporter with options: credentials, TLS, a
// wrapper command.
func startExporterWith(t *testing.T, o harness.Options) *exporter {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), readyTimeout)
	defer cancel()
	p, err := harness.StartExporter(ctx, exporterBinary(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(stopTimeout); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("exporter %v output:\n%s", p.Args(), p.Output())
		}
	})
	return &exporter{Client: p.Client, t: t, proc: p}
}

// get fetches path, with the exporter's credentials if auth is set.
func (e *exporter) get(path string, auth bool) (int, string, error) {
	c := e.Client
	if !auth {
		c.User = ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code, body, err := c.Get(ctx, path)
	return code, string(body), err
}

// scrape fetches and parses /metrics. It fails the test if the exporter
// does not answer 200 with valid text exposition.
func (e *exporter) scrape() harness.Metrics {
	t := e.t
	t.Helper()
	code, body, err := e.get("/metrics", true)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET /metrics: %d, %v\n%s\nexporter output:\n%s", code, err, body, e.proc.Output())
	}
	m, err := harness.ParseMetrics(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	return m
}

// waitMetrics scrapes every interval until check passes, and fails the test
// with check's last error if it has not after timeout. It returns the
// passing scrape and how long it took.
func (e *exporter) waitMetrics(timeout, interval time.Duration, check func(m harness.Metrics) error) (harness.Metrics, time.Duration) {
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
			t.Fatalf("after %v:\n%v\nexporter state: %s", timeout, err, state(m))
		}
		time.Sleep(interval)
	}
}

// runExporter runs the exporter binary, optionally through a wrapper
// command such as setpriv, expecting it to exit by itself within timeout.
// It returns the exit status and the output.
func runExporter(t *testing.T, timeout time.Duration, wrapper []string, args ...string) (code int, output string, took time.Duration) {
	t.Helper()
	argv := append(append(slices.Clone(wrapper), exporterBinary()), args...)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took = time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("%v still running after %v, killed\noutput:\n%s", argv, timeout, out)
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out), took
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out), took
	default:
		t.Fatalf("run %v: %v", argv, err)
		return 0, "", took
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
