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
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

func TestScanDir(t *testing.T) {
	self, _, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		root bool
		// setup returns the directory to scan and the candidates expected
		// among the ones found.
		setup   func(t *testing.T, tmp string) (string, []Candidate)
		only    bool // the expected candidates are all there is
		wantErr bool
	}{{
		name: "missing dir",
		setup: func(t *testing.T, tmp string) (string, []Candidate) {
			return filepath.Join(tmp, "missing"), nil
		},
		only: true,
	}, {
		name: "not a dir",
		setup: func(t *testing.T, tmp string) (string, []Candidate) {
			f := filepath.Join(tmp, "file")
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			return f, nil
		},
		wantErr: true,
	}, {
		name: "plain entries",
		setup: func(t *testing.T, tmp string) (string, []Candidate) {
			mustDo(t, os.WriteFile(filepath.Join(tmp, "empty"), nil, 0o444))
			mustDo(t, os.Mkdir(filepath.Join(tmp, "subdir"), 0o755))
			// Symlinks are not followed, even to a namespace.
			mustDo(t, os.Symlink(selfPath, filepath.Join(tmp, "link")))
			mustDo(t, os.Symlink("nowhere", filepath.Join(tmp, "dangling")))
			return tmp, nil
		},
		only: true,
	}, {
		name: "bind mount in any dir",
		root: true,
		setup: func(t *testing.T, tmp string) (string, []Candidate) {
			mustDo(t, os.WriteFile(filepath.Join(tmp, "empty"), nil, 0o444))
			bindSelf(t, filepath.Join(tmp, "x"))
			return tmp, []Candidate{{Path: filepath.Join(tmp, "x"), Name: "x", Inode: self}}
		},
		only: true,
	}, {
		name: "ip netns add",
		root: true,
		setup: func(t *testing.T, tmp string) (string, []Candidate) {
			name := testns.Add(t)
			path := filepath.Join("/run/netns", name)
			return "/run/netns", []Candidate{{Path: path, Name: name, Inode: testns.Inode(t, path)}}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root {
				requireRoot(t)
			}
			dir, want := tt.setup(t, t.TempDir())
			got, err := ScanDir(dir, nsfsDev(t))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ScanDir(%s) error = %v, want error: %v", dir, err, tt.wantErr)
			}
			if tt.only {
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("ScanDir(%s) mismatch (-want +got):\n%s", dir, diff)
				}
				return
			}
			for _, w := range want {
				if !slices.Contains(got, w) {
					t.Errorf("ScanDir(%s) = %+v, want it to contain %+v", dir, got, w)
				}
			}
		})
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
