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

// NumFlags is the number of IFF flag bits the monitor tracks: every bit the
// kernel defines in ifi_flags.
const NumFlags = 19

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
