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
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

func TestOpen(t *testing.T) {
	self, _, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(t.TempDir(), "plain")
	mustDo(t, os.WriteFile(plain, nil, 0o644))
	tests := []struct {
		name        string
		path        string
		inode       uint64
		wantChanged bool
		wantMissing bool
	}{
		{name: "same namespace", path: selfPath, inode: self},
		{name: "other inode", path: selfPath, inode: self + 1, wantChanged: true},
		{name: "plain file", path: plain, inode: testns.Inode(t, plain), wantChanged: true},
		// Same inode as scanned, but a namespace of another type.
		{name: "not a network namespace", path: "/proc/self/ns/uts", inode: testns.Inode(t, "/proc/self/ns/uts"), wantChanged: true},
		{name: "missing", path: filepath.Join(t.TempDir(), "missing"), inode: self, wantMissing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fdCount(t)
			f, err := Open(tt.path, tt.inode)
			if got := IsChanged(err); got != tt.wantChanged {
				t.Errorf("Open(%s, %d) = %v, IsChanged = %v, want %v", tt.path, tt.inode, err, got, tt.wantChanged)
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tt.wantMissing {
				t.Errorf("Open(%s, %d) = %v, is ErrNotExist = %v, want %v", tt.path, tt.inode, err, got, tt.wantMissing)
			}
			if err != nil {
				if f != nil {
					t.Errorf("Open(%s, %d) returned a file with error %v", tt.path, tt.inode, err)
				}
				if after := fdCount(t); after != before {
					t.Errorf("Open(%s, %d) failed but left %d more fds open", tt.path, tt.inode, after-before)
				}
				return
			}
			defer f.Close()
			if ino := testns.Inode(t, "/proc/self/fd/"+fdName(f)); ino != tt.inode {
				t.Errorf("Open(%s, %d) opened inode %d", tt.path, tt.inode, ino)
			}
		})
	}
}
