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

package collector

import (
	"cmp"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// recent returns the n namespaces of nss, the host and Unidentified aside,
// whose last link event is the latest, latest first. It keeps them in a
// slice of n as it goes: n is small, nss may hold thousands.
func recent(nss []netlinkmon.Namespace, n int) []*netlinkmon.Namespace {
	if n <= 0 {
		return nil
	}
	later := func(a, b *netlinkmon.Namespace) int {
		return cmp.Or(b.LastEvent.Compare(a.LastEvent), strings.Compare(a.Name, b.Name))
	}
	top := make([]*netlinkmon.Namespace, 0, n)
	for i := range nss {
		ns := &nss[i]
		if ns.Source == netlinkmon.SourceSelf || ns.Name == netlinkmon.Unidentified || ns.LastEvent.IsZero() {
			continue
		}
		if len(top) == n && later(ns, top[n-1]) >= 0 {
			continue
		}
		at, _ := slices.BinarySearchFunc(top, ns, later)
		if len(top) == n {
			top = top[:n-1]
		}
		top = slices.Insert(top, at, ns)
	}
	return top
}

// recent adds the netlink_netns_recent_* gauges of nss.
func (w nsWriter) recent(nss []*netlinkmon.Namespace) {
	last := w.b.family(netnsRecentLastEventDesc, len(nss))
	changes := w.b.family(netnsRecentLinkChangesDesc, len(nss))
	for _, ns := range nss {
		var n uint64
		for _, k := range ns.Kinds {
			n += k.Creations + k.Deletions + k.MovesIn + k.MovesOut
		}
		labels := w.b.join([]*dto.LabelPair{
			w.b.sharedPair("namespace", ns.Pod.Namespace), w.b.pair("netns", ns.Name), w.b.sharedPair("pod", ns.Pod.Name),
		})
		last.gauge(unixSeconds(ns.LastEvent), labels)
		changes.gauge(float64(n), labels)
	}
}

// watchedSources are the sources that netlink_netns_watched always has a
// series of.
var watchedSources = []netlinkmon.Source{netlinkmon.SourceSelf, netlinkmon.SourceDir, netlinkmon.SourceProc}

// watched adds netlink_netns_watched: the living namespaces by source.
func (w nsWriter) watched(nss []netlinkmon.Namespace) {
	counts := make(map[netlinkmon.Source]int, len(watchedSources))
	for _, src := range watchedSources {
		counts[src] = 0
	}
	for i := range nss {
		if nss[i].Alive {
			counts[nss[i].Source]++
		}
	}
	f := w.b.family(netnsWatchedDesc, len(counts))
	for src, n := range counts {
		f.gauge(float64(n), []*dto.LabelPair{w.b.pair("source", string(src))})
	}
}
