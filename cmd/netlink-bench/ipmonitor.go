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
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
)

// An ipMonitor runs `ip monitor all-nsid link`, the reference listener of
// the CPU bar, and counts what it prints. Reading and counting its lines
// costs the bench process, not ip.
type ipMonitor struct {
	pid    int
	cmd    *exec.Cmd
	stderr bytes.Buffer // read only after done
	done   chan struct{}

	nsid    int               // the namespace whose burst is counted
	isBurst func(string) bool // names of the burst's links

	mu        sync.Mutex
	events    int // link messages printed, of any namespace
	created   int // creations of burst links in nsid
	lastBurst time.Time
	others    map[string]bool // names of other links created in nsid
}

func startIPMonitor(nsid int, isBurst func(string) bool) (*ipMonitor, error) {
	m := &ipMonitor{nsid: nsid, isBurst: isBurst, others: make(map[string]bool), done: make(chan struct{})}
	m.cmd = exec.Command("ip", "monitor", "all-nsid", "link")
	m.cmd.Stderr = &m.stderr
	harness.TerminateWithParent(m.cmd)
	out, err := m.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("ip monitor: %w", err)
	}
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("ip monitor: %w", err)
	}
	m.pid = m.cmd.Process.Pid
	go m.read(out)
	return m, nil
}

func (m *ipMonitor) read(r io.Reader) {
	defer close(m.done)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		nsid, name, deleted, ok := parseMonitorLine(sc.Text())
		if !ok {
			continue
		}
		now := time.Now()
		m.mu.Lock()
		m.events++
		if !deleted && nsid == m.nsid {
			if m.isBurst(name) {
				m.created++
				m.lastBurst = now
			} else {
				m.others[name] = true
			}
		}
		m.mu.Unlock()
	}
	_ = m.cmd.Wait()
}

// parseMonitorLine reads the first line of a link message, such as
// "[nsid 0]Deleted 3: a0@if2: <BROADCAST,...> mtu 1500 ...". Other lines
// (the indented link/ether line) are not messages: ok is false. nsid is -1
// for the host's own namespace.
func parseMonitorLine(line string) (nsid int, name string, deleted, ok bool) {
	if line == "" || line[0] == ' ' || line[0] == '\t' {
		return 0, "", false, false
	}
	nsid = -1
	for {
		switch {
		case strings.HasPrefix(line, "[nsid "):
			id, rest, found := strings.Cut(line[len("[nsid "):], "]")
			n, err := strconv.Atoi(id)
			if !found || err != nil {
				return 0, "", false, false
			}
			nsid, line = n, rest
			continue
		case strings.HasPrefix(line, "Deleted "):
			deleted, line = true, line[len("Deleted "):]
			continue
		}
		break
	}
	idx, rest, found := strings.Cut(line, ": ")
	if _, err := strconv.Atoi(idx); !found || err != nil {
		return 0, "", false, false
	}
	end := strings.IndexAny(rest, "@:")
	if end <= 0 {
		return 0, "", false, false
	}
	return nsid, rest[:end], deleted, true
}

// progress is how many burst creations ip has printed, and when the last.
func (m *ipMonitor) progress() (created int, last time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.created, m.lastBurst
}

// eventCount is how many link messages ip has printed.
func (m *ipMonitor) eventCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.events
}

// waitOther waits until ip has printed the creation of the non-burst link
// name, which shows that it is listening.
func (m *ipMonitor) waitOther(ctx context.Context, name string, timeout time.Duration) error {
	_, err := poll(ctx, 5*time.Millisecond, timeout, func() (bool, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.others[name], m.exitErr()
	})
	if err != nil {
		return fmt.Errorf("ip monitor did not report %s: %w", name, err)
	}
	return nil
}

// waitCreated waits until ip has printed n burst creations, or has printed
// none for stall. It returns the time of the last one.
func (m *ipMonitor) waitCreated(ctx context.Context, n int, stall time.Duration) (time.Time, error) {
	seen, since := -1, time.Now()
	for {
		created, last := m.progress()
		if created >= n {
			return last, nil
		}
		if created != seen {
			seen, since = created, time.Now()
		}
		if time.Since(since) > stall {
			return last, fmt.Errorf("ip monitor stalled at %d of %d creations", created, n)
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("interrupted: %w", ctx.Err())
		case <-m.done:
			return last, fmt.Errorf("ip monitor exited at %d of %d creations", created, n)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// exitErr is an error if ip has exited.
func (m *ipMonitor) exitErr() error {
	select {
	case <-m.done:
		return fmt.Errorf("ip monitor exited: %s", firstLines(m.stderr.String(), 3))
	default:
		return nil
	}
}

// stop ends ip and returns what it wrote to stderr, such as an overrun.
func (m *ipMonitor) stop() string {
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.done
	}
	return strings.TrimSpace(m.stderr.String())
}
