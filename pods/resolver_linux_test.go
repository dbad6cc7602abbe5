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

package pods

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// waitTimeout bounds every wait of these tests, which take milliseconds
// when all goes well.
const waitTimeout = 10 * time.Second

// fastRetry makes the resolver's pauses short enough for tests.
var fastRetry = retryPolicy{first: 5 * time.Millisecond, max: 10 * time.Millisecond, giveUp: 100 * time.Millisecond, errFirst: 5 * time.Millisecond}

// patientRetry is fastRetry that gives up on a namespace only after the
// tests' waits, which a loaded machine may stretch: the tests that run a
// resolver in real time are not about giving up (TestResolverGivesUp is).
var patientRetry = retryPolicy{first: fastRetry.first, max: fastRetry.max, giveUp: time.Minute, errFirst: fastRetry.errFirst}

// attachments records what a resolver attaches.
type attachments struct {
	mu    sync.Mutex
	pods  map[uint64]Pod
	calls int
}

func (a *attachments) attach(inode uint64, p Pod) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pods == nil {
		a.pods = make(map[uint64]Pod)
	}
	a.pods[inode] = p
	a.calls++
}

func (a *attachments) snapshot() (map[uint64]Pod, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.pods), a.calls
}

// logBuffer collects a resolver's logs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count returns how many lines have this level and message.
func (b *logBuffer) count(level, msg string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), "level="+level+" msg=\""+msg+"\"")
}

type testResolver struct {
	*Resolver
	attached attachments
	logs     logBuffer
}

// startResolver runs a resolver with fast retries, the fake namespaces, and
// a resync interval long enough that only what the test does makes it
// list, unless opts says otherwise. Cleanup stops it and waits for Run to
// return.
func startResolver(t *testing.T, opts Options, ns *fakeNamespaces, candidates ...string) *testResolver {
	t.Helper()
	tr := &testResolver{}
	opts.Logger = slog.New(slog.NewTextHandler(&tr.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.ResyncInterval == 0 {
		opts.ResyncInterval = time.Hour
	}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	r.fs, r.retry = ns.fs, patientRetry
	if len(candidates) > 0 {
		r.candidates = candidates
	}
	tr.Resolver = r
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx, tr.attached.attach)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("resolver's log:\n%s", tr.logs.buf.String())
		}
	})
	return tr
}

// waitFor polls cond until it holds, and fails t with msg if it does not
// within waitTimeout.
func waitFor(t *testing.T, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", waitTimeout, msg)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitLists waits until the runtime has answered n more lists than before.
func waitLists(t *testing.T, f *fakeRuntime, n int) {
	t.Helper()
	want := f.count(methodList) + n
	waitFor(t, "the resolver does not list", func() bool { return f.count(methodList) >= want })
}

func TestResolverAttributesSandboxes(t *testing.T) {
	f, socket := startFakeRuntime(t)
	ns := newFakeNamespaces(t)
	web := Pod{Namespace: "shop", Name: "web-0", UID: "uid-web"}
	webPath, webIno := ns.add(t, "netns/cni-web")
	f.add("sb-web", web, webPath, 101)

	// A pod whose bind mount the exporter cannot see: its process leads
	// to its namespace.
	db := Pod{Namespace: "shop", Name: "db-0", UID: "uid-db"}
	dbIno := ns.addProcess(t, 4242)
	f.add("sb-db", db, filepath.Join(ns.dir, "not-mounted-here"), 4242)

	// A sandbox that the runtime names only by kubelet's labels.
	labelled := Pod{Namespace: "batch", Name: "job-x", UID: "uid-job"}
	labelledPath, labelledIno := ns.add(t, "netns/cni-job")
	f.add("sb-job", labelled, labelledPath, 102)
	f.sandboxes["sb-job"].item.Metadata = nil

	// hostNetwork pods: one the runtime says so of, one whose process is
	// in the host's namespace though the runtime gives a network entry.
	f.add("sb-agent", Pod{Namespace: "kube-system", Name: "agent", UID: "uid-agent"}, "", 103)
	f.sandboxes["sb-agent"].hostNetwork = true
	hostIno := ns.addProcess(t, 104)
	ns.fs.host[hostIno] = true
	f.add("sb-proxy", Pod{Namespace: "kube-system", Name: "proxy", UID: "uid-proxy"}, "", 104)

	// A stopped sandbox is not asked about.
	f.add("sb-old", Pod{Namespace: "shop", Name: "web-0", UID: "uid-old"}, webPath, 105)
	f.sandboxes["sb-old"].item.State = runtimeapi.PodSandboxState_SANDBOX_NOTREADY

	r := startResolver(t, Options{Endpoints: []string{"unix://" + socket}}, ns)
	waitFor(t, "the first list is not done", func() bool { return r.Stats().Sandboxes == 6 })

	got, calls := r.attached.snapshot()
	want := map[uint64]Pod{webIno: web, dbIno: db, labelledIno: labelled}
	if !maps.Equal(got, want) || calls != 3 {
		t.Errorf("attached %v in %d calls, want %v in 3", got, calls, want)
	}
	s := r.Stats()
	wantCalls := map[string]uint64{methodVersion: 1, methodList: 1, methodStatus: 5}
	if !maps.Equal(s.Requests, wantCalls) {
		t.Errorf("requests %v, want %v", s.Requests, wantCalls)
	}
	if s.Endpoint != socket || s.RuntimeName != "fake" || s.RuntimeVersion != "1.0" || s.Attributed != 3 {
		t.Errorf("stats %+v", s)
	}
}

func TestResolverNotifiedNamespace(t *testing.T) {
	f, socket := startFakeRuntime(t)
	ns := newFakeNamespaces(t)
	r := startResolver(t, Options{Endpoints: []string{socket}}, ns)
	waitLists(t, f, 1)

	// The namespace appears before the runtime lists its sandbox, as CNI
	// runs in between.
	path, ino := ns.add(t, "netns/cni-new")
	r.Notify(ino)
	waitLists(t, f, 2)
	pod := Pod{Namespace: "shop", Name: "new-0", UID: "uid-new"}
	f.add("sb-new", pod, path, 200)
	waitFor(t, "the notified namespace is not attributed", func() bool {
		got, _ := r.attached.snapshot()
		return got[ino] == pod
	})

	if n := f.count(methodStatus); n != 1 {
		t.Errorf("%d status calls, want 1: one per sandbox", n)
	}
}

// TestResolverGivesUp steps a resolver through time by hand: a namespace
// that no sandbox has is looked for at shrinking intervals until
// retry.giveUp, then no more.
func TestResolverGivesUp(t *testing.T) {
	f, socket := startFakeRuntime(t)
	ns := newFakeNamespaces(t)
	r, err := New(Options{Endpoints: []string{socket}, ResyncInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	r.fs, r.retry = ns.fs, fastRetry
	t.Cleanup(r.disconnect)
	clock := time.Unix(1700000000, 0)
	r.now = func() time.Time { return clock }
	var got attachments
	step := func() { r.step(context.Background(), clock, got.attach) }

	step() // connects and lists
	_, ino := ns.add(t, "netns/not-a-pod")
	r.Notify(ino)
	lists := func() int { return f.count(methodList) - 1 }
	var trace []int
	for range 2 * int(fastRetry.giveUp/fastRetry.first) {
		step()
		trace = append(trace, lists())
		clock = clock.Add(fastRetry.first)
	}
	// A list at once, then at 5, 10, 10, ... ms until 100 ms: the first
	// retry waits retry.first, the next ones retry.max.
	if want := 1 + 1 + int((fastRetry.giveUp-fastRetry.first)/fastRetry.max); lists() != want {
		t.Errorf("%d lists for a namespace that is no pod's, want %d; lists made by each step: %v", lists(), want, trace)
	}
	if _, calls := got.snapshot(); calls != 0 {
		t.Errorf("%d attachments, want none", calls)
	}
}

func TestResolverKnownSandbox(t *testing.T) {
	f, socket := startFakeRuntime(t)
	ns := newFakeNamespaces(t)
	pod := Pod{Namespace: "shop", Name: "web-0", UID: "uid-web"}
	path, ino := ns.add(t, "netns/cni-web")
	f.add("sb-web", pod, path, 101)
	r := startResolver(t, Options{Endpoints: []string{socket}}, ns)
	waitFor(t, "the first list is not done", func() bool { return r.Stats().Sandboxes == 1 })

	// A namespace that the resolver has already seen the sandbox of is
	// attributed from its cache, with no call to the runtime.
	r.Notify(ino)
	waitFor(t, "the known namespace is not attached again", func() bool {
		_, calls := r.attached.snapshot()
		return calls == 2
	})
	if n := f.count(methodList) + f.count(methodStatus); n != 2 {
		t.Errorf("%d lists and status calls, want 2: the first list and status", n)
	}
}

func TestResolverDeadNamespace(t *testing.T) {
	f, socket := startFakeRuntime(t)
	ns := newFakeNamespaces(t)
	path, ino := ns.add(t, "netns/cni-web")
	f.add("sb-web", Pod{Namespace: "shop", Name: "web-0", UID: "uid-web"}, path, 101)
	r := startResolver(t, Options{Endpoints: []string{socket}}, ns)
	waitFor(t, "the first list is not done", func() bool { return r.Stats().Attributed == 1 })

	// The sandbox's namespace died; the runtime still lists the sandbox,
	// and the kernel gives the inode to the next namespace, which is no
	// pod's. It must not be attributed to the sandbox that had it.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	lists := f.count(methodList)
	r.Notify(ino)
	waitFor(t, "the notified namespace is neither attached nor looked for", func() bool {
		_, calls := r.attached.snapshot()
		return calls > 1 || f.count(methodList) > lists
	})
	if _, calls := r.attached.snapshot(); calls != 1 {
		t.Errorf("attached %d times, want once: the namespace that reused the inode was attributed", calls)
	}
}

func TestResolverForgetsRemovedSandboxes(t *testing.T) {
	f, socket := startFakeRuntime(t)
	ns := newFakeNamespaces(t)
	for _, name := range []string{"a", "b"} {
		path, _ := ns.add(t, "netns/"+name)
		f.add("sb-"+name, Pod{Namespace: "shop", Name: name, UID: "uid-" + name}, path, 1)
	}
	r := startResolver(t, Options{Endpoints: []string{socket}, ResyncInterval: 5 * time.Millisecond}, ns)
	waitFor(t, "the first list is not done", func() bool { return r.Stats().Attributed == 2 })
	f.remove("sb-b")
	waitFor(t, "the removed sandbox is still known", func() bool {
		s := r.Stats()
		return s.Sandboxes == 1 && s.Attributed == 1
	})
}

func TestResolverRuntimeErrors(t *testing.T) {
	f, socket := startFakeRuntime(t)
	ns := newFakeNamespaces(t)
	pod := Pod{Namespace: "shop", Name: "web-0", UID: "uid-web"}
	path, ino := ns.add(t, "netns/cni-web")
	f.add("sb-web", pod, path, 101)
	f.failNext(methodList, 3)
	f.failNext(methodStatus, 1)
	r := startResolver(t, Options{Endpoints: []string{socket}}, ns)
	waitFor(t, "the sandbox is not attributed after the runtime recovered", func() bool {
		got, _ := r.attached.snapshot()
		return got[ino] == pod
	})
	// The list that attached it ends the streak once it returns.
	waitFor(t, "the end of the failures is not logged", func() bool {
		return r.logs.count("INFO", "The CRI runtime answers again") > 0
	})
	s := r.Stats()
	wantReq := map[string]uint64{methodVersion: 1, methodList: 5, methodStatus: 2}
	wantErr := map[string]uint64{methodVersion: 0, methodList: 3, methodStatus: 1}
	if !maps.Equal(s.Requests, wantReq) || !maps.Equal(s.Errors, wantErr) {
		t.Errorf("requests %v, errors %v; want %v, %v", s.Requests, s.Errors, wantReq, wantErr)
	}
	// One warning for the streak of four failures, one line when it
	// ends; the rest at debug level.
	if w, i := r.logs.count("WARN", "Cannot list the CRI runtime's pod sandboxes; retrying"), r.logs.count("INFO", "The CRI runtime answers again"); w != 1 || i != 1 {
		t.Errorf("%d warnings and %d recoveries logged, want 1 and 1", w, i)
	}
}

func TestResolverDiscovery(t *testing.T) {
	dir := t.TempDir()
	// A socket with no CRI service behind it, like Docker's containerd.
	other := filepath.Join(dir, "other.sock")
	l, err := net.Listen("unix", other)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)

	_, socket := startFakeRuntime(t)
	r := startResolver(t, Options{Endpoints: []string{filepath.Join(dir, "missing.sock"), other, socket}}, newFakeNamespaces(t))
	waitFor(t, "no runtime found", func() bool { return r.Stats().Endpoint != "" })
	s := r.Stats()
	if s.Endpoint != socket || s.RuntimeName != "fake" {
		t.Errorf("found %q (%s), want %q (fake)", s.Endpoint, s.RuntimeName, socket)
	}
	// Other runtimes' sockets are no failures.
	if s.Requests[methodVersion] != 2 || s.Errors[methodVersion] != 0 {
		t.Errorf("%d Version calls and %d errors; want 2 and 0", s.Requests[methodVersion], s.Errors[methodVersion])
	}
}

func TestResolverRuntimeStartsLater(t *testing.T) {
	for _, tc := range []struct {
		name     string
		explicit bool
		// level and msg are what is logged, once, while the runtime is
		// not there.
		level, msg string
	}{
		{name: "discovered", level: "INFO", msg: "No CRI runtime found; pods are not attributed"},
		{name: "explicit", explicit: true, level: "WARN", msg: "Cannot reach the CRI runtime; pods are not attributed until it answers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			socket := filepath.Join(t.TempDir(), "cri.sock")
			opts := Options{ResyncInterval: 5 * time.Millisecond}
			if tc.explicit {
				opts.Endpoints = []string{socket}
			}
			r := startResolver(t, opts, newFakeNamespaces(t), socket)
			waitFor(t, "the missing runtime is not logged", func() bool { return r.logs.count(tc.level, tc.msg) > 0 })
			waitFor(t, "the missing runtime is not retried", func() bool { return r.logs.count("DEBUG", tc.msg) >= 3 })

			f, fakeSocket := startFakeRuntime(t)
			if err := os.Rename(fakeSocket, socket); err != nil {
				t.Fatal(err)
			}
			waitLists(t, f, 1)
			if n := r.logs.count(tc.level, tc.msg); n != 1 {
				t.Errorf("logged %d times at %s, want once: %q", n, tc.level, tc.msg)
			}
			if got, want := r.Stats().Errors[methodVersion] > 0, tc.explicit; got != want {
				t.Errorf("Version errors counted: %v, want %v", got, want)
			}
		})
	}
}
