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
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// What a CNI plugin that fails half-way, or a test harness, does: namespaces
// that live a few milliseconds, each with a veth pair between it and the
// host. Such a namespace is gone before any scan can name it, and the
// kernel does not even announce the registration of the veth end inside it
// (the namespace has no nsid yet then): the monitor learns of it from the
// host end, and counts it under "unidentified". Summed over every namespace
// but the host, veth creations and deletions are exactly the host's.
func TestLiveShortLivedNamespaces(t *testing.T) {
	if !testns.Isolate(t) {
		return
	}
	const (
		batches = 4
		triples = 250
		// longLived namespaces live at least minLife each, while the
		// batches run, and keep their own names.
		longLived = 10
		minLife   = 50 * time.Millisecond
	)
	mon := startMonitor(t, dirOptions())
	files := make([]string, batches)
	for b := range files {
		prefix := testns.Name(t, "s")
		lines := make([]string, 0, 3*triples)
		for i := range triples {
			ns := fmt.Sprintf("%s%d%03d", prefix, b, i)
			lines = append(lines,
				"netns add "+ns,
				"link add h"+ns[1:]+" type veth peer name eth0 netns "+ns,
				"netns del "+ns)
		}
		files[b] = filepath.Join(t.TempDir(), "batch")
		if err := os.WriteFile(files[b], []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	long := make([]string, longLived)
	for i := range long {
		long[i] = testns.Name(t, "l")
	}

	start := time.Now()
	errs := make([]error, batches+1)
	var wg sync.WaitGroup
	for b, file := range files {
		wg.Go(func() {
			// Not testns.IP: only the test's goroutine may fail the test.
			if out, err := exec.Command("ip", "-batch", file).CombinedOutput(); err != nil {
				errs[b] = fmt.Errorf("ip -batch %s: %v: %s", file, err, out)
			}
		})
	}
	wg.Go(func() { errs[batches] = liveFor(long, minLife) })
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d short-lived and %d long-lived namespaces made and deleted in %v",
		batches*triples, longLived, time.Since(start).Round(time.Millisecond))

	want := uint64(batches*triples + longLived)
	waitFor(t, mon, time.Minute, "every veth counted", func(s netlinkmon.Snapshot) string {
		host, _ := findNS(s, "host")
		h := countsOf(host)["veth"]
		var others map[string]uint64
		for _, ns := range s.Namespaces {
			if ns.Name == "host" {
				continue
			}
			for k, v := range countsOf(ns)["veth"] {
				if others == nil {
					others = map[string]uint64{}
				}
				others[k] += v
			}
		}
		if h["creations"] != want || h["deletions"] != want ||
			others["creations"] != want || others["deletions"] != want {
			un, _ := findNS(s, netlinkmon.Unidentified)
			return fmt.Sprintf("veth in the host %v, in the other namespaces %v (unidentified %v); want %d creations and deletions in each",
				h, others, countsOf(un)["veth"], want)
		}
		return ""
	})
	s := mon.Snapshot()
	un, _ := findNS(s, netlinkmon.Unidentified)
	t.Logf("all counted after %v: %d namespaces named, unidentified %v; repairs %v",
		time.Since(start).Round(time.Millisecond), len(s.Namespaces)-1, countsOf(un), s.Repairs)
	for _, name := range long {
		ns, ok := findNS(s, name)
		if !ok {
			t.Errorf("namespace %s, which lived %v, is not in the snapshot under its name", name, minLife)
			continue
		}
		if c := countsOf(ns)["veth"]; c["creations"] != 1 || c["deletions"] != 1 {
			t.Errorf("namespace %s: veth %v, want 1 creation and 1 deletion", name, c)
		}
	}
}

// liveFor makes each namespace of names in turn, with a veth pair between it
// and the caller's namespace, and deletes it after life.
func liveFor(names []string, life time.Duration) error {
	for _, ns := range names {
		for _, args := range [][]string{
			{"netns", "add", ns},
			{"link", "add", "h" + ns[1:], "type", "veth", "peer", "name", "eth0", "netns", ns},
		} {
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
			}
		}
		time.Sleep(life)
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			return fmt.Errorf("ip netns del %s: %v: %s", ns, err, out)
		}
	}
	return nil
}
