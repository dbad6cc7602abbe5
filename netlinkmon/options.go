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
	"fmt"
	"log/slog"
	"time"
)

// Defaults. A zero ReceiveBufferSize or RescanInterval takes its default; a
// zero Retention means none. The package documentation says why each has
// its value.
const (
	// DefaultReceiveBufferSize holds a 2,000-veth-pair burst with room to
	// spare.
	DefaultReceiveBufferSize = 32 << 20
	// DefaultRescanInterval is how often the registry is checked against
	// the kernel.
	DefaultRescanInterval = 10 * time.Second
	// DefaultRetention is the exporter's default for how long a dead
	// namespace's counters stay.
	DefaultRetention = 5 * time.Minute
)

// Options configure a Monitor.
type Options struct {
	// Logger receives the monitor's logs. Nil discards them.
	Logger *slog.Logger
	// NetnsDirs are directories of namespace bind mounts (such as
	// /run/netns), watched for additions and removals. A directory that
	// does not exist yet is watched for once it appears.
	NetnsDirs []string
	// ProcScan enables discovery of namespaces held only by processes.
	ProcScan bool
	// RescanInterval is how often the registry is checked against the
	// kernel: the directories and (with ProcScan) the processes are
	// scanned, and the nsid table compared; see "Self-repair" in the
	// package documentation.
	RescanInterval time.Duration
	// Retention is how long the counters of a dead namespace stay in
	// snapshots. Zero leaves them out from the death on.
	Retention time.Duration
	// ReceiveBufferSize is the event socket's receive buffer in bytes.
	ReceiveBufferSize int
	// NamespaceAdded, if set, is called with the inode of each namespace
	// that begins to be watched, those of the baseline included, so that
	// a caller can attach its pod (Monitor.AttachPod). It is called from
	// the monitor's goroutine with no lock held, and must not block.
	NamespaceAdded func(inode uint64)
	// LinkDetail keeps the detail of every link (InterfaceSnapshot), and
	// the final detail of links that left, for Retention. It costs
	// memory and snapshot time per link; without it there is none.
	LinkDetail bool
}

func (o Options) withDefaults() (Options, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.RescanInterval == 0 {
		o.RescanInterval = DefaultRescanInterval
	}
	if o.ReceiveBufferSize == 0 {
		o.ReceiveBufferSize = DefaultReceiveBufferSize
	}
	switch {
	case o.RescanInterval < 0:
		return o, fmt.Errorf("netlinkmon: rescan interval %v is negative", o.RescanInterval)
	case o.Retention < 0:
		return o, fmt.Errorf("netlinkmon: retention %v is negative", o.Retention)
	case o.ReceiveBufferSize < 0:
		return o, fmt.Errorf("netlinkmon: receive buffer size %d is negative", o.ReceiveBufferSize)
	}
	return o, nil
}
