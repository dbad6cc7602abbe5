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

package netns

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// TestNoPin checks that scanning, watching and Open+Close leave nothing that
// keeps a namespace alive: once its last user lets go, its veth end on the
// host must vanish. The control case holds the file from Open, to show that
// the check would notice a pin.
func TestNoPin(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		name string
		// setup makes a namespace with a veth end in it. It returns the
		// Candidate a scan must find and a func that lets go of it.
		setup func(t *testing.T) (Candidate, func())
		hold  bool // keep the file from Open while the namespace is let go
	}{{
		name: "bind mount",
		setup: func(t *testing.T) (Candidate, func()) {
			name := testns.Add(t)
			path := filepath.Join("/run/netns", name)
			return Candidate{Path: path, Name: name, Inode: testns.Inode(t, path)},
				func() { testns.IP(t, "netns", "del", name) }
		},
	}, {
		name: "process",
		setup: func(t *testing.T) (Candidate, func()) {
			pid, inode := testns.Unshare(t)
			path := filepath.Join("/proc", strconv.Itoa(pid), "ns", "net")
			// A process leaves its namespaces when it exits, before it is
			// reaped (testns's cleanup reaps it).
			return Candidate{Path: path, Inode: inode},
				func() { mustDo(t, unix.Kill(pid, unix.SIGKILL)) }
		},
	}, {
		name: "control: held open",
		setup: func(t *testing.T) (Candidate, func()) {
			name := testns.Add(t)
			path := filepath.Join("/run/netns", name)
			return Candidate{Path: path, Name: name, Inode: testns.Inode(t, path)},
				func() { testns.IP(t, "netns", "del", name) }
		},
		hold: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = startWatch(t, "/run/netns")
			dev := nsfsDev(t)
			want, letGo := tt.setup(t)
			host := addVeth(t, want.Path)
			found := false
			for _, scan := range []func() ([]Candidate, error){
				func() ([]Candidate, error) { return ScanDir("/run/netns", dev) },
				func() ([]Candidate, error) { return ScanProc("/proc", dev) },
			} {
				cands, err := scan()
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range cands {
					found = found || c == want
				}
			}
			if !found {
				t.Fatalf("no scan found %+v", want)
			}
			f, err := Open(want.Path, want.Inode)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.hold {
				mustDo(t, f.Close())
			}

			letGo()
			if tt.hold {
				time.Sleep(300 * time.Millisecond)
				if !testns.LinkExists(host, "") {
					t.Fatalf("%s vanished while the namespace was held open", host)
				}
				mustDo(t, f.Close())
			}
			waitGone(t, host)
		})
	}
}

// waitGone fails t unless link vanishes within a second.
func waitGone(t *testing.T, link string) {
	t.Helper()
	start := time.Now()
	for testns.LinkExists(link, "") {
		if time.Since(start) > time.Second {
			t.Fatalf("%s still exists 1s after its namespace was let go: pinned", link)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("%s gone after %v", link, time.Since(start))
}
