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

import "math/bits"

// NumFlags is the number of IFF flag bits the monitor tracks: every bit the
// kernel defines in ifi_flags.
const NumFlags = 19

// The IFF bits of ifi_flags as Linux numbers them (include/uapi/linux/if.h),
// in the order of flagNames. They are spelled out rather than taken from
// x/sys/unix, which lacks IFF_LOWER_UP, IFF_DORMANT and IFF_ECHO on other
// systems and numbers IFF_MULTICAST differently on some: the state the
// monitor keeps is Linux's, but it builds, and its tests run, anywhere.
const (
	iffUp = 1 << iota
	iffBroadcast
	iffDebug
	iffLoopback
	iffPointopoint
	iffNotrailers
	iffRunning
	iffNoarp
	iffPromisc
	iffAllmulti
	iffMaster
	iffSlave
	iffMulticast
	iffPortsel
	iffAutomedia
	iffDynamic
	iffLowerUp
	iffDormant
	iffEcho
)

// flagNames are iproute2's lowercase names of the IFF bits, indexed by bit.
var flagNames = [NumFlags]string{
	"up", "broadcast", "debug", "loopback", "pointopoint", "notrailers",
	"running", "noarp", "promisc", "allmulti", "master", "slave",
	"multicast", "portsel", "automedia", "dynamic", "lower_up", "dormant",
	"echo",
}

// FlagName returns iproute2's name of IFF flag bit b, or "" if b is out of
// range.
func FlagName(b int) string {
	if b < 0 || b >= NumFlags {
		return ""
	}
	return flagNames[b]
}

// flagDiff returns the tracked IFF bits that go from old to new: those set,
// and those cleared.
func flagDiff(old, new uint32) (set, cleared uint32) {
	diff := (old ^ new) & (1<<NumFlags - 1)
	return diff & new, diff &^ new
}

// namesOf returns the names of the flag bits in m, lowest first, or nil.
func namesOf(m uint32) []string {
	var out []string
	for ; m != 0; m &= m - 1 {
		out = append(out, flagNames[bits.TrailingZeros32(m)])
	}
	return out
}
