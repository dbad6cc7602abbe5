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

package netlinkmon

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// Any process may unicast a datagram to the event socket's port id. One that
// looks like the kernel's announcement of a namespace must not start one.
func TestEventSocketDropsForeignDatagrams(t *testing.T) {
	// In a namespace of its own, the test hears no other test's events.
	if !testns.Isolate(t) {
		return
	}
	s, err := openEventSocket(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	sa, err := unix.Getsockname(s.fd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*unix.SockaddrNetlink).Pid

	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		t.Fatal(err)
	}
	// An RTM_NEWNSID whose header claims the kernel's port id, 0.
	forged := nlMsg(unix.RTM_NEWNSID, nsidPayload(t, 4711))
	if err := unix.Sendto(fd, forged, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: port}); err != nil {
		t.Fatalf("unicast to the event socket's port %d: %v", port, err)
	}
	if err := s.wait(); err != nil {
		t.Fatal(err)
	}
	var b batch
	if _, err := s.drain(&b); err != nil {
		t.Fatal(err)
	}
	if len(b.msgs) != 0 || b.foreign != 1 {
		t.Errorf("decoded %v, dropped %d foreign datagrams; want nothing decoded, 1 dropped", b.msgs, b.foreign)
	}
}
