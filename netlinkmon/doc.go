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

// Package netlinkmon watches link events in every network namespace of a
// Linux host and counts them per namespace.
//
// One event socket in the host namespace listens with NETLINK_LISTEN_ALL_NSID
// and hears every namespace that has an nsid. The monitor assigns nsids to the
// namespaces it discovers (bind mounts in watched directories, processes, and
// those the kernel announces), seeds each one's link state with a dump through
// IFLA_TARGET_NETNSID, and treats RTM_DELNSID as the namespace's death. It
// never holds a file descriptor or socket of another namespace for longer than
// one request: either would keep a dead namespace, and its devices, alive.
//
// Callers read the counters through Snapshot, and follow what is counted,
// event by event, through Subscribe. The package has no Prometheus
// dependency. With Options.LinkDetail, InterfaceSnapshot has each link's
// detail, which costs memory per link.
package netlinkmon
