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

// overrun starts a second exporter with a tiny receive buffer, bursts into
// a namespace, and checks that resyncs still end in exact creation and
// deletion counts.
func (b *bench) overrun(ctx context.Context, bin string) error {
	e, err := startExporter(ctx, bin, b.cfg.timeout, "--netlink.receive-buffer-size="+b.cfg.overrunBuffer)
	if err != nil {
		return err
	}
	defer func() {
		if err := e.Stop(stopTimeout); err != nil {
			b.rep.failed("overrun exporter exits cleanly on SIGTERM", fmt.Errorf("%w: %s", err, e.logTail()))
		}
	}()
	ns := b.names.netns("o", 0)
	want := 2 * b.cfg.pairs
	f, err := writeBatch(b.dir, "overrun", vethPairs(b.cfg.pairs))
	if err != nil {
		return err
	}
	if err := ip(ctx, "netns", "add", ns); err != nil {
		return err
	}
	if _, _, err := e.waitWatched(ctx, 10*time.Millisecond, b.cfg.timeout, ns); err != nil {
		return err
	}
	if err := ipBatch(ctx, f, "-n", ns); err != nil {
		return err
	}
	created, overruns, resyncs, err := b.settledCount(ctx, e, mCreations, ns, want)
	if err != nil {
		return err
	}
	if err := ip(ctx, "netns", "del", ns); err != nil {
		return err
	}
	deleted, _, _, err := b.settledCount(ctx, e, mDeletions, ns, want)
	if err != nil {
		return err
	}
	bar := fmt.Sprintf("overrun burst exact (%d pairs, --netlink.receive-buffer-size=%s)", b.cfg.pairs, b.cfg.overrunBuffer)
	value := fmt.Sprintf("%d/%d created, %d/%d deleted, after %d overruns, %d resyncs", created, want, deleted, want, overruns, resyncs)
	if overruns == 0 {
		b.rep.add(row{bar: bar, value: value, kind: info, ok: true, note: "no overrun happened: the bar was not exercised"})
		return nil
	}
	b.rep.check(exact, created == want && deleted == want, bar, value, "exact")
	return nil
}

// settledCount waits until metric name of ns in kind veth reaches want, or
// for the timeout, lets stragglers in, and returns the count with the
// exporter's overruns and resyncs so far.
func (b *bench) settledCount(ctx context.Context, e *exporter, name, ns string, want int) (count, overruns, resyncs int, err error) {
	if _, _, err := e.waitFor(ctx, 100*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
		return s.count(name, ns, "veth") >= want
	}); err != nil {
		b.logf("%s of %s: %v", name, ns, err)
	}
	if err := sleep(ctx, settle); err != nil {
		return 0, 0, 0, err
	}
	s, err := e.scrape(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	return s.count(name, ns, "veth"), int(s.total(mOverruns)), int(s.total(mResyncs)), nil
}
