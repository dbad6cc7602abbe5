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
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// loopbackIndex is the ifindex of the loopback device, the first device of
// every network namespace.
const loopbackIndex = 1

// probe checks, by asking, that the kernel has the features the monitor
// needs, and names the one it lacks. A kernel version says little: features
// are backported, and distributions patch their kernels.
func (r *requester) probe() error {
	// An old kernel ignores an attribute it does not know in a dump
	// request: asked for the links of another namespace, it would dump the
	// exporter's own, and every namespace would count the host's links.
	// Asked for an nsid that cannot exist, a kernel with the feature
	// refuses.
	target := NoNSID
	d, _, err := r.dumpLinks(&target)
	switch {
	case err == nil:
		return fmt.Errorf("netlinkmon: the kernel ignores IFLA_TARGET_NETNSID in link dumps (returned %d links for nsid %d): "+
			"reading the links of other namespaces needs Linux 4.20 or later", len(d.links), target)
	case !errors.Is(err, unix.EINVAL):
		return fmt.Errorf("netlinkmon: probe IFLA_TARGET_NETNSID in link dumps: %w", err)
	}
	// Carrier transitions come from the kernel's per-link counters.
	lo, err := r.link(loopbackIndex)
	switch {
	case err != nil:
		return fmt.Errorf("netlinkmon: probe the carrier counters of the loopback device: %w", err)
	case !lo.hasCarrier:
		return errors.New("netlinkmon: the kernel reports no IFLA_CARRIER_UP_COUNT and IFLA_CARRIER_DOWN_COUNT: " +
			"counting carrier changes needs Linux 4.16 or later")
	}
	return nil
}

// link asks for one link of the exporter's namespace by its ifindex.
func (r *requester) link(index int32) (link, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.IFLA_EXT_MASK, rtextFilterSkipStats)
	attrs, err := ae.Encode()
	if err != nil {
		return link{}, err
	}
	ifi := make([]byte, unix.SizeofIfInfomsg)
	binary.NativeEndian.PutUint32(ifi[4:8], uint32(index))
	var (
		l     link
		found bool
		bad   error
	)
	_, err = r.roundTrip(unix.RTM_GETLINK, unix.NLM_F_REQUEST, append(ifi, attrs...), func(typ uint16, b []byte) {
		if typ == unix.RTM_NEWLINK && !found {
			l, bad = decodeLink(b, r.kinds)
			found = true
		}
	})
	switch {
	case err != nil:
		return link{}, err
	case bad != nil:
		return link{}, bad
	case !found:
		return link{}, fmt.Errorf("%w: no RTM_NEWLINK in reply", errMalformed)
	}
	return l, nil
}
