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

// OpenSelf opens the file of the calling process's network namespace, which
// RTM_GETNSID takes to name it.
func OpenSelf() (*os.File, error) {
	f, err := os.Open(selfPath)
	if err != nil {
		return nil, fmt.Errorf("netns: %w", err)
	}
	return f, nil
}
