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
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// An eventsRun is one burst into a fresh namespace, with or without a
// client reading /events.
type eventsRun struct {
	client     bool
	want, got  int
	cpu        time.Duration
	cpuLate    bool
	lines      int    // link events the client read
	dropped    uint64 // events the client was told it missed
	clientDone time.Duration
}

// events measures what an /events client costs the exporter: bursts of
// cfg.pairs veth pairs, alternately without and with a client that reads
// the namespace's stream as fast as it can.
func (b *bench) events(ctx context.Context) error {
	f, err := writeBatch(b.dir, "events", vethPairs(b.cfg.pairs))
	if err != nil {
		return err
	}
	var runs []eventsRun
	defer func() { b.reportEvents(runs) }()
	for i := range b.cfg.repeats {
		for j, client := range []bool{false, true} {
			r, err := b.eventsOnce(ctx, f, b.names.netns("e", 2*i+j), client)
			if err != nil {
				return fmt.Errorf("events burst %d: %w", 2*i+j+1, err)
			}
			b.logf("events burst %d, client %v: %d/%d, %s/event, client read %d, missed %d",
				2*i+j+1, client, r.got, r.want, fmtMicros(perEvent(r.cpu, r.want)), r.lines, r.dropped)
			runs = append(runs, r)
		}
	}
	return nil
}

func (b *bench) eventsOnce(ctx context.Context, f batchFile, ns string, withClient bool) (eventsRun, error) {
	e := b.exp
	r := eventsRun{client: withClient, want: 2 * b.cfg.pairs}
	if err := ip(ctx, "netns", "add", ns); err != nil {
		return r, err
	}
	defer func() {
		if err := ip(ctx, "netns", "del", ns); err != nil {
			b.logf("%v", err)
			return
		}
		// The next burst starts after the exporter is done with this one.
		if _, _, err := e.waitFor(ctx, 20*time.Millisecond, b.cfg.timeout, func(s scrape) bool {
			return s.watched(netnsIs(ns)) == 0 && s.count(mDeletions, ns, "veth") >= r.want
		}); err != nil {
			b.logf("deletions in %s: %v", ns, err)
		}
	}()
	if _, _, err := e.waitWatched(ctx, 10*time.Millisecond, b.cfg.timeout, ns); err != nil {
		return r, err
	}
	var c *eventsClient
	if withClient {
		var err error
		if c, err = openEventsClient(ctx, e, ns); err != nil {
			return r, err
		}
		defer c.close()
	}
	if err := sleep(ctx, settle); err != nil {
		return r, err
	}

	c0, err := readCPU(e.PID())
	if err != nil {
		return r, err
	}
	t0 := time.Now()
	if err := ipBatch(ctx, f, "-n", ns); err != nil {
		return r, err
	}
	if c != nil {
		if err := c.waitCreated(ctx, r.want, b.cfg.timeout); err != nil {
			b.logf("events client in %s: %v", ns, err)
		}
		r.clientDone = time.Since(t0)
	}
	if err := sleep(ctx, settle); err != nil {
		return r, err
	}
	// The sample closes before the first scrape.
	c1, err := readCPU(e.PID())
	if err != nil {
		return r, err
	}
	closed := time.Now()
	s, _, err := e.waitFor(ctx, cpuScrapeInterval, b.cfg.timeout, func(s scrape) bool {
		return s.count(mCreations, ns, "veth") >= r.want
	})
	if err != nil {
		b.logf("burst in %s: %v", ns, err)
	}
	r.got = s.count(mCreations, ns, "veth")
	if s.lastEvent(ns).After(closed) {
		r.cpuLate = true
		if c1, err = readCPU(e.PID()); err != nil {
			return r, err
		}
	}
	r.cpu = cpuSince(c0, c1)
	if c != nil {
		r.lines, r.dropped = c.counts()
	}
	return r, nil
}

// An eventsClient reads the /events stream of one namespace, as fast as it
// can, and counts what it reads.
type eventsClient struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	created int
	lines   int
	dropped uint64
	err     error
}

func openEventsClient(ctx context.Context, e *exporter, ns string) (*eventsClient, error) {
	u := e.URL + "/events?netns=" + url.QueryEscape(ns)
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("events: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("events: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("events: %s", resp.Status)
	}
	c := &eventsClient{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var l struct {
				Type  string
				Count uint64
			}
			err := json.Unmarshal(sc.Bytes(), &l)
			c.mu.Lock()
			switch {
			case err != nil:
				c.err = fmt.Errorf("events: line %q: %w", sc.Text(), err)
			case l.Type == "dropped":
				c.dropped += l.Count
			case l.Type == "created":
				c.created++
				c.lines++
			case l.Type != "heartbeat":
				c.lines++
			}
			c.mu.Unlock()
		}
	}()
	return c, nil
}

// waitCreated waits until the client has read n creations, or been told of
// missing events.
func (c *eventsClient) waitCreated(ctx context.Context, n int, timeout time.Duration) error {
	_, err := poll(ctx, 5*time.Millisecond, timeout, func() (bool, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.created+int(c.dropped) >= n, c.err
	})
	return err
}

func (c *eventsClient) counts() (lines int, dropped uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lines, c.dropped
}

func (c *eventsClient) close() {
	c.cancel()
	<-c.done
}

func (b *bench) reportEvents(runs []eventsRun) {
	if len(runs) == 0 {
		return
	}
	var (
		rows      [][]string
		cpu       = map[bool][]time.Duration{}
		exactRuns = 0
		dropped   uint64
		late      = false
		clientRun = 0
	)
	for i, r := range runs {
		ev := perEvent(r.cpu, r.want)
		cpu[r.client] = append(cpu[r.client], ev)
		if r.got == r.want {
			exactRuns++
		}
		note := ""
		if r.cpuLate {
			note, late = " *", true
		}
		client, read, missed, done := "none", "-", "-", "-"
		if r.client {
			clientRun++
			dropped += r.dropped
			client, read, missed, done = "1", strconv.Itoa(r.lines), strconv.FormatUint(r.dropped, 10), fmtDur(r.clientDone)
		}
		rows = append(rows, []string{strconv.Itoa(i + 1), client, fmt.Sprintf("%d/%d", r.got, r.want),
			fmtMicros(ev) + note, read, missed, done})
	}
	without, with := median(cpu[false]), median(cpu[true])
	title := fmt.Sprintf("Events: %d veth pairs with ip -batch into one namespace, alternately without and with one\n"+
		"/events client reading the namespace's stream; CPU per burst event; client done = from the start of ip -batch\n"+
		"until the client read the last creation", b.cfg.pairs)
	if late {
		title += "\n* the exporter finished after its CPU sample closed; its figure includes a few scrapes"
	}
	b.rep.table(title, []string{"run", "client", "exporter", "exporter CPU/ev", "client read", "client missed", "client done"}, rows)
	b.rep.check(exact, exactRuns == len(runs), "events stage exact creations", fmt.Sprintf("%d of %d bursts", exactRuns, len(runs)), "exact")
	b.rep.figure("exporter CPU per event, no /events client (median)", fmtMicros(without))
	if clientRun > 0 {
		b.rep.figure("exporter CPU per event, one /events client (median)",
			fmt.Sprintf("%s (%.2f×), %d events missed", fmtMicros(with), ratioOf(with, without), dropped))
	}
}
