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

package main

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Metric names the bench reads.
const (
	mCreations    = "netlink_link_creations_total"
	mDeletions    = "netlink_link_deletions_total"
	mLinks        = "netlink_links"
	mNetnsInfo    = "netlink_netns_info"
	mNetnsWatched = "netlink_netns_watched"
	mLastEvent    = "netlink_netns_last_event_timestamp_seconds"
	mDiscoveries  = "netlink_netns_discoveries_total"
	mRemovals     = "netlink_netns_removals_total"
	mOverruns     = "netlink_overruns_total"
	mResyncs      = "netlink_resyncs_total"
	mGoroutines   = "go_goroutines"
	mHeapInuse    = "go_memstats_heap_inuse_bytes"
)

// total is the sum of every sample of name, such as a counter without
// labels.
func (s scrape) total(name string) float64 {
	t, _ := s.sum(name, func(labels) bool { return true })
	return t
}

// count is the value of name for namespace ns and link kind, 0 if absent.
func (s scrape) count(name, ns, kind string) int {
	v, _ := s.value(name, "netns", ns, "kind", kind)
	return int(v)
}

// nsid is the nsid the exporter shows for namespace ns, and whether it
// watches ns at all.
func (s scrape) nsid(ns string) (id int, watched bool, err error) {
	var label string
	s.each(mNetnsInfo, func(l labels, _ float64) {
		if l["netns"] == ns {
			label, watched = l["nsid"], true
		}
	})
	if !watched {
		return 0, false, nil
	}
	id, err = strconv.Atoi(label)
	if err != nil {
		return 0, true, fmt.Errorf("namespace %s has nsid %q: %w", ns, label, err)
	}
	return id, true, nil
}

// lastEvent is when the exporter applied the last link event of ns.
func (s scrape) lastEvent(ns string) time.Time {
	v, ok := s.value(mLastEvent, "netns", ns)
	if !ok {
		return time.Time{}
	}
	return time.Unix(0, int64(v*1e9))
}

// waitFor scrapes every interval until cond holds for a scrape, and returns
// that scrape and the time it took.
func (e *exporter) waitFor(ctx context.Context, every, timeout time.Duration, cond func(scrape) bool) (scrape, time.Duration, error) {
	var last scrape
	d, err := poll(ctx, every, timeout, func() (bool, error) {
		s, err := e.scrape(ctx)
		if err != nil {
			return false, err
		}
		last = s
		return cond(s), nil
	})
	return last, d, err
}

// waitWatched waits until the exporter watches ns, and returns its nsid.
func (e *exporter) waitWatched(ctx context.Context, every, timeout time.Duration, ns string) (int, time.Duration, error) {
	var (
		id  int
		bad error
	)
	_, d, err := e.waitFor(ctx, every, timeout, func(s scrape) bool {
		var watched bool
		id, watched, bad = s.nsid(ns)
		return watched
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return 0, d, fmt.Errorf("namespace %s not watched: %w", ns, err)
	}
	return id, d, nil
}

// watched counts the namespaces the exporter watches now (those with a
// netlink_netns_info series: dead ones keep only their counters) whose
// samples satisfy keep.
func (s scrape) watched(keep func(labels) bool) int {
	_, n := s.sum(mNetnsInfo, keep)
	return n
}

// netnsIs keeps the samples of namespace ns.
func netnsIs(ns string) func(labels) bool {
	return func(l labels) bool { return l["netns"] == ns }
}
