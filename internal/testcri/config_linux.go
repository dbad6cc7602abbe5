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

package testcri

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// containerdConfig is the configuration that works on these machines (see
// the package documentation of what each line avoids). Plugins that would
// create directories outside the runtime's own (/opt/containerd) or that
// these tests do not need are disabled.
const containerdConfig = `version = 2
root = %[1]q
state = %[2]q
disabled_plugins = [
  "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
]

[grpc]
  address = %[3]q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[4]q
  # Without it, every sandbox fails here: the runtime may not lower
  # oom_score_adj to -998.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = %[5]q
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %[6]q
    conf_dir = %[7]q
`

// cniBinDir is where Debian's containernetworking-plugins are.
const cniBinDir = "/usr/lib/cni"

// writeConfig writes containerd's configuration and the CNI network's into
// r.Dir.
func (r *Runtime) writeConfig() error {
	conf := fmt.Sprintf(containerdConfig,
		filepath.Join(r.Dir, "root"), filepath.Join(r.Dir, "state"), r.Socket, PauseImage,
		filepath.Join(r.Dir, "runc"), cniBinDir, filepath.Join(r.Dir, "net.d"))
	if err := os.WriteFile(filepath.Join(r.Dir, "config.toml"), []byte(conf), 0o600); err != nil {
		return fmt.Errorf("testcri: %w", err)
	}
	netconf, err := json.MarshalIndent(map[string]any{
		"cniVersion": "1.0.0",
		"name":       r.Network,
		"plugins": []map[string]any{
			{
				"type":   "bridge",
				"bridge": r.Bridge,
				// No address on the bridge, no route, no NAT: the host's
				// own networking stays as it is.
				"isGateway": false,
				"ipMasq":    false,
				"ipam": map[string]any{
					"type":    "host-local",
					"ranges":  [][]map[string]string{{{"subnet": r.Subnet}}},
					"dataDir": filepath.Join(r.Dir, "ipam"),
				},
			},
			{"type": "loopback"},
		},
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("testcri: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(r.Dir, "net.d"), 0o755); err != nil {
		return fmt.Errorf("testcri: %w", err)
	}
	if err := os.WriteFile(filepath.Join(r.Dir, "net.d", "10-"+r.Network+".conflist"), netconf, 0o644); err != nil {
		return fmt.Errorf("testcri: %w", err)
	}
	return nil
}

// randomSubnet returns a /21 (2,046 addresses: room for as many sandboxes as
// a machine here runs) in 10.200.0.0/13, which nothing on these machines
// uses. Runtimes of tests running at the same time pick different ones
// most of the time; as the bridge has no address, even a collision would
// only share a range between two bridges that never meet.
func randomSubnet() string {
	return fmt.Sprintf("10.%d.%d.0/21", 200+rand.IntN(8), 8*rand.IntN(32))
}
