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

package netns

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// startWatch runs Watch until cleanup and returns its signals.
func startWatch(t *testing.T, dirs ...string) <-chan struct{} {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	changed := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() { done <- Watch(ctx, dirs, changed) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Watch(%q) = %v, want %v", dirs, err, context.Canceled)
		}
	})
	expectSignal(t, changed, "start", time.Now(), nil)
	return changed
}

// expectSignal waits for signals on changed until ok (if any) holds after
// one, for at most a second. It logs the delay since start.
func expectSignal(t *testing.T, changed <-chan struct{}, what string, start time.Time, ok func() bool) {
	t.Helper()
	timeout := time.After(time.Second)
	for {
		select {
		case <-changed:
			if ok == nil || ok() {
				t.Logf("%s: signal after %v", what, time.Since(start))
				return
			}
		case <-timeout:
			t.Fatalf("%s: no signal within 1s", what)
		}
	}
}

// settle lets the events of a previous step pass, so that they do not
// count for the next one.
func settle(changed <-chan struct{}) {
	time.Sleep(20 * time.Millisecond)
	select {
	case <-changed:
	default:
	}
}

func TestWatchDirs(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "a", "b")
	file := filepath.Join(dir, "f")
	changed := startWatch(t, dir)
	steps := []struct {
		name string
		do   func() error
	}{
		{"create missing dir", func() error { return os.MkdirAll(dir, 0o755) }},
		{"create file", func() error { return os.WriteFile(file, nil, 0o644) }},
		{"remove file", func() error { return os.Remove(file) }},
		{"remove dir", func() error { return os.RemoveAll(filepath.Join(tmp, "a")) }},
		{"create dir again", func() error { return os.MkdirAll(dir, 0o755) }},
		{"create file in new dir", func() error { return os.WriteFile(file, nil, 0o644) }},
		{"rename out of dir", func() error { return os.Rename(file, filepath.Join(tmp, "f")) }},
		{"rename into dir", func() error { return os.Rename(filepath.Join(tmp, "f"), file) }},
	}
	for _, s := range steps {
		settle(changed)
		start := time.Now()
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		expectSignal(t, changed, s.name, start, nil)
	}
}

func TestWatchNetns(t *testing.T) {
	requireRoot(t)
	tmp := filepath.Join(t.TempDir(), "netns")
	changed := startWatch(t, tmp, "/run/netns")
	dev := nsfsDev(t)
	name := testns.Name(t, "nlxt-")
	t.Cleanup(func() { _ = unix.Unmount(filepath.Join(tmp, "x"), unix.MNT_DETACH) })
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	has := func(dir, name string) func() bool {
		return func() bool {
			cands, err := ScanDir(dir, dev)
			if err != nil {
				t.Fatal(err)
			}
			return slices.Contains(names(cands), name)
		}
	}
	not := func(f func() bool) func() bool { return func() bool { return !f() } }
	steps := []struct {
		name string
		do   func() error
		ok   func() bool
	}{
		{"create missing dir", func() error { return os.Mkdir(tmp, 0o755) }, nil},
		{"bind mount", func() error {
			bindSelf(t, filepath.Join(tmp, "x"))
			return nil
		}, has(tmp, "x")},
		{"unmount", func() error { return unix.Unmount(filepath.Join(tmp, "x"), 0) }, not(has(tmp, "x"))},
		{"ip netns add", func() error { testns.IP(t, "netns", "add", name); return nil }, has("/run/netns", name)},
		{"ip netns del", func() error { testns.IP(t, "netns", "del", name); return nil }, not(has("/run/netns", name))},
	}
	for _, s := range steps {
		settle(changed)
		start := time.Now()
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		expectSignal(t, changed, s.name, start, s.ok)
	}
}

func TestWatchCancel(t *testing.T) {
	tests := []struct {
		name  string
		early bool // cancel before Watch starts
	}{
		{name: "running"},
		{name: "cancelled before start", early: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			before := fdCount(t)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			changed := make(chan struct{}, 1)
			done := make(chan error, 1)
			if tt.early {
				cancel()
			}
			go func() { done <- Watch(ctx, []string{dir, filepath.Join(dir, "missing")}, changed) }()
			if !tt.early {
				expectSignal(t, changed, "start", time.Now(), nil)
				cancel()
			}
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Watch() = %v, want %v", err, context.Canceled)
				}
			case <-time.After(time.Second):
				t.Fatal("Watch did not return within 1s of cancel")
			}
			if after := fdCount(t); after != before {
				t.Errorf("Watch left %d more fds open", after-before)
			}
		})
	}
}
