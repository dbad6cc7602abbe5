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

	"golang.org/x/sys/unix"
)

// A Candidate is a namespace file found by a scan. Scans stat it, they never
// open it; use Open for a short-lived file.
type Candidate struct {
	// Path is the namespace file, e.g. /run/netns/foo or /proc/123/ns/net.
	Path string
	// Name is the file name of a bind mount (e.g. "foo"), "" for the
	// namespace of a process.
	Name string
	// Inode is the nsfs inode number: the identity of the namespace, which
	// outlives any one path to it.
	Inode uint64
}

// errChanged is unexported so that callers depend on IsChanged, not on the
// identity of a variable.
var errChanged = errors.New("namespace file changed")

// IsChanged reports whether err says that a namespace file no longer is the
// namespace it was when scanned: it holds another inode, or it is no longer a
// network namespace file (for example a bind mount was replaced by a plain
// file).
func IsChanged(err error) bool {
	return errors.Is(err, errChanged)
}

// selfPath names the caller's network namespace. The exporter never changes
// namespace, so the process's namespace (not the thread's) is the right one.
const selfPath = "/proc/self/ns/net"

// Self returns the inode of the calling process's network namespace and the
// device number of nsfs. Every namespace file shares that device, which is
// how a bind mount of a namespace is told from a plain file without opening
// it.
func Self() (inode, nsfsDev uint64, err error) {
	var st unix.Stat_t
	if err := unix.Stat(selfPath, &st); err != nil {
		return 0, 0, fmt.Errorf("netns: stat %s: %w", selfPath, err)
	}
	return st.Ino, st.Dev, nil
}
