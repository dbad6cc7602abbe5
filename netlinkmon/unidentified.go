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

// Unidentified is the name under which snapshots hold the link counters of
// the namespaces that died before any scan could name them: a namespace that
// lives a few milliseconds is announced by the kernel, and its links are
// counted, but its bind mount is gone before a scan sees it. It is never a
// living namespace's name, has no inode, nsid, source or links, and is kept
// for Options.Retention after the last such death, like a dead namespace.
const Unidentified = "unidentified"

// newUnidentified returns the namespace that adds up the counters of the
// namespaces that died unnamed. It is dead from the start: snapshots leave it
// out until one such namespace counted something, and for the retention
// after the last.
func newUnidentified() *namespace {
	ns := newNamespace(NoNSID)
	ns.name = Unidentified
	ns.alive = false
	ns.links, ns.gone = nil, nil
	return ns
}

// absorb adds the counters of ns, which died before a scan named it, to u.
func (u *namespace) absorb(ns *namespace, now time.Time) {
	for kind, c := range ns.counters {
		if c.isZero() {
			continue
		}
		k := u.kind(kind)
		if k.Created.IsZero() {
			// Its series appear now, not when the dead namespace's began.
			k.Created = now
		}
		k.Add(c)
		u.died = now
	}
}

// present reports whether u has counters to show.
func (u *namespace) present() bool { return !u.died.IsZero() }

// Add adds the counts of o to c; c keeps its Kind and Created.
func (c *KindCounters) Add(o *KindCounters) {
	c.Creations += o.Creations
	c.Deletions += o.Deletions
	c.MovesIn += o.MovesIn
	c.MovesOut += o.MovesOut
	c.CarrierUp += o.CarrierUp
	c.CarrierDown += o.CarrierDown
	for b := range c.FlagsSet {
		c.FlagsSet[b] += o.FlagsSet[b]
		c.FlagsCleared[b] += o.FlagsCleared[b]
	}
}

func (c *KindCounters) isZero() bool {
	z := KindCounters{Kind: c.Kind, Created: c.Created}
	return *c == z
}
