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
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ScanDir returns the namespace bind mounts directly in dir, sorted by name:
// the entries on the nsfs device nsfsDev (see Self). A missing dir returns
// (nil, nil), since /run/netns exists only after the first "ip netns add".
//
// Entries are checked with lstat, never opened. Symlinks are not followed: a
// link to /proc/PID/ns/net is a process's namespace, found by ScanProc. Plain
// files are skipped, including the empty file that "ip netns add" creates
// before it bind-mounts the namespace onto it. Entries removed during the
// scan are skipped.
func ScanDir(dir string, nsfsDev uint64) ([]Candidate, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netns: scan %s: %w", dir, err)
	}
	var found []Candidate
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		var st unix.Stat_t
		// lstat stays on the mount point: it reports the mounted nsfs
		// inode, not the empty file underneath.
		err := unix.Lstat(path, &st)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("netns: scan %s: %w", dir, err)
		}
		if st.Dev != nsfsDev {
			continue
		}
		found = append(found, Candidate{Path: path, Name: e.Name(), Inode: st.Ino})
	}
	return found, nil
}
