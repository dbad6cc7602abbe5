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

package eventstream

import (
	"time"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// A linkLine is the JSON line of a link event.
type linkLine struct {
	Time  time.Time            `json:"time"`
	Type  netlinkmon.EventType `json:"type"`
	Netns string               `json:"netns"`
	// NSID is left out for the exporter's own namespace, which has none.
	NSID      *int32         `json:"nsid,omitempty"`
	Link      string         `json:"link"`
	Ifindex   int32          `json:"ifindex"`
	Kind      string         `json:"kind"`
	OperState string         `json:"operstate,omitempty"`
	Via       netlinkmon.Via `json:"via"`

	FlagsSet     []string `json:"flags_set,omitempty"`
	FlagsCleared []string `json:"flags_cleared,omitempty"`
	CarrierUp    uint32   `json:"carrier_up,omitempty"`
	CarrierDown  uint32   `json:"carrier_down,omitempty"`
	OldOperState string   `json:"old_operstate,omitempty"`
	OldName      string   `json:"old_name,omitempty"`
}

// A noticeLine is the JSON line of a notice about the stream: dropped,
// resync or heartbeat.
type noticeLine struct {
	Time   time.Time `json:"time"`
	Type   string    `json:"type"`
	Count  uint64    `json:"count,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// typeHeartbeat is the notice sent when nothing else was for a while, so
// that proxies keep the connection and a dead client is found by a write.
const typeHeartbeat netlinkmon.EventType = "heartbeat"

// line returns what ev looks like on the wire. Times are in UTC.
func line(ev *netlinkmon.Event) any {
	if !isLink(ev.Type) {
		return noticeLine{Time: ev.Time.UTC(), Type: string(ev.Type), Count: ev.Dropped, Reason: ev.Reason}
	}
	l := linkLine{
		Time: ev.Time.UTC(), Type: ev.Type, Netns: ev.Netns,
		Link: ev.Link, Ifindex: ev.Ifindex, Kind: ev.Kind, OperState: ev.OperState, Via: ev.Via,
		FlagsSet: ev.FlagsSet, FlagsCleared: ev.FlagsCleared,
		CarrierUp: ev.CarrierUp, CarrierDown: ev.CarrierDown,
		OldOperState: ev.OldOperState, OldName: ev.OldName,
	}
	if ev.NSID != netlinkmon.NoNSID {
		l.NSID = &ev.NSID
	}
	return l
}

// linkTypes are the event types about a link, which filters apply to.
var linkTypes = []netlinkmon.EventType{
	netlinkmon.EventCreated, netlinkmon.EventDeleted,
	netlinkmon.EventMovedIn, netlinkmon.EventMovedOut, netlinkmon.EventChanged,
}

func isLink(t netlinkmon.EventType) bool {
	for _, lt := range linkTypes {
		if t == lt {
			return true
		}
	}
	return false
}
