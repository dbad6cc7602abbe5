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

//go:build linux

package rtnlbusy

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// StartProbe sends a probe.
func StartProbe() (*Probe, error) {
	c, err := netlink.Dial(unix.NETLINK_ROUTE, nil)
	if err != nil {
		return nil, fmt.Errorf("rtnlbusy: probe: %w", err)
	}
	// An ifinfomsg for ifindex 1, the loopback link of every namespace.
	ifi := make([]byte, unix.SizeofIfInfomsg)
	binary.NativeEndian.PutUint32(ifi[4:8], 1)
	p := &Probe{Started: time.Now(), done: make(chan struct{})}
	go func() {
		defer c.Close()
		_, err := c.Execute(netlink.Message{
			Header: netlink.Header{Type: unix.RTM_GETLINK, Flags: netlink.Request},
			Data:   ifi,
		})
		p.returned = time.Now()
		if err != nil {
			p.err = fmt.Errorf("rtnlbusy: probe: %w", err)
		}
		close(p.done)
	}()
	return p, nil
}
