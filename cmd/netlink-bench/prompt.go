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
	"time"
)

// Bars of the spec's "Prompt" line.
const (
	eventVisibleBar = 100 * time.Millisecond
	netnsWatchedBar = time.Second
	netnsDeathBar   = time.Second
)

// prompt times single events on an idle exporter: a new namespace until it
// is watched, link creations until they show on /metrics, and the
// namespace's death until it is counted. Scrapes are tight (a few ms) so
// that they add little to what is measured; every time runs from just
// before the ip command, so it includes ip's own start-up.
func (b *bench) prompt(ctx context.Context) error {
	e := b.exp
	ns := b.names.netns("p", 0)
	start := time.Now()
	if err := ip(ctx, "netns", "add", ns); err != nil {
		return err
	}
	if _, _, err := e.waitWatched(ctx, 2*time.Millisecond, b.cfg.timeout, ns); err != nil {
		return err
	}
	watched := time.Since(start) // from before ip netns add
	b.rep.check(perf, watched <= netnsWatchedBar, "new namespace watched", fmtDur(watched), "≤ "+fmtDur(netnsWatchedBar))

	var lat []time.Duration
	for i := range b.cfg.promptProbes {
		start := time.Now()
		if err := ip(ctx, "-n", ns, "link", "add", fmt.Sprintf("p%d", i), "type", "bridge"); err != nil {
			return err
		}
		_, _, err := e.waitFor(ctx, 2*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
			return s.count(mCreations, ns, "bridge") >= i+1
		})
		if err != nil {
			return fmt.Errorf("link p%d not counted: %w", i, err)
		}
		lat = append(lat, time.Since(start))
	}
	worst := lat[0]
	for _, l := range lat {
		worst = max(worst, l)
	}
	b.rep.check(perf, worst <= eventVisibleBar,
		fmt.Sprintf("event visible on /metrics (%d links)", len(lat)),
		fmt.Sprintf("median %s, max %s", fmtDur(median(lat)), fmtDur(worst)), "≤ "+fmtDur(eventVisibleBar))

	start = time.Now()
	if err := ip(ctx, "netns", "del", ns); err != nil {
		return err
	}
	if _, _, err := e.waitFor(ctx, 2*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
		return s.watched(netnsIs(ns)) == 0
	}); err != nil {
		return fmt.Errorf("death of %s not seen: %w", ns, err)
	}
	died := time.Since(start)
	b.rep.check(perf, died <= netnsDeathBar, "namespace death seen", fmtDur(died), "≤ "+fmtDur(netnsDeathBar))
	return nil
}
