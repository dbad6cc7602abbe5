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

// An InterfaceSnapshot is a consistent, deep copy of the per-link detail that
// the monitor keeps with Options.LinkDetail, and of nothing else: Snapshot
// has the counters. It is safe to read while the monitor goes on.
type InterfaceSnapshot struct {
	// Namespaces holds the links of every watched namespace, and of the
	// dead ones whose retention has not expired yet, sorted by name. It is
	// empty without Options.LinkDetail.
	Namespaces []NamespaceInterfaces
}

// A NamespaceInterfaces is the per-link detail of one namespace. Its
// identity fields are those of the namespace's Namespace in Snapshot.
type NamespaceInterfaces struct {
	Name   string
	Inode  uint64
	NSID   int32
	Source Source
	Alive  bool
	// Interfaces is the detail of each link present, and of each link
	// that left within the retention, sorted by ifindex.
	Interfaces []Interface
}

// An Interface is the detail of one link, kept with Options.LinkDetail. A
// namespace has at most one per ifindex: a link that takes the ifindex of
// one that left replaces it.
type Interface struct {
	Index     int32
	Name      string
	Kind      string
	OperState string
	// Master is the name of the link's master (a bridge, say), or "" if
	// it has none or the monitor has not seen it.
	Master string
	// Up is IFF_UP, the administrative state; Carrier is IFF_LOWER_UP.
	Up      bool
	Carrier bool
	// CarrierUp and CarrierDown count carrier transitions since the
	// monitor first saw the link in this namespace, from the kernel's
	// counters, as KindCounters do.
	CarrierUp   uint64
	CarrierDown uint64
	// Created is when CarrierUp and CarrierDown began at zero: the latest
	// of when the monitor began counting, when it discovered (named) the
	// namespace, and when it first saw the link in it.
	Created time.Time
	// Deleted is when the link was deleted, moved out, or destroyed with
	// its namespace; the other fields are then its final values. It is the
	// zero time for a link present.
	Deleted time.Time
}
