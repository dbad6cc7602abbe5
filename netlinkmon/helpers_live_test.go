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

package netlinkmon_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// These tests run the monitor against the real kernel. They need root, and
// skip without it. Each test has its own monitor and its own namespaces, and
// asserts only on those: other tests add and delete namespaces in /run/netns
// at the same time. Tests that count the monitor's own namespace, or global
// counters, run in a child process of their own (testns.Isolate).

const (
	// settle is how long a test waits, once the expected counts are
	// reached, to check that nothing more is counted.
	settle = 200 * time.Millisecond
	// eventually bounds waits for counts that the spec gives no bar for.
	eventually = 20 * time.Second
	// promptly bounds waits for what the spec wants within a second (a
	// new namespace watched, a death seen). The bench measures that bar
	// on a machine that runs nothing else; a test only fails if it never
	// happens, never because the machine was busy.
	promptly = 10 * time.Second
)

// testLog writes the monitor's log lines to the test's log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// startMonitor starts a monitor that cleanup stops, checking that it stops
// without an error.
func startMonitor(t *testing.T, opts netlinkmon.Options) *netlinkmon.Monitor {
	t.Helper()
	return startMonitorIn(t, context.Background(), opts)
}

// startMonitorIn is startMonitor with a context of the caller's, whose values
// the monitor sees (netlinkmon.DropMessages).
func startMonitorIn(t *testing.T, parent context.Context, opts netlinkmon.Options) *netlinkmon.Monitor {
	t.Helper()
	testns.RequireRoot(t)
	if opts.Logger == nil {
		// Shown only when the test fails.
		opts.Logger = slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(parent)
	mon, err := netlinkmon.Start(ctx, opts)
	if err != nil {
		cancel()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		start := time.Now()
		cancel()
		if err := mon.Wait(); err != nil {
			t.Errorf("Wait: %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Wait took %v after the context was cancelled", d.Round(time.Millisecond))
		}
	})
	waitReady(t, mon)
	return mon
}

// readyTimeout bounds the baseline, which waits for the kernel's RTNL lock:
// other tests' bursts may hold it for seconds.
const readyTimeout = 2 * time.Minute

// waitReady waits until the monitor has read its baseline, so that what the
// test makes next is counted.
func waitReady(t *testing.T, mon *netlinkmon.Monitor) {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for {
		err := mon.Ready()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", readyTimeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dirOptions watch /run/netns, where "ip netns add" puts namespaces, and keep
// dead namespaces long enough to be checked.
func dirOptions() netlinkmon.Options {
	return netlinkmon.Options{NetnsDirs: []string{"/run/netns"}, Retention: time.Minute}
}

func findNS(s netlinkmon.Snapshot, name string) (netlinkmon.Namespace, bool) {
	for _, ns := range s.Namespaces {
		if ns.Name == name {
			return ns, true
		}
	}
	return netlinkmon.Namespace{}, false
}

// counts are the non-zero counters of a namespace: kind, then counter name
// (creations, deletions, moves_in, moves_out, carrier_up, carrier_down,
// set/FLAG, cleared/FLAG). Kinds whose counters are all zero are left out.
type counts map[string]map[string]uint64

func countsOf(ns netlinkmon.Namespace) counts {
	out := counts{}
	for _, k := range ns.Kinds {
		c := map[string]uint64{}
		for name, v := range map[string]uint64{
			"creations": k.Creations, "deletions": k.Deletions,
			"moves_in": k.MovesIn, "moves_out": k.MovesOut,
			"carrier_up": k.CarrierUp, "carrier_down": k.CarrierDown,
		} {
			if v != 0 {
				c[name] = v
			}
		}
		for b := range netlinkmon.NumFlags {
			if v := k.FlagsSet[b]; v != 0 {
				c["set/"+netlinkmon.FlagName(b)] = v
			}
			if v := k.FlagsCleared[b]; v != 0 {
				c["cleared/"+netlinkmon.FlagName(b)] = v
			}
		}
		if len(c) > 0 {
			out[k.Kind] = c
		}
	}
	return out
}

// linksOf returns the links gauge of a namespace as "kind/operstate": count.
func linksOf(ns netlinkmon.Namespace) map[string]int {
	out := map[string]int{}
	for _, l := range ns.Links {
		out[l.Kind+"/"+l.OperState] += l.Count
	}
	return out
}

// waitFor polls the monitor until diff returns "", and fails with the last
// difference after timeout.
func waitFor(t *testing.T, mon *netlinkmon.Monitor, timeout time.Duration, what string, diff func(netlinkmon.Snapshot) string) {
	t.Helper()
	waitForSnapshot(t, mon.Snapshot, timeout, what, diff)
}

// waitForSnapshot is waitFor on the snapshots that snap takes.
func waitForSnapshot[S any](t *testing.T, snap func() S, timeout time.Duration, what string, diff func(S) string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		d := diff(snap())
		if d == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, %s: %s", timeout, what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countsDiff(name string, want counts) func(netlinkmon.Snapshot) string {
	return func(s netlinkmon.Snapshot) string {
		ns, ok := findNS(s, name)
		if !ok {
			return "namespace " + name + " is not in the snapshot"
		}
		if d := cmp.Diff(want, countsOf(ns)); d != "" {
			return "counters (-want +got):\n" + d
		}
		return ""
	}
}

func linksDiff(name string, want map[string]int) func(netlinkmon.Snapshot) string {
	return func(s netlinkmon.Snapshot) string {
		ns, ok := findNS(s, name)
		if !ok {
			return "namespace " + name + " is not in the snapshot"
		}
		if d := cmp.Diff(want, linksOf(ns)); d != "" {
			return "links (-want +got):\n" + d
		}
		return ""
	}
}

// expectCounts waits until the counters of namespace name are exactly want,
// then checks that they still are a moment later: nothing extra arrived.
func expectCounts(t *testing.T, mon *netlinkmon.Monitor, name string, timeout time.Duration, want counts) {
	t.Helper()
	waitFor(t, mon, timeout, "namespace "+name, countsDiff(name, want))
	time.Sleep(settle)
	if d := countsDiff(name, want)(mon.Snapshot()); d != "" {
		t.Fatalf("namespace %s, %v after reaching the expected counts: %s", name, settle, d)
	}
}

// expectLinks waits until the links gauge of namespace name is exactly want.
func expectLinks(t *testing.T, mon *netlinkmon.Monitor, name string, want map[string]int) {
	t.Helper()
	waitFor(t, mon, eventually, "namespace "+name, linksDiff(name, want))
}

// waitWatched waits until the namespace is in the snapshot, alive and
// from source src, and returns it.
func waitWatched(t *testing.T, mon *netlinkmon.Monitor, name string, src netlinkmon.Source, timeout time.Duration) netlinkmon.Namespace {
	t.Helper()
	var ns netlinkmon.Namespace
	waitFor(t, mon, timeout, "namespace "+name+" watched", func(s netlinkmon.Snapshot) string {
		var ok bool
		ns, ok = findNS(s, name)
		switch {
		case !ok:
			return "not in the snapshot"
		case !ns.Alive || ns.Source != src:
			return fmt.Sprintf("alive %v, source %q; want alive, source %q", ns.Alive, ns.Source, src)
		}
		return ""
	})
	return ns
}

// waitDead waits until the namespace is in the snapshot and dead.
func waitDead(t *testing.T, mon *netlinkmon.Monitor, name string, timeout time.Duration) {
	t.Helper()
	waitFor(t, mon, timeout, "namespace "+name+" dead", func(s netlinkmon.Snapshot) string {
		ns, ok := findNS(s, name)
		switch {
		case !ok:
			return "not in the snapshot"
		case ns.Alive:
			return "still alive"
		}
		return ""
	})
}

// ipIn runs ip(8) in the network namespace of process pid, which may have
// no name.
func ipIn(t *testing.T, pid int, args ...string) {
	t.Helper()
	args = append([]string{"-t", strconv.Itoa(pid), "-n", "ip"}, args...)
	if out, err := exec.Command("nsenter", args...).CombinedOutput(); err != nil {
		t.Fatalf("nsenter %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// bindInto makes a namespace in /run/netns, orig, and bind-mounts it into dir
// under a name of its own; remove unmounts it and deletes the namespace.
func bindInto(t *testing.T, dir string) (name, orig string, remove func()) {
	t.Helper()
	orig = testns.Add(t)
	name = testns.Name(t, "dir")
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("/run/netns/"+orig, path, "", unix.MS_BIND, ""); err != nil {
		t.Fatalf("bind /run/netns/%s on %s: %v", orig, path, err)
	}
	mounted := true
	remove = func() {
		if mounted {
			mounted = false
			if err := unix.Unmount(path, unix.MNT_DETACH); err != nil {
				t.Errorf("unmount %s: %v", path, err)
			}
			testns.Del(t, orig)
		}
	}
	t.Cleanup(remove)
	return name, orig, remove
}
