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
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
	"github.com/netlink-exporter/netlink_exporter/internal/rtnlbusy"
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// The RTNL hold of TestE2EStartWhileRTNLBusy: about 4 s on a 2-CPU VM,
// where the checks need a few hundred ms of it.
const (
	busyNamespaces = 30
	busyBridges    = 9
	// heldAfter is how long a request must wait before RTNL counts as
	// held.
	heldAfter = 200 * time.Millisecond
	// busyTries bounds the holds, each of twice the namespaces of the one
	// before, until RTNL is still held once the exporters have answered.
	busyTries = 3
)

// TestE2EStartWhileRTNLBusy starts two exporters while the kernel holds
// RTNL to tear down namespaces full of bridges, as on a node that evicts
// its pods, so that their baseline dumps wait. Both answer HTTP at once:
// /-/healthy 200, /-/ready and /metrics 503 with the reason. The first
// becomes ready once RTNL is free; the second, sent SIGTERM while it
// waits, exits with status 0. How fast is the bench's lifecycle stage.
//
// It is not parallel: while RTNL is held, every other test's dumps wait.
func TestE2EStartWhileRTNLBusy(t *testing.T) {
	testns.RequireRoot(t)
	args := []string{"--netns.dir=", "--no-netns.proc"}
	checks := []struct {
		path     string
		wantCode int
		want     string // a substring of the body
	}{
		{"/-/ready", http.StatusServiceUnavailable, "netlinkmon: reading the baseline"},
		{"/metrics", http.StatusServiceUnavailable, "netlinkmon: reading the baseline"},
		{"/-/healthy", http.StatusOK, "Healthy"},
		{"/", http.StatusOK, `href="/metrics"`},
	}
	type answer struct {
		code int
		body string
	}
	var (
		held    *rtnlbusy.Probe
		a, b    *harness.Exporter
		got     []answer
		stopped chan error
	)
	// The kernel sometimes lets RTNL go between parts of a teardown: try
	// again, with more namespaces, if it was free before the checks.
	for try, n := 1, busyNamespaces; ; try, n = try+1, 2*n {
		held = holdRTNL(t, n)
		a, b = startBusy(t, args), startBusy(t, args)
		got = make([]answer, len(checks))
		for i, c := range checks {
			code, body, err := a.Get(t.Context(), c.path)
			if err != nil {
				t.Fatal(err)
			}
			got[i] = answer{code, string(body)}
		}
		stopped = make(chan error, 1)
		go func() { stopped <- b.Stop(readyTimeout) }()
		// While the probe that was waiting before the exporters started
		// still waits, neither can have read its baseline. An exporter
		// that serves HTTP only after its baseline fails here.
		if held.Pending() {
			break
		}
		if try == busyTries {
			t.Fatalf("RTNL was free before the exporters answered, %d times", try)
		}
		t.Logf("RTNL was free before the exporters answered, %v after it was found held; again with %d namespaces",
			time.Since(held.Started).Round(time.Millisecond), 2*n)
		a.Kill()
		<-stopped
	}
	for i, c := range checks {
		g := got[i]
		if g.code != c.wantCode || !strings.Contains(g.body, c.want) {
			t.Errorf("GET %s while RTNL is held: %d %q; want %d with %q", c.path, g.code, g.body, c.wantCode, c.want)
		}
		if g.code != http.StatusOK && strings.Count(g.body, "\n") != 1 {
			t.Errorf("GET %s while RTNL is held: the reason %q is not one line", c.path, g.body)
		}
	}

	<-held.Done()
	free, _ := held.Returned()
	t.Logf("a probe waited %v for RTNL", free.Sub(held.Started).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(t.Context(), readyTimeout)
	defer cancel()
	for {
		code, body, err := a.Get(ctx, harness.ReadyPath)
		if err != nil {
			t.Fatalf("%v; last answer %d %q\n%s", err, code, body, a.Output())
		}
		if code == http.StatusOK {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	m := (&exporter{Client: a.Client, t: t, proc: a}).scrape()
	c := checker{m: m}
	c.want("netlink_netns_info", labels("netns", "host"), 1)
	if err := c.err(); err != nil {
		t.Error(err)
	}
	if v, ok := m.Value("promhttp_metric_handler_requests_total", labels("code", "503")); !ok || v < 1 {
		t.Errorf("promhttp_metric_handler_requests_total{code=\"503\"} = %v, %v; want the refused scrape counted", v, ok)
	}
	if err := <-stopped; err != nil {
		t.Errorf("exporter stopped while its baseline waited for RTNL: %v\n%s", err, b.Output())
	}
}

// holdRTNL makes and deletes n namespaces full of bridges, and returns once
// a request for RTNL has waited heldAfter: that request, still pending. It
// returns when RTNL has been free.
func holdRTNL(t *testing.T, n int) *rtnlbusy.Probe {
	t.Helper()
	names := make([]string, n)
	for i := range names {
		names[i] = testns.Name(t, "tnsb")
	}
	td := rtnlbusy.New(names, busyBridges, t.TempDir())
	t.Cleanup(td.Remove)
	if err := td.Create(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := td.Delete(t.Context()); err != nil {
		t.Fatal(err)
	}
	p, err := rtnlbusy.WaitHeld(t.Context(), heldAfter, 10*time.Second)
	if err != nil {
		failOrSkip(t, err.Error())
	}
	return p
}

// startBusy starts an exporter and waits only until it serves HTTP. Cleanup
// kills it unless the test stopped it.
func startBusy(t *testing.T, args []string) *harness.Exporter {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), readyTimeout)
	defer cancel()
	e, err := harness.StartExporter(ctx, exporterBinary(), harness.Options{Args: args, ReadyPath: harness.HealthyPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Kill()
		if t.Failed() {
			t.Logf("exporter %v output:\n%s", e.Args(), e.Output())
		}
	})
	return e
}

// failOrSkip fails t in CI (CI=true), where the kernel is known to hold
// RTNL long enough for the test, and skips it elsewhere: a faster kernel
// may tear bridges down too fast to hold the baseline back.
func failOrSkip(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}
