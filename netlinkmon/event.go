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

import "time"

// An EventType says what an Event reports.
type EventType string

// Event types. The link events match the counters one for one: a created
// event is one netlink_link_creations_total increment, a changed event holds
// the flag and carrier transitions it counted.
const (
	// EventCreated is a link that came into existence.
	EventCreated EventType = "created"
	// EventDeleted is a link that ceased to exist.
	EventDeleted EventType = "deleted"
	// EventMovedIn is a link that arrived from another namespace.
	EventMovedIn EventType = "moved_in"
	// EventMovedOut is a link that left for another namespace.
	EventMovedOut EventType = "moved_out"
	// EventChanged is a change of a link's flags, carrier, operstate or
	// name.
	EventChanged EventType = "changed"
	// EventResync says that events were lost (an overrun) and that the
	// monitor re-read every namespace: what it finds comes with ViaDump,
	// and toggles inside the blind window are not reported.
	EventResync EventType = "resync"
	// EventDropped says that the subscriber missed Dropped events, right
	// where they are missing, because it did not keep up.
	EventDropped EventType = "dropped"
)

// A Via says how the monitor learned of a link event.
type Via string

// Ways the monitor learns of link events.
const (
	// ViaEvent is a netlink event about the link.
	ViaEvent Via = "event"
	// ViaDump is a difference that a dump found: the first read of a
	// namespace that appeared after the start, or a resync. Changes in
	// between that undid each other are not seen.
	ViaDump Via = "dump"
	// ViaNetnsDeath is a link deleted because its namespace died: the
	// kernel sends no event for those.
	ViaNetnsDeath Via = "netns_death"
	// ViaPeer is the creation of a link that only its veth peer's
	// registration in the exporter's namespace showed: the kernel did not
	// announce it, as its namespace had no nsid yet, and the namespace died
	// before a dump could read it. Its deletion follows, ViaNetnsDeath.
	ViaPeer Via = "peer"
)

// An Event is one thing that happened to a link, as the monitor counted it,
// or a notice about the stream itself (EventResync, EventDropped), which
// has only Type, Time and its own fields.
type Event struct {
	Type EventType
	// Time is when the monitor applied what it read.
	Time time.Time
	Via  Via

	// Netns is the namespace's name; it is empty for a namespace that the
	// kernel announced and no scan has named yet, which NSID then tells.
	Netns string
	// NSID is the namespace's nsid, or NoNSID for the exporter's own.
	NSID    int32
	Ifindex int32
	// Link is the link's name, Kind its IFLA_INFO_KIND or "device".
	Link string
	Kind string
	// OperState is the link's RFC 2863 operstate, when known.
	OperState string

	// FlagsSet and FlagsCleared name the IFF flags that a changed event
	// counted, as FlagName does.
	FlagsSet     []string
	FlagsCleared []string
	// CarrierUp and CarrierDown are the carrier transitions that a changed
	// event counted, from the kernel's counters.
	CarrierUp   uint32
	CarrierDown uint32
	// OldOperState and OldName are set when a changed event saw the
	// operstate or the name change.
	OldOperState string
	OldName      string

	// Reason is why an EventResync happened ("overrun").
	Reason string
	// Dropped is how many events an EventDropped stands for.
	Dropped uint64
}
