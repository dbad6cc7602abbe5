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

//go:build linux

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// An eventLine is what the tests read of a line of /events.
type eventLine struct {
	Type     string   `json:"type"`
	Netns    string   `json:"netns"`
	NSID     *int32   `json:"nsid"`
	Link     string   `json:"link"`
	Kind     string   `json:"kind"`
	Via      string   `json:"via"`
	FlagsSet []string `json:"flags_set"`
	Count    uint64   `json:"count"`
	Time     string   `json:"time"`
}

// An eventStream is an open /events response.
type eventStream struct {
	t     *testing.T
	resp  *http.Response
	close func()
	// lines are read in the background once started, and closed at the
	// end of the stream.
	lines chan string
}

// openEvents opens /events with query, as the exporter's user if it has
// one, and fails the test unless the answer is a stream. The caller closes
// it.
func (e *exporter) openEvents(client *http.Client, query string) *eventStream {
	t := e.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.URL+"/events"+query, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if e.User != "" {
		req.SetBasicAuth(e.User, e.Password)
	}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET /events%s: %v", query, err)
	}
	s := &eventStream{t: t, resp: resp, lines: make(chan string, 1<<16),
		close: func() { cancel(); resp.Body.Close() }}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		s.close()
		t.Fatalf("GET /events%s: %s, Content-Type %q", query, resp.Status, resp.Header.Get("Content-Type"))
	}
	return s
}

// start reads the stream in the background from now on.
func (s *eventStream) start() *eventStream {
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(s.resp.Body)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	return s
}

// next returns the next line, decoded, and the line, or fails the test if
// none comes within timeout. ok is false at the end of the stream.
func (s *eventStream) next(timeout time.Duration) (ev eventLine, line string, ok bool) {
	s.t.Helper()
	select {
	case line, ok = <-s.lines:
		if !ok {
			return ev, "", false
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			s.t.Fatalf("line %q: %v", line, err)
		}
		return ev, line, true
	case <-time.After(timeout):
		s.t.Fatalf("no line from /events within %v", timeout)
		return ev, "", false
	}
}

// TestE2EEvents reads /events behind basic auth, as a person would with
// curl -N, and shuts the exporter down while the stream is open.
func TestE2EEvents(t *testing.T) {
	t.Parallel()
	testns.RequireRoot(t)
	ns := testns.Add(t)

	// Registered before the exporter's own cleanup, so that it runs after
	// it: the exporter must exit cleanly and at once with a stream open
	// (its cleanup checks that), and end that stream.
	var stream *eventStream
	t.Cleanup(func() {
		if stream == nil {
			return
		}
		defer stream.close()
		for {
			if _, line, ok := stream.next(5 * time.Second); !ok {
				return
			} else if t.Failed() {
				t.Logf("line after the test: %s", line)
			}
		}
	})
	e := startExporterWith(t, harness.Options{User: e2eUser, Password: e2ePassword,
		Args: append([]string{"--web.config.file=" + webConfigAuth(t)}, dirOnly...)})

	if code, _, err := e.get("/events", false); err != nil || code != http.StatusUnauthorized {
		t.Errorf("GET /events without credentials: %d, %v; want 401", code, err)
	}
	wrong := *e
	wrong.Password = "wrong"
	if code, _, err := wrong.get("/events", true); err != nil || code != http.StatusUnauthorized {
		t.Errorf("GET /events with a wrong password: %d, %v; want 401", code, err)
	}

	stream = e.openEvents(&http.Client{}, "?netns="+ns).start()
	e.waitMetrics(eventually, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_netns_info", labels("netns", ns), 1)
		c.want("netlink_events_subscribers", nil, 1)
		return c.err()
	})
	testns.IP(t, "-n", ns, "link", "add", "br0", "type", "bridge")
	testns.IP(t, "-n", ns, "link", "set", "br0", "up")

	ev, line, _ := stream.next(5 * time.Second)
	if ev.Type != "created" || ev.Netns != ns || ev.NSID == nil || ev.Link != "br0" || ev.Kind != "bridge" || ev.Via != "event" {
		t.Errorf("first line %s; want br0's creation in %s via an event", line, ns)
	}
	if _, err := time.Parse(time.RFC3339Nano, ev.Time); err != nil {
		t.Errorf("first line %s: time: %v", line, err)
	}
	for {
		ev, line, _ = stream.next(5 * time.Second)
		if ev.Type != "changed" || ev.Link != "br0" {
			t.Fatalf("line %s; want changes of br0", line)
		}
		if len(ev.FlagsSet) > 0 && ev.FlagsSet[0] == "up" {
			break
		}
	}
}

// slowClient is an HTTP client whose connections take little data before
// the server's writes block when it stops reading. Loopback TCP otherwise
// lets the server queue megabytes: the server's send buffer is sized by the
// MSS, 64 KiB on loopback.
func slowClient() *http.Client {
	d := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		if cerr := rc.Control(func(fd uintptr) {
			if err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096); err == nil {
				err = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, 536)
			}
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// TestE2EEventsSlowClient stops reading /events while a burst of link
// events happens. The monitor is not slowed: /metrics counts the burst
// exactly, meanwhile. The client, once it reads again, is told how many
// events it missed, where it missed them, and the count adds up.
func TestE2EEventsSlowClient(t *testing.T) {
	t.Parallel()
	testns.RequireRoot(t)
	// More creations than the stream queues (4096) and TCP holds.
	const pairs = 3000
	ns := testns.Add(t)
	// The client stays stuck through the burst and the wait for its
	// counts, which take longer than the default write timeout on a
	// loaded machine: the stream must not be closed meanwhile.
	e := startExporter(t, append([]string{"--web.events.write-timeout=2m"}, dirOnly...)...)
	e.waitMetrics(eventually, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_netns_info", labels("netns", ns), 1)
		return c.err()
	})
	stream := e.openEvents(slowClient(), "?netns="+ns+"&type=created")
	t.Cleanup(stream.close)

	batch := make([]string, pairs)
	for i := range batch {
		batch[i] = fmt.Sprintf("link add a%d type veth peer name b%d", i, i)
	}
	start := time.Now()
	testns.IPBatch(t, ns, batch)
	m, took := e.waitMetrics(30*time.Second, 10*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_link_creations_total", labels("netns", ns, "kind", "veth"), 2*pairs)
		if v, _ := m.Value("netlink_events_dropped_total", nil); v == 0 {
			c.errs = append(c.errs, fmt.Errorf("netlink_events_dropped_total is 0"))
		}
		return c.err()
	})
	t.Logf("%d creations counted %v after the burst began, %v after ip returned, with the client stuck",
		2*pairs, time.Since(start).Round(time.Millisecond), took.Round(time.Millisecond))
	dropped, _ := m.Value("netlink_events_dropped_total", nil)

	// The client reads again: it gets every event or a notice of it.
	stream.start()
	var created, missed uint64
	notices := 0
	for created+missed < 2*pairs {
		ev, line, ok := stream.next(10 * time.Second)
		switch {
		case !ok:
			t.Fatalf("stream ended after %d events and %d missed; exporter output:\n%s", created, missed, e.proc.Output())
		case ev.Type == "created" && ev.Netns == ns:
			created++
		case ev.Type == "dropped" && ev.Count > 0:
			missed += ev.Count
			notices++
		default:
			t.Fatalf("unexpected line %s", line)
		}
	}
	t.Logf("the client got %d events and %d notices of %d missed ones", created, notices, missed)
	if created+missed != 2*pairs || float64(missed) != dropped {
		t.Errorf("%d events and %d missed, want %d in all and %v missed (netlink_events_dropped_total)",
			created, missed, 2*pairs, dropped)
	}
}
