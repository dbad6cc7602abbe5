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
	"math/bits"
	"testing"

	"golang.org/x/sys/unix"
)

// The portable IFF bits are Linux's, and FlagName names each after iproute2.
func TestIFFBits(t *testing.T) {
	tests := []struct {
		name      string
		bit, unix uint32
	}{
		{"up", iffUp, unix.IFF_UP},
		{"broadcast", iffBroadcast, unix.IFF_BROADCAST},
		{"debug", iffDebug, unix.IFF_DEBUG},
		{"loopback", iffLoopback, unix.IFF_LOOPBACK},
		{"pointopoint", iffPointopoint, unix.IFF_POINTOPOINT},
		{"notrailers", iffNotrailers, unix.IFF_NOTRAILERS},
		{"running", iffRunning, unix.IFF_RUNNING},
		{"noarp", iffNoarp, unix.IFF_NOARP},
		{"promisc", iffPromisc, unix.IFF_PROMISC},
		{"allmulti", iffAllmulti, unix.IFF_ALLMULTI},
		{"master", iffMaster, unix.IFF_MASTER},
		{"slave", iffSlave, unix.IFF_SLAVE},
		{"multicast", iffMulticast, unix.IFF_MULTICAST},
		{"portsel", iffPortsel, unix.IFF_PORTSEL},
		{"automedia", iffAutomedia, unix.IFF_AUTOMEDIA},
		{"dynamic", iffDynamic, unix.IFF_DYNAMIC},
		{"lower_up", iffLowerUp, unix.IFF_LOWER_UP},
		{"dormant", iffDormant, unix.IFF_DORMANT},
		{"echo", iffEcho, unix.IFF_ECHO},
	}
	if len(tests) != NumFlags {
		t.Fatalf("%d bits checked, want all %d", len(tests), NumFlags)
	}
	for _, tt := range tests {
		if tt.bit != tt.unix {
			t.Errorf("%s: bit %#x, Linux's is %#x", tt.name, tt.bit, tt.unix)
		}
		if got := FlagName(bits.TrailingZeros32(tt.bit)); got != tt.name {
			t.Errorf("FlagName of %#x = %q, want %q", tt.bit, got, tt.name)
		}
	}
}
