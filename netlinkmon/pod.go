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

// A Pod is the Kubernetes pod that a network namespace belongs to. The
// fields are named after kube-state-metrics' labels. The monitor does not
// find pods itself: whatever asks the node's container runtime attaches
// them with Monitor.AttachPod.
type Pod struct {
	// Namespace is the pod's Kubernetes namespace.
	Namespace string
	// Name is the pod's name.
	Name string
	// UID is the pod's uid.
	UID string
}

// attachPod records that the living namespace with this inode belongs to
// pod, and reports whether there is one. The pod stays with the namespace
// for its life and its retention. A namespace that later gets the same
// inode, which nsfs reuses, is another namespace and starts with none.
func (r *registry) attachPod(inode uint64, pod Pod) bool {
	ns, ok := r.byInode[inode]
	if !ok || !ns.alive || ns == r.self {
		return false
	}
	ns.pod = pod
	return true
}

// indexInode makes ns found by its inode, and queues the inode for
// Options.NamespaceAdded the first time.
func (r *registry) indexInode(ns *namespace, inode uint64) {
	if r.byInode[inode] != ns && ns != r.self {
		r.added = append(r.added, inode)
	}
	r.byInode[inode] = ns
}

// takeAdded returns the inodes queued by indexInode since the last call.
func (r *registry) takeAdded() []uint64 {
	added := r.added
	r.added = nil
	return added
}
