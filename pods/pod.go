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

package pods

// A Pod identifies a Kubernetes pod. The fields are named after
// kube-state-metrics' labels (namespace, pod, uid).
type Pod struct {
	// Namespace is the pod's Kubernetes namespace.
	Namespace string
	// Name is the pod's name.
	Name string
	// UID is the pod's uid.
	UID string
}

// An AttachFunc is told that the network namespace with the given nsfs
// inode belongs to a pod. It is called from the Resolver's goroutine and
// must not block. It may be called again for the same inode and pod, and for
// an inode that it does not know (yet): the Resolver cannot tell whether the
// caller has seen the namespace.
type AttachFunc func(inode uint64, pod Pod)
