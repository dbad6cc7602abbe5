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

// changeAll is ifi_change of a registration, a move into the namespace, or an
// unregistration. The kernel's other values only cover ifi_flags bits that an
// administrative request changed, so flag changes are found by diffing.
const changeAll = 0xffffffff

// A msgType is the kind of a message the monitor reacts to.
type msgType uint8

const (
	msgOther msgType = iota
	msgNewLink
	msgDelLink
	msgNewNSID
	msgDelNSID
	numMsgTypes
)

// msgTypeNames label netlink_messages_total.
var msgTypeNames = [numMsgTypes]string{"other", "newlink", "dellink", "newnsid", "delnsid"}

// A link is what one RTM_NEWLINK or RTM_DELLINK says of a link, reduced to
// what the counters need.
type link struct {
	index  int32
	flags  uint32
	change uint32
	name   string
	kind   string
	oper   uint8
	// master is the ifindex of the link's master (a bridge, say) in the
	// same namespace, or 0.
	master int32
	// peer is IFLA_LINK: the ifindex of the link's peer (a veth's other
	// end) or lower device, in the namespace that linkNSID names when
	// hasLinkNSID, else in the link's own; 0 if none.
	peer int32
	// linkNSID is IFLA_LINK_NETNSID, relative to the link's namespace:
	// where its peer or lower device lives when that is another one.
	hasLinkNSID bool
	linkNSID    int32

	hasCarrier  bool
	carrierUp   uint32
	carrierDown uint32

	// moved is set on the RTM_DELLINK of a link that left for another
	// namespace; newNSID is then relative to the namespace it left.
	moved      bool
	newNSID    int32
	newIfindex int32
}

// A message is one decoded message from the event socket: a link or nsid
// event as the kernel announced it. (An Event is what the monitor counted.)
type message struct {
	typ msgType
	// local is true for messages of the exporter's own namespace, which
	// the kernel sends without an nsid.
	local bool
	// nsid is the namespace the message is about, when !local.
	nsid int32
	// link is set for msgNewLink and msgDelLink.
	link link
	// peer is the nsid that msgNewNSID or msgDelNSID announces.
	peer int32
}

// A linkDump is the links of one namespace, as one dump read them.
type linkDump struct {
	links []link
	// skipped holds the ifindexes of links whose messages were malformed
	// where the counters need them: the dump tells nothing of those links.
	skipped []int32
	// blind is set when a malformed message did not even hold an ifindex:
	// the dump cannot tell which links are gone.
	blind bool
	// malformed counts the messages skipped.
	malformed int
	// interruptions counts the attempts that the kernel interrupted.
	interruptions int
}
