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
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlink-exporter/netlink_exporter/internal/netns"
)

// A namespace file that is gone, or is another file, when the monitor opens
// it is a namespace that died after the scan: it must not block the inode,
// which the kernel gives to the next namespace at once.
func TestVanished(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	self, _, err := netns.Self()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path string
		want bool
	}{
		{"missing file", filepath.Join(dir, "gone"), true},
		{"plain file, as after ip netns del", plain, true},
		{"missing process", "/proc/999999999/ns/net", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := netns.Open(tc.path, self)
			if err == nil {
				f.Close()
				t.Fatalf("netns.Open(%s) succeeded", tc.path)
			}
			if got := vanished(err); got != tc.want {
				t.Errorf("vanished(%v) = %v, want %v", err, got, tc.want)
			}
		})
	}
	if vanished(errors.New("netlinkmon: assign nsid: operation not permitted")) {
		t.Error("vanished is true of an error that says nothing of the file")
	}
}
