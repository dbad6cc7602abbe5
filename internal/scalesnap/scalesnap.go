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

// Package scalesnap makes the snapshot of the spec's scale for benchmarks:
// 1,000 namespaces of 10 veths and a loopback each, as a monitor would
// report them.
package scalesnap

import (
	"fmt"
	"time"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// Namespaces is the spec's scale.
const Namespaces = 1000

// Snapshot returns a snapshot of Namespaces namespaces, each with a
// loopback and 10 veths that were created, went up and got carrier.
func Snapshot() netlinkmon.Snapshot {
	up := -1
	for b := range netlinkmon.NumFlags {
		if netlinkmon.FlagName(b) == "up" {
			up = b
		}
	}
	started := time.Unix(1700000000, 0)
	snap := netlinkmon.Snapshot{
		Discoveries: Namespaces,
		Resyncs:     map[string]uint64{"overrun": 1},
		Messages:    map[string]uint64{"newlink": 40000, "dellink": 10000, "newnsid": 1000},
		Started:     started,
	}
	for i := range Namespaces {
		created := started.Add(time.Duration(i) * time.Second)
		veth := netlinkmon.KindCounters{Kind: "veth", Created: created, Creations: 10, CarrierUp: 10}
		veth.FlagsSet[up] = 10
		snap.Namespaces = append(snap.Namespaces, netlinkmon.Namespace{
			Name: fmt.Sprintf("cni-%08x", i), Inode: 4026532000 + uint64(i), NSID: int32(i),
			Source: netlinkmon.SourceDir, Alive: true, LastEvent: started,
			Kinds: []netlinkmon.KindCounters{{Kind: "device", Created: created}, veth},
			Links: []netlinkmon.LinkCount{
				{Kind: "device", OperState: "unknown", Count: 1},
				{Kind: "veth", OperState: "up", Count: 10},
			},
		})
	}
	return snap
}
