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

// Package pods finds which Kubernetes pod each network namespace belongs
// to, by asking the node's container runtime through CRI, the API that
// kubelet itself uses. It needs no API server and no RBAC.
//
// A Resolver talks to one runtime: the endpoint it is given, or the first of
// DefaultEndpoints that answers. It lists the runtime's pod sandboxes, asks
// for the verbose status of each one it has not seen, and takes the inode of
// the sandbox's network namespace (the runtime spec's network namespace
// path, or /proc/PID/ns/net of the sandbox's process) as the join key. It
// reports "the namespace with inode X belongs to pod P" to a func that the
// caller wires to whatever watches namespaces; this package does not watch
// namespaces itself.
//
// Attribution is event-driven: the caller tells the Resolver about each new
// namespace with Notify. The runtime creates a sandbox's namespace, and runs
// CNI in it, before it lists the sandbox, so a namespace it does not list yet
// is looked for again, with backoff, for a while. A periodic re-list catches
// whatever that misses and forgets removed sandboxes. No call blocks the
// caller: Notify only records the inode, and the runtime is asked from the
// Resolver's own goroutine, with a deadline on every call.
//
// What a pod's namespace is called after the pod is gone is not this
// package's business: the caller keeps the pod with the living namespace it
// was attached to, so that its retention after death follows the
// namespace's, and a namespace that later gets the same inode (nsfs reuses
// them) is not mistaken for the pod's. A hostNetwork pod has no namespace of
// its own and is never attributed: neither to the host's namespace nor to
// any other.
package pods
