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
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"
)

// A procNS is one process's namespace, kept small because a scan makes one
// per process before it removes duplicates.
type procNS struct {
	inode uint64
	pid   int
}

// ScanProc returns one candidate per distinct network namespace held by a
// process in root (normally "/proc"), sorted by inode. Each namespace is named
// by its lowest pid. Only processes are scanned, not threads: a thread in
// another namespace than its process is rare and short-lived.
//
// It stats root/PID/ns/net and never opens it. Processes that exit during the
// scan, or whose namespace may not be inspected, are skipped: the only error
// is failing to read root itself.
//
// It runs on every rescan over every process, so it reads directory entries
// in batches into one buffer and reuses one path buffer, instead of making
// strings for every entry.
func ScanProc(root string, nsfsDev uint64) ([]Candidate, error) {
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("netns: scan %s: %w", root, err)
	}
	defer func() { _ = unix.Close(fd) }()

	var (
		found []procNS
		buf   = make([]byte, 16<<10)
		path  = make([]byte, 0, 32)
		st    unix.Stat_t
	)
	for {
		n, err := unix.Getdents(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("netns: scan %s: %w", root, err)
		}
		if n == 0 {
			break
		}
		for b := buf[:n]; len(b) > 0; {
			name, rest, ok := nextDirent(b)
			if !ok {
				break
			}
			b = rest
			pid, ok := parsePID(name)
			if !ok {
				continue
			}
			path = append(append(path[:0], name...), "/ns/net"...)
			// Relative to root's fd, so the kernel walks two components,
			// not the whole path.
			if unix.Fstatat(fd, string(path), &st, 0) != nil || st.Dev != nsfsDev {
				continue
			}
			found = append(found, procNS{inode: st.Ino, pid: pid})
		}
	}

	slices.SortFunc(found, func(a, b procNS) int {
		return cmp.Or(cmp.Compare(a.inode, b.inode), cmp.Compare(a.pid, b.pid))
	})
	var cands []Candidate
	for i, p := range found {
		if i > 0 && found[i-1].inode == p.inode {
			continue
		}
		cands = append(cands, Candidate{
			Path:  filepath.Join(root, strconv.Itoa(p.pid), "ns", "net"),
			Inode: p.inode,
		})
	}
	return cands, nil
}

// nextDirent splits the first linux_dirent64 record off b and returns its
// name. The layout is d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1),
// then the NUL-terminated name.
func nextDirent(b []byte) (name, rest []byte, ok bool) {
	const nameOff = 19
	if len(b) < nameOff {
		return nil, nil, false
	}
	reclen := int(binary.NativeEndian.Uint16(b[16:18]))
	if reclen < nameOff || reclen > len(b) {
		return nil, nil, false
	}
	name = b[nameOff:reclen]
	for i, c := range name {
		if c == 0 {
			name = name[:i]
			break
		}
	}
	return name, b[reclen:], true
}

// parsePID returns the pid that name spells, or false if name is not a
// process directory (such as "self" or "sys").
func parsePID(name []byte) (int, bool) {
	// Pids stay below 2^22, and nine digits cannot overflow a 32-bit int.
	if len(name) == 0 || len(name) > 9 {
		return 0, false
	}
	pid := 0
	for _, c := range name {
		if c < '0' || c > '9' {
			return 0, false
		}
		pid = pid*10 + int(c-'0')
	}
	return pid, pid > 0
}
