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

import "errors"

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
