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
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// TestScanProcFake scans fake proc roots, whose ns/net entries are symlinks
// to this process's namespace, plain files or missing.
func TestScanProcFake(t *testing.T) {
	self, _, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	link := func(t *testing.T, root, pid string) {
		mustDo(t, os.MkdirAll(filepath.Join(root, pid, "ns"), 0o755))
		mustDo(t, os.Symlink(selfPath, filepath.Join(root, pid, "ns", "net")))
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, root string)
		pid   string // the pid expected to stand for this namespace, if any
	}{{
		name:  "process",
		setup: func(t *testing.T, root string) { link(t, root, "7") },
		pid:   "7",
	}, {
		name: "lowest pid per namespace",
		setup: func(t *testing.T, root string) {
			link(t, root, "12")
			link(t, root, "9")
			link(t, root, "100")
		},
		pid: "9",
	}, {
		name: "not a pid",
		setup: func(t *testing.T, root string) {
			link(t, root, "self")
			link(t, root, "0")
			link(t, root, "12a")
			link(t, root, "1234567890")
		},
	}, {
		name: "no namespace",
		setup: func(t *testing.T, root string) {
			mustDo(t, os.Mkdir(filepath.Join(root, "3"), 0o755))
			mustDo(t, os.WriteFile(filepath.Join(root, "4"), nil, 0o644))
		},
	}, {
		name: "plain file",
		setup: func(t *testing.T, root string) {
			mustDo(t, os.MkdirAll(filepath.Join(root, "5", "ns"), 0o755))
			mustDo(t, os.WriteFile(filepath.Join(root, "5", "ns", "net"), nil, 0o644))
		},
	}, {
		name: "vanished",
		setup: func(t *testing.T, root string) {
			mustDo(t, os.Symlink("gone", filepath.Join(root, "6")))
			mustDo(t, os.MkdirAll(filepath.Join(root, "8", "ns"), 0o755))
			mustDo(t, os.Symlink("/proc/0/ns/net", filepath.Join(root, "8", "ns", "net")))
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tt.setup(t, root)
			got, err := ScanProc(root, nsfsDev(t))
			if err != nil {
				t.Fatalf("ScanProc(%s): %v", root, err)
			}
			var want []Candidate
			if tt.pid != "" {
				want = []Candidate{{Path: filepath.Join(root, tt.pid, "ns", "net"), Inode: self}}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ScanProc(%s) mismatch (-want +got):\n%s", root, diff)
			}
		})
	}
}

func TestScanProcMissingRoot(t *testing.T) {
	if got, err := ScanProc(filepath.Join(t.TempDir(), "missing"), nsfsDev(t)); err == nil {
		t.Errorf("ScanProc(missing) = %v, want an error", got)
	}
}

func TestScanProcUnshared(t *testing.T) {
	requireRoot(t)
	_, want := testns.Unshare(t)
	self, dev, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ScanProc("/proc", dev)
	if err != nil {
		t.Fatal(err)
	}
	found := map[uint64]bool{}
	for i, c := range got {
		if i > 0 && got[i-1].Inode >= c.Inode {
			t.Errorf("ScanProc: %+v before %+v, want ascending distinct inodes", got[i-1], c)
		}
		if ino := testns.Inode(t, c.Path); ino != c.Inode {
			t.Errorf("ScanProc: %+v, but %s has inode %d", c, c.Path, ino)
		}
		found[c.Inode] = true
	}
	for _, ino := range []uint64{self, want} {
		if !found[ino] {
			t.Errorf("ScanProc(/proc) = %+v, want namespace %d", got, ino)
		}
	}
}

func BenchmarkScanProc(b *testing.B) {
	_, dev, err := Self()
	if err != nil {
		b.Fatal(err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	pids := 0
	for _, e := range entries {
		if _, ok := parsePID([]byte(e.Name())); ok {
			pids++
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ScanProc("/proc", dev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(pids), "pids")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(pids), "ns/pid")
}
