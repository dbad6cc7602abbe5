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
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// A capability the monitor needs, with the reason given to users who lack it.
type capability struct {
	bit  uint
	name string
	why  string
}

var (
	capNetAdmin     = capability{12, "CAP_NET_ADMIN", "to assign nsids to namespaces and to size the receive buffer"}
	capNetBroadcast = capability{11, "CAP_NET_BROADCAST", "to hear every namespace with NETLINK_LISTEN_ALL_NSID"}
	capSysPtrace    = capability{19, "CAP_SYS_PTRACE", "to read other users' /proc/PID/ns/net for process discovery (or pass --no-netns.proc)"}
)

// checkCaps returns an error naming each capability in need that the
// process lacks.
func checkCaps(need []capability) error {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return fmt.Errorf("netlinkmon: read capabilities: %w", err)
	}
	defer f.Close()
	return missingCaps(f, need)
}

// missingCaps reads the effective capability set from a /proc/PID/status
// file and returns an error naming each needed capability that is missing.
func missingCaps(status io.Reader, need []capability) error {
	eff, err := effectiveCaps(status)
	if err != nil {
		return err
	}
	var missing []string
	for _, c := range need {
		if eff&(1<<c.bit) == 0 {
			missing = append(missing, c.name+" ("+c.why+")")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("netlinkmon: missing capabilities: %s", strings.Join(missing, "; "))
	}
	return nil
}

func effectiveCaps(status io.Reader) (uint64, error) {
	sc := bufio.NewScanner(status)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "CapEff:")
		if !ok {
			continue
		}
		eff, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return 0, fmt.Errorf("netlinkmon: parse CapEff %q: %w", strings.TrimSpace(v), err)
		}
		return eff, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("netlinkmon: read capabilities: %w", err)
	}
	return 0, fmt.Errorf("netlinkmon: no CapEff line in process status")
}
