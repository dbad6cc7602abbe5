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

// Package rtnlbusy keeps the kernel's RTNL lock busy for real, the way a
// node that evicts its pods does, and tells when the lock is free again.
// The end-to-end tests (e2e/) and the bench (cmd/netlink-bench) use it to
// start and stop the exporter while its link dumps wait for RTNL.
//
// The kernel tears a namespace's bridges down one RCU grace period at a
// time, holding RTNL: namespaces full of bridges, deleted in bulk, hold it
// for seconds (30 namespaces with 9 bridges each for about 1 to 4 s on a
// 2-CPU VM, 150 for about 22 s). A link dump, which needs RTNL, waits all
// that time in uninterruptible sleep.
//
// It needs root and ip(8). Like the harness, it does not import "testing".
package rtnlbusy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// A Teardown is a set of namespaces with bridges in each, made and deleted
// with one ip -batch each.
type Teardown struct {
	names   []string
	bridges int
	dir     string
}

// New returns a teardown of the namespaces names, with bridges bridges in
// each; its batch files go to dir. The caller chooses names that no one
// else uses.
func New(names []string, bridges int, dir string) *Teardown {
	return &Teardown{names: names, bridges: bridges, dir: dir}
}

// Create makes the namespaces and their bridges.
func (t *Teardown) Create(ctx context.Context) error {
	lines := make([]string, 0, len(t.names)*(t.bridges+1))
	for _, ns := range t.names {
		lines = append(lines, "netns add "+ns)
		for j := range t.bridges {
			lines = append(lines, fmt.Sprintf("link add br%d netns %s type bridge", j, ns))
		}
	}
	return t.batch(ctx, "rtnlbusy-add", lines)
}

// Delete deletes the namespaces at once. It returns as soon as ip has
// unmounted them; the kernel then tears them down in the background,
// holding RTNL.
func (t *Teardown) Delete(ctx context.Context) error {
	lines := make([]string, len(t.names))
	for i, ns := range t.names {
		lines[i] = "netns del " + ns
	}
	return t.batch(ctx, "rtnlbusy-del", lines, "-force")
}

// Remove deletes those of the namespaces that still exist, for cleanup
// after a failure; it does not wait for the kernel.
func (t *Teardown) Remove() {
	var lines []string
	for _, ns := range t.names {
		if _, err := os.Stat(filepath.Join("/run/netns", ns)); err == nil {
			lines = append(lines, "netns del "+ns)
		}
	}
	if len(lines) > 0 {
		_ = t.batch(context.Background(), "rtnlbusy-remove", lines, "-force")
	}
}

func (t *Teardown) batch(ctx context.Context, name string, lines []string, opts ...string) error {
	file := filepath.Join(t.dir, name)
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("rtnlbusy: %w", err)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ip", append(opts, "-batch", file)...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("rtnlbusy: ip -batch %s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// A Probe is one request that needs RTNL, RTM_GETLINK for the loopback
// link: it returns as soon as the kernel gives it RTNL. (`ip link show`
// would take RTNL twice: it sends an empty RTM_NEWLINK first, to probe
// for extended acks, then its dump.)
type Probe struct {
	// Started is when the request was sent.
	Started time.Time
	done    chan struct{}
	// returned and err are set before done is closed.
	returned time.Time
	err      error
}

// Done is closed when the probe has returned.
func (p *Probe) Done() <-chan struct{} { return p.done }

// Pending reports whether the probe still waits for RTNL.
func (p *Probe) Pending() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Returned is when the probe returned, and its error; call it after Done
// is closed.
func (p *Probe) Returned() (time.Time, error) { return p.returned, p.err }

// WaitHeld starts probes until one has not returned after pending, which
// shows that something holds RTNL, and returns that probe, still pending:
// when it returns, RTNL has been free. It fails if none is held back within
// timeout.
func WaitHeld(ctx context.Context, pending, timeout time.Duration) (*Probe, error) {
	deadline := time.Now().Add(timeout)
	for {
		p, err := StartProbe()
		if err != nil {
			return nil, err
		}
		select {
		case <-p.Done():
		case <-time.After(pending):
			return p, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("rtnlbusy: %w", ctx.Err())
		}
		if _, err := p.Returned(); err != nil {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("rtnlbusy: no link dump waited %v for RTNL within %v", pending, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
