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

package eventstream

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// serve serves a handler of a fresh feed, which the tests publish to as the
// monitor would.
func serve(t *testing.T, opts Options) (*netlinkmon.Feed, *httptest.Server) {
	t.Helper()
	feed := netlinkmon.NewFeed()
	ts := httptest.NewServer(NewHandler(feed, nil, opts))
	t.Cleanup(ts.Close)
	return feed, ts
}

// request sends a request; the response body is closed at cleanup, before
// the server is.
func request(t *testing.T, ts *httptest.Server, method, query string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, method, ts.URL+"/events"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// A client reads a stream line by line.
type client struct {
	t    *testing.T
	resp *http.Response
	sc   *bufio.Scanner
}

// open opens a stream and checks its headers. Once it returns, the stream
// is subscribed.
func open(t *testing.T, ts *httptest.Server, query string) *client {
	t.Helper()
	resp := request(t, ts, http.MethodGet, query)
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /events%s: %s: %s", query, resp.Status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("Content-Type %q, want application/x-ndjson", ct)
	}
	return &client{t: t, resp: resp, sc: bufio.NewScanner(resp.Body)}
}

func (c *client) next() string {
	c.t.Helper()
	if !c.sc.Scan() {
		c.t.Fatalf("stream ended: %v", c.sc.Err())
	}
	return c.sc.Text()
}

// ended checks that the server ended the stream.
func (c *client) ended() {
	c.t.Helper()
	if c.sc.Scan() {
		c.t.Fatalf("line %q, want the end of the stream", c.sc.Text())
	}
	if err := c.sc.Err(); err != nil {
		c.t.Fatalf("stream broke rather than ended: %v", err)
	}
}

// waitSubscribers waits until the feed has n subscribers.
func waitSubscribers(t *testing.T, feed *netlinkmon.Feed, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for feed.Subscribers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers, want %d", feed.Subscribers(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func linkEvent(typ netlinkmon.EventType, netns string, nsid int32, index int32, name, kind string) netlinkmon.Event {
	return netlinkmon.Event{
		Type: typ, Time: t0, Via: netlinkmon.ViaEvent, Netns: netns, NSID: nsid,
		Ifindex: index, Link: name, Kind: kind, OperState: "down",
	}
}

func TestStreamLines(t *testing.T) {
	feed, ts := serve(t, Options{})
	c := open(t, ts, "")

	changed := linkEvent(netlinkmon.EventChanged, "blue", 0, 2, "eth0", "veth")
	changed.OperState, changed.OldOperState = "up", "down"
	changed.FlagsSet, changed.CarrierUp = []string{"up", "running"}, 1
	renamed := linkEvent(netlinkmon.EventChanged, "blue", 0, 2, "<eth1>", "veth")
	renamed.OldName = "eth0"
	died := linkEvent(netlinkmon.EventDeleted, "", 7, 3, "vx", "vxlan")
	died.Via, died.OperState, died.Time = netlinkmon.ViaNetnsDeath, "", t0.In(time.FixedZone("X", 3600))
	for _, ev := range []netlinkmon.Event{
		linkEvent(netlinkmon.EventCreated, "host", netlinkmon.NoNSID, 5, "veth0", "veth"),
		changed,
		renamed,
		died,
		{Type: netlinkmon.EventResync, Time: t0, Reason: "overrun"},
	} {
		feed.Publish(ev)
	}
	feed.Flush()
	want := []string{
		`{"time":"2025-01-02T03:04:05Z","type":"created","netns":"host","link":"veth0","ifindex":5,"kind":"veth","operstate":"down","via":"event"}`,
		`{"time":"2025-01-02T03:04:05Z","type":"changed","netns":"blue","nsid":0,"link":"eth0","ifindex":2,"kind":"veth","operstate":"up","via":"event","flags_set":["up","running"],"carrier_up":1,"old_operstate":"down"}`,
		`{"time":"2025-01-02T03:04:05Z","type":"changed","netns":"blue","nsid":0,"link":"<eth1>","ifindex":2,"kind":"veth","operstate":"down","via":"event","old_name":"eth0"}`,
		`{"time":"2025-01-02T03:04:05Z","type":"deleted","netns":"","nsid":7,"link":"vx","ifindex":3,"kind":"vxlan","via":"netns_death"}`,
		`{"time":"2025-01-02T03:04:05Z","type":"resync","reason":"overrun"}`,
	}
	for i, w := range want {
		if got := c.next(); got != w {
			t.Errorf("line %d:\n got %s\nwant %s", i, got, w)
		}
	}
}

func TestStreamFilters(t *testing.T) {
	events := []netlinkmon.Event{
		linkEvent(netlinkmon.EventCreated, "host", netlinkmon.NoNSID, 1, "a", "veth"),
		linkEvent(netlinkmon.EventCreated, "blue", 3, 2, "b", "bridge"),
		linkEvent(netlinkmon.EventDeleted, "blue", 3, 3, "c", "veth"),
		linkEvent(netlinkmon.EventChanged, "red", 4, 4, "d", "veth"),
		{Type: netlinkmon.EventResync, Time: t0, Reason: "overrun"},
	}
	tests := []struct {
		query string
		want  []int32 // ifindexes; 0 is the resync notice
	}{
		{query: "", want: []int32{1, 2, 3, 4, 0}},
		{query: "?netns=blue", want: []int32{2, 3, 0}},
		{query: "?netns=blue&netns=red", want: []int32{2, 3, 4, 0}},
		{query: "?kind=veth", want: []int32{1, 3, 4, 0}},
		{query: "?netns=blue&kind=veth", want: []int32{3, 0}},
		{query: "?type=created&type=changed", want: []int32{1, 2, 4, 0}},
		{query: "?netns=nowhere", want: []int32{0}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			feed, ts := serve(t, Options{})
			c := open(t, ts, tt.query)
			for _, ev := range events {
				feed.Publish(ev)
			}
			feed.Flush()
			var got []int32
			for range tt.want {
				var l struct{ Ifindex int32 }
				if err := json.Unmarshal([]byte(c.next()), &l); err != nil {
					t.Fatal(err)
				}
				got = append(got, l.Ifindex)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ifindexes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStreamRefused(t *testing.T) {
	tests := []struct {
		name, method, query string
		wantCode            int
		wantBody            string
	}{
		{"unknown parameter", http.MethodGet, "?nets=blue", http.StatusBadRequest, `unknown query parameter "nets": want kind, netns, type`},
		{"unknown type", http.MethodGet, "?type=flapped", http.StatusBadRequest, `unknown event type "flapped": want changed, created, deleted, moved_in, moved_out`},
		{"notice type", http.MethodGet, "?type=dropped", http.StatusBadRequest, `unknown event type "dropped"`},
		{"post", http.MethodPost, "", http.StatusMethodNotAllowed, "only GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			feed, ts := serve(t, Options{})
			resp := request(t, ts, tt.method, tt.query)
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantCode || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("%s: %q; want %d with %q", resp.Status, body, tt.wantCode, tt.wantBody)
			}
			if n := feed.Subscribers(); n != 0 {
				t.Errorf("%d subscribers after a refused request", n)
			}
		})
	}
}

func TestStreamHead(t *testing.T) {
	feed, ts := serve(t, Options{})
	resp := request(t, ts, http.MethodHead, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Errorf("HEAD: %s, Content-Type %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	waitSubscribers(t, feed, 0)
}

func TestStreamMaxClients(t *testing.T) {
	feed, ts := serve(t, Options{MaxClients: 2})
	a := open(t, ts, "")
	open(t, ts, "")
	resp := request(t, ts, http.MethodGet, "")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "all 2 event streams are in use") {
		t.Errorf("third stream: %s: %q; want 503 saying why", resp.Status, body)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	// A client that goes away frees its subscription and its slot.
	a.resp.Body.Close()
	waitSubscribers(t, feed, 1)
	open(t, ts, "")
	if n := feed.Subscribers(); n != 2 {
		t.Errorf("%d subscribers, want 2", n)
	}
}

func TestStreamEnds(t *testing.T) {
	tests := []struct {
		name string
		end  func(feed *netlinkmon.Feed, ts *httptest.Server) error
	}{
		{"source stops", func(feed *netlinkmon.Feed, _ *httptest.Server) error { feed.Stop(); return nil }},
		{"server shuts down", func(_ *netlinkmon.Feed, ts *httptest.Server) error {
			// Shutdown waits for running handlers until its deadline:
			// the stream must end by itself for it to return nil.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return ts.Config.Shutdown(ctx)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			feed, ts := serve(t, Options{})
			c := open(t, ts, "")
			if err := tt.end(feed, ts); err != nil {
				t.Fatal(err)
			}
			c.ended()
			waitSubscribers(t, feed, 0)
		})
	}
}

// A stream that ends long after its last write still ends cleanly: the
// write timeout bounds writes, not the stream.
func TestStreamEndsAfterWriteTimeout(t *testing.T) {
	feed, ts := serve(t, Options{WriteTimeout: 50 * time.Millisecond})
	c := open(t, ts, "")
	feed.Publish(linkEvent(netlinkmon.EventCreated, "host", netlinkmon.NoNSID, 1, "a", "veth"))
	feed.Flush()
	c.next()
	time.Sleep(200 * time.Millisecond)
	feed.Stop()
	c.ended()
}

func TestStreamHeartbeat(t *testing.T) {
	_, ts := serve(t, Options{Heartbeat: time.Millisecond})
	c := open(t, ts, "")
	var l noticeLine
	if err := json.Unmarshal([]byte(c.next()), &l); err != nil {
		t.Fatal(err)
	}
	if l.Type != "heartbeat" || l.Time.IsZero() {
		t.Errorf("first line of an idle stream: %+v, want a heartbeat", l)
	}
}

// A gatedWriter is a ResponseWriter whose writes wait for the test, as a
// client that does not read makes them wait. A write still waiting at its
// deadline fails, as on a connection.
type gatedWriter struct {
	header http.Header
	gate   chan struct{}

	mu       sync.Mutex
	buf      strings.Builder
	deadline time.Time
	flushes  int
}

func (w *gatedWriter) Header() http.Header { return w.header }
func (w *gatedWriter) WriteHeader(int)     {}
func (w *gatedWriter) FlushError() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushes++
	return nil
}

func (w *gatedWriter) SetWriteDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deadline = t
	return nil
}

func (w *gatedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	d := time.Until(w.deadline)
	w.mu.Unlock()
	select {
	case <-w.gate:
	case <-time.After(d):
		return 0, os.ErrDeadlineExceeded
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.WriteString(string(p))
}

func (w *gatedWriter) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// serveGated runs a stream into a gatedWriter until the returned stop is
// called.
func serveGated(t *testing.T, opts Options) (feed *netlinkmon.Feed, w *gatedWriter, done <-chan struct{}) {
	t.Helper()
	feed = netlinkmon.NewFeed()
	w = &gatedWriter{header: http.Header{}, gate: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/events", nil)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		NewHandler(feed, nil, opts).ServeHTTP(w, req)
	}()
	waitSubscribers(t, feed, 1)
	return feed, w, ended
}

func TestStreamSlowClient(t *testing.T) {
	feed, w, _ := serveGated(t, Options{Buffer: 2, WriteTimeout: time.Hour})
	published := int32(0)
	publish := func() {
		published++
		feed.Publish(linkEvent(netlinkmon.EventCreated, "host", netlinkmon.NoNSID, published, "a", "veth"))
		feed.Flush()
	}
	// The handler takes the first event and blocks writing it; two wait
	// in the queue; the rest are dropped, and Publish never blocks.
	deadline := time.Now().Add(10 * time.Second)
	for feed.Dropped() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nothing dropped for a client that does not read")
		}
		publish()
	}
	for range 10 {
		publish()
	}
	close(w.gate) // the client reads again
	// Once the buffer has room, the notice of the drops goes out even with
	// no event after them.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(w.text(), `"dropped"`); {
		if time.Now().After(deadline) {
			t.Fatalf("no dropped notice; lines:\n%s", w.text())
		}
		feed.Flush()
		time.Sleep(time.Millisecond)
	}
	publish()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(w.text(), fmt.Sprintf(`"ifindex":%d,`, published)); {
		if time.Now().After(deadline) {
			t.Fatalf("last event not written; lines:\n%s", w.text())
		}
		time.Sleep(time.Millisecond)
	}

	// Events in order, with a notice of the events missing where they are
	// missing.
	var prev int32
	var missing uint64
	for l := range strings.Lines(w.text()) {
		var v struct {
			Type    string
			Count   uint64
			Ifindex int32
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatal(err)
		}
		if v.Type == "dropped" {
			missing += v.Count
			prev += int32(v.Count)
			continue
		}
		if v.Ifindex != prev+1 {
			t.Errorf("ifindex %d after %d, without a notice of those between", v.Ifindex, prev)
		}
		prev = v.Ifindex
	}
	if missing != feed.Dropped() || prev != published {
		t.Errorf("notices tell of %d missing events, the feed dropped %d; accounted for %d of %d", missing, feed.Dropped(), prev, published)
	}
}

func TestStreamWriteTimeout(t *testing.T) {
	feed, _, done := serveGated(t, Options{WriteTimeout: time.Millisecond})
	feed.Publish(linkEvent(netlinkmon.EventCreated, "host", netlinkmon.NoNSID, 1, "a", "veth"))
	feed.Flush()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("stream to a client that does not read still open")
	}
	if n := feed.Subscribers(); n != 0 {
		t.Errorf("%d subscribers after the stream ended", n)
	}
}

// A batch of the monitor's reaches the client with one flush, which is one
// write to the connection.
func TestStreamWritesBatches(t *testing.T) {
	feed, w, _ := serveGated(t, Options{})
	close(w.gate)
	for i := range int32(100) {
		feed.Publish(linkEvent(netlinkmon.EventCreated, "host", netlinkmon.NoNSID, i, "a", "veth"))
	}
	feed.Flush()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(w.text(), "\n") < 100 {
		if time.Now().After(deadline) {
			t.Fatalf("lines written:\n%s", w.text())
		}
		time.Sleep(time.Millisecond)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.flushes != 2 {
		t.Errorf("%d flushes, want 2: the headers, then the batch", w.flushes)
	}
}
