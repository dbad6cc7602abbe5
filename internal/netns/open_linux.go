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
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Open opens the namespace file at path and checks that it still is the
// network namespace with the given inode: between a scan and Open, a bind
// mount may have been replaced or a pid reused. The check runs on the open
// file, so it cannot race.
//
// The file pins the namespace while it is open: the caller must close it
// right after the one request it is needed for. If the file is another
// namespace, or no network namespace at all, the error satisfies IsChanged. A
// file that is gone gives an error satisfying errors.Is(err, fs.ErrNotExist).
func Open(path string, inode uint64) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("netns: open %s: %w", path, err)
	}
	if err := check(fd, inode); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("netns: open %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// check returns an error wrapping errChanged unless fd is the network
// namespace with the given inode.
func check(fd int, inode uint64) error {
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err != nil {
		return err
	}
	if sfs.Type != unix.NSFS_MAGIC {
		return fmt.Errorf("not a namespace file: %w", errChanged)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Ino != inode {
		return fmt.Errorf("inode %d, want %d: %w", st.Ino, inode, errChanged)
	}
	// Every namespace type lives on nsfs; only a network namespace will do.
	typ, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		return fmt.Errorf("namespace type: %w", err)
	}
	if typ != unix.CLONE_NEWNET {
		return fmt.Errorf("namespace type %#x, not network: %w", typ, errChanged)
	}
	return nil
}
