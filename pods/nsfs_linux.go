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

package pods

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/netlink-exporter/netlink_exporter/internal/netns"
)

// errNotNamespace is returned for a path that is no namespace file: a
// runtime's bind mount that is gone leaves an empty file behind, or nothing.
var errNotNamespace = errors.New("not a namespace file")

// nsfs finds namespaces' inodes on this host.
type nsfs struct {
	dev uint64
	// host holds the inodes of the exporter's own network namespace and,
	// where the exporter sees the host's processes, of pid 1's.
	host map[uint64]bool
	// proc is where the processes are: /proc, but for tests.
	proc string
}

func openNSFS() (*nsfs, error) {
	self, dev, err := netns.Self()
	if err != nil {
		return nil, fmt.Errorf("pods: %w", err)
	}
	fs := &nsfs{dev: dev, host: map[uint64]bool{self: true}, proc: "/proc"}
	// The exporter may run in a namespace of its own while a hostNetwork
	// sandbox's process is in the host's: pid 1's is the host's where the
	// exporter shares the host's pid namespace, and a container's own
	// init's otherwise, which is no pod's either.
	if ino, err := fs.inode("/proc/1/ns/net"); err == nil {
		fs.host[ino] = true
	}
	return fs, nil
}

// inode returns the inode of the namespace file at path.
func (fs *nsfs) inode(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Dev != fs.dev {
		return 0, fmt.Errorf("%s: %w", path, errNotNamespace)
	}
	return st.Ino, nil
}
