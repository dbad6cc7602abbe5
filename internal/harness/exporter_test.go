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

package harness

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fakeEnv makes the test binary a fake exporter, which behaves as its value
// says: see fakeExporter.
const fakeEnv = "HARNESS_FAKE_EXPORTER"

// fakeMarkerEnv names the file by which a "taken-once" fake knows that it
// ran before.
const fakeMarkerEnv = "HARNESS_FAKE_MARKER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeEnv); mode != "" {
		os.Exit(fakeExporter(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeExporter listens on the address of its first argument,
// --web.listen-address=ADDR, and serves /-/healthy, /-/ready, /later (503
// for its first three requests, then 200), /conns (how many connections it
// accepted) and /metrics until SIGTERM. It writes its arguments to stdout.
// By mode:
//   - ok: exits 0 on SIGTERM;
//   - fail: exits 1 at once;
//   - taken-once: the first time, exits 1 as if its port was taken;
//   - hang: ignores SIGTERM;
//   - dirty: exits 1 on SIGTERM.
func fakeExporter(mode string, args []string) int {
	fmt.Printf("fake exporter %s, args %q\n", mode, args)
	addr := strings.TrimPrefix(args[0], "--web.listen-address=")
	switch mode {
	case "fail":
		fmt.Fprintln(os.Stderr, "fake: cannot start")
		return 1
	case "taken-once":
		marker := os.Getenv(fakeMarkerEnv)
		if _, err := os.Stat(marker); err != nil {
			_ = os.WriteFile(marker, nil, 0o600)
			fmt.Fprintf(os.Stderr, "listen tcp %s: bind: address already in use\n", addr)
			return 1
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var later, conns atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc(HealthyPath, func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc(ReadyPath, func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/later", func(w http.ResponseWriter, _ *http.Request) {
		if later.Add(1) <= 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "fake_up 1")
	})
	mux.HandleFunc("/conns", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, conns.Load())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Second,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}}
	go func() { _ = srv.Serve(l) }()
	if mode == "hang" {
		signal.Ignore(syscall.SIGTERM)
		select {}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	_ = srv.Close()
	if mode == "dirty" {
		return 1
	}
	return 0
}

// startFake starts the test binary as a fake exporter in mode.
func startFake(t *testing.T, ctx context.Context, mode string, o Options) (*Exporter, error) {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	o.Env = append(o.Env, fakeEnv+"="+mode)
	e, err := StartExporter(ctx, bin, o)
	if err == nil {
		t.Cleanup(e.Kill)
	}
	return e, err
}

func TestStartExporter(t *testing.T) {
	t.Parallel()
	e, err := startFake(t, t.Context(), "ok", Options{Args: []string{"--flag=1"}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := e.Scrape(t.Context())
	if err != nil || string(body) != "fake_up 1\n" {
		t.Errorf("Scrape = %q, %v; want fake_up 1", body, err)
	}
	if err := e.Stop(10 * time.Second); err != nil {
		t.Error(err)
	}
	want := fmt.Sprintf("args [\"--web.listen-address=%s\" \"--flag=1\"]", e.Addr)
	if out := e.Output(); !strings.Contains(out, want) {
		t.Errorf("output %q does not contain %q", out, want)
	}
	if err := e.Stop(time.Second); err == nil {
		t.Error("no error from stopping an exporter that had exited")
	}
}

func TestStartExporterReadyPath(t *testing.T) {
	t.Parallel()
	e, err := startFake(t, t.Context(), "ok", Options{ReadyPath: "/later"})
	if err != nil {
		t.Fatal(err)
	}
	// The polls and the exporter's client share one keep-alive
	// connection: each open one costs the exporter a goroutine.
	if _, body, err := e.Get(t.Context(), "/conns"); err != nil || string(body) != "1\n" {
		t.Errorf("GET /conns = %q, %v; want one connection for four polls and this", body, err)
	}
	// The fake answers 404 there, which is not ready: SIGQUIT then makes
	// it write its goroutines' stacks, which the error holds. Long enough
	// for the Go runtime of a race-built fake to be up on a loaded machine:
	// a SIGQUIT before kills it without stacks.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	_, err = startFake(t, ctx, "ok", Options{ReadyPath: "/missing"})
	if err == nil || !strings.Contains(err.Error(), "not ready") || !strings.Contains(err.Error(), "goroutine ") {
		t.Errorf("error %v; want not ready, with the stacks", err)
	}
}

func TestStartExporterExits(t *testing.T) {
	t.Parallel()
	_, err := startFake(t, t.Context(), "fail", Options{})
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") || !strings.Contains(err.Error(), "fake: cannot start") {
		t.Errorf("error %v; want exited, with the output", err)
	}
}

func TestStartExporterPortTaken(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "marker")
	e, err := startFake(t, t.Context(), "taken-once", Options{Env: []string{fakeMarkerEnv + "=" + marker}})
	if err != nil {
		t.Fatalf("no second try on another port: %v", err)
	}
	if out := e.Output(); strings.Contains(out, "address already in use") {
		t.Errorf("the output is the first try's, want the second's:\n%s", out)
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode    string
		timeout time.Duration
		want    string // in Stop's error; "" for none
		out     string // in the output
	}{
		{"ok", 10 * time.Second, "", ""},
		{"dirty", 10 * time.Second, "did not exit cleanly", ""},
		// The Go runtime writes every goroutine's stack on SIGQUIT.
		{"hang", 200 * time.Millisecond, "did not exit within", "goroutine "},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			e, err := startFake(t, t.Context(), tt.mode, Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = e.Stop(tt.timeout)
			switch {
			case tt.want == "" && err != nil, tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Stop = %v, want an error with %q", err, tt.want)
			}
			<-e.Done()
			if out := e.Output(); !strings.Contains(out, tt.out) {
				t.Errorf("output does not contain %q:\n%s", tt.out, out)
			}
		})
	}
}

func TestQuit(t *testing.T) {
	t.Parallel()
	e, err := startFake(t, t.Context(), "ok", Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.Quit()
	select {
	case <-e.Done():
	default:
		t.Fatal("Quit returned before the exporter exited")
	}
	// SIGQUIT dumps every goroutine, the runtime's included.
	if out := e.Output(); !strings.Contains(out, "SIGQUIT") || !strings.Contains(out, "\ngoroutine 1 ") || !strings.Contains(out, "runtime.forcegchelper") {
		t.Errorf("output lacks the stacks of every goroutine:\n%s", out)
	}
}
