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

// scaleLines is a host-side batch that creates namespace ns holding lo and
// links-1 more links: veth pairs with both ends inside, plus an ifb if the
// count is odd. Not bridges: the kernel tears a namespace's bridges down
// one RCU grace period at a time (9 bridges make a namespace take about
// 150 ms to die here, 1,000 such namespaces over two minutes), and the
// teardown times would measure that instead of the exporter.
func scaleLines(ns string, links int) []string {
	lines := []string{"netns add " + ns}
	for j := range (links - 1) / 2 {
		lines = append(lines, fmt.Sprintf("link add x%d netns %s type veth peer name y%d netns %s", j, ns, j, ns))
	}
	if (links-1)%2 == 1 {
		lines = append(lines, fmt.Sprintf("link add z0 netns %s type ifb", ns))
	}
	return lines
}

// pinLines gives each namespace of nss a veth whose host end is named with
// linkStage: while a namespace lives, so does the host end.
func (b *bench) pinLines(linkStage string, nss []string) []string {
	lines := make([]string, len(nss))
	for k, ns := range nss {
		lines[k] = fmt.Sprintf("link add %s type veth peer name pin netns %s", b.names.link(linkStage, k), ns)
	}
	return lines
}

// A scaleSet is cfg.scaleNS namespaces created with one host-side ip
// -batch, and the pinned ones among them.
type scaleSet struct {
	all []string
	// single are deleted one by one, bulk with the rest.
	single, bulk []string
}

func (b *bench) newScaleSet(stage string) scaleSet {
	var s scaleSet
	m, p := b.cfg.scaleNS, b.cfg.pinNS
	for i := range m {
		s.all = append(s.all, b.names.netns(stage, i))
	}
	for k := range p {
		i := k * m / p
		s.single = append(s.single, s.all[i])
		s.bulk = append(s.bulk, s.all[i+1])
	}
	return s
}

func (b *bench) createScaleSet(ctx context.Context, s scaleSet) (time.Duration, error) {
	var lines []string
	for _, ns := range s.all {
		lines = append(lines, scaleLines(ns, b.cfg.scaleLinks)...)
	}
	f, err := writeBatch(b.dir, "scale-add", lines)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := ipBatch(ctx, f); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// pin adds the veths of the single and bulk namespaces of s.
func (b *bench) pin(ctx context.Context, s scaleSet, singleStage, bulkStage string) error {
	f, err := writeBatch(b.dir, "pin", append(b.pinLines(singleStage, s.single), b.pinLines(bulkStage, s.bulk)...))
	if err != nil {
		return err
	}
	return ipBatch(ctx, f)
}

// bulkDelete deletes the namespaces of s that are not single with one ip
// -batch, and returns how long after its start the host ends of bulk's
// pins were all gone.
func (b *bench) bulkDelete(ctx context.Context, s scaleSet, bulkStage string) (time.Duration, error) {
	single := make(map[string]bool, len(s.single))
	for _, ns := range s.single {
		single[ns] = true
	}
	var rest []string
	for _, ns := range s.all {
		if !single[ns] {
			rest = append(rest, ns)
		}
	}
	f, err := writeBatch(b.dir, "scale-del", delLines(rest))
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := ipBatch(ctx, f); err != nil {
		return 0, err
	}
	if err := b.waitLinksGone(ctx, b.names.linkPrefix(bulkStage), 5*time.Minute); err != nil {
		return time.Since(start), err
	}
	return time.Since(start), nil
}

// waitLinksGone waits until no host link's name starts with prefix.
func (b *bench) waitLinksGone(ctx context.Context, prefix string, timeout time.Duration) error {
	var left []string
	_, err := poll(ctx, 5*time.Millisecond, timeout, func() (bool, error) {
		var err error
		left, err = hostLinks(prefix)
		return len(left) == 0, err
	})
	if err != nil {
		return fmt.Errorf("host links %v still there: %w", left, err)
	}
	return nil
}

// teardownBaseline measures, before the exporter starts, how long the
// kernel alone takes to destroy a scale set deleted in bulk, until the
// host ends of its pinned veths are gone.
func (b *bench) teardownBaseline(ctx context.Context) (time.Duration, error) {
	s := b.newScaleSet("t")
	created, err := b.createScaleSet(ctx, s)
	if err != nil {
		return 0, err
	}
	if err := b.pin(ctx, scaleSet{bulk: s.bulk}, "", "t"); err != nil {
		return 0, err
	}
	gone, err := b.bulkDelete(ctx, scaleSet{all: s.all}, "t")
	b.logf("baseline: created in %s, pinned host ends gone %s after the bulk delete began", fmtDur(created), fmtDur(gone))
	return gone, err
}
