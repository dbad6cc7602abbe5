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
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// buildExporter builds the main package of the module that holds the
// working directory into dir, and returns the binary's path.
func buildExporter(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the exporter's module: run from the repository or pass -exporter")
	}
	bin := filepath.Join(dir, "netlink_exporter")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build in %s: %w: %s", cmd.Dir, err, firstLines(string(out), 10))
	}
	return bin, nil
}

// An exporter is a running netlink_exporter subprocess.
type exporter struct {
	pid     int
	url     string
	client  *http.Client
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error // set before exited is closed
}

// startExporter starts bin listening on a free loopback port, watching
// /run/netns only, with extra flags appended, and waits until /metrics
// answers.
func startExporter(ctx context.Context, bin, dir string, timeout time.Duration, extra ...string) (*exporter, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "exporter-"+port+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("exporter log: %w", err)
	}
	defer logf.Close() // the child has its own copy
	args := append([]string{
		"--web.listen-address=127.0.0.1:" + port,
		"--netns.dir=" + netnsDir,
		"--no-netns.proc",
		"--log.level=warn",
	}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// The runtime then logs every GC with the heap it found live, which
	// tells a leak from memory the runtime has not returned yet.
	cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	// If the bench dies without cleaning up, so does the exporter.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start exporter: %w", err)
	}
	e := &exporter{
		pid:     cmd.Process.Pid,
		url:     "http://127.0.0.1:" + port + "/metrics",
		client:  &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 30 * time.Second},
		cmd:     cmd,
		logPath: logPath,
		exited:  make(chan struct{}),
	}
	go func() { e.waitErr = cmd.Wait(); close(e.exited) }()

	_, err = poll(ctx, 50*time.Millisecond, timeout, func() (bool, error) {
		select {
		case <-e.exited:
			return false, fmt.Errorf("exporter exited: %v: %s", e.waitErr, e.logTail())
		default:
		}
		_, err := e.scrape(ctx)
		return err == nil, nil
	})
	if err != nil {
		_ = e.stop()
		return nil, fmt.Errorf("exporter not ready: %w", err)
	}
	return e, nil
}

// scrape gets /metrics.
func (e *exporter) scrape(ctx context.Context) (scrape, error) {
	body, err := e.get(ctx, false)
	return scrape{body: body}, err
}

// timedGet gets /metrics as Prometheus would, optionally gzipped, and
// returns how long the whole body took and its size on the wire.
func (e *exporter) timedGet(ctx context.Context, gzip bool) (time.Duration, int, error) {
	start := time.Now()
	body, err := e.get(ctx, gzip)
	return time.Since(start), len(body), err
}

func (e *exporter) get(ctx context.Context, gzip bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url, nil)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	if gzip {
		// Set by hand, the transport leaves the body compressed.
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scrape: read body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape: %s: %s", resp.Status, firstLines(string(body), 3))
	}
	return body, nil
}

// stop sends SIGTERM, waits for the exporter to exit, and kills it if it
// does not within 10 s. It returns the exporter's exit error.
func (e *exporter) stop() error {
	select {
	case <-e.exited:
		return e.waitErr
	default:
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
		return e.waitErr
	case <-time.After(10 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.exited
		return fmt.Errorf("exporter ignored SIGTERM for 10 s: killed")
	}
}

// logTail is the end of the exporter's output without the GC trace, for
// error messages.
func (e *exporter) logTail() string {
	b, err := os.ReadFile(e.logPath)
	if err != nil {
		return err.Error()
	}
	var lines []string
	for line := range strings.Lines(string(b)) {
		if !strings.HasPrefix(line, "gc ") {
			lines = append(lines, strings.TrimSpace(line))
		}
	}
	lines = lines[max(0, len(lines)-10):]
	return strings.Join(lines, " / ")
}

// freePort asks the kernel for a loopback port that is free now.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// idleFDs counts the exporter's fds with no scrape connection open.
func (e *exporter) idleFDs() (fdSample, error) {
	e.client.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond) // the server closes its end
	return readFDs(e.pid)
}

// waitFDs waits up to 10 s for the exporter's fds to come back to want,
// and returns the last count.
func (e *exporter) waitFDs(ctx context.Context, want fdSample) (fdSample, error) {
	e.client.CloseIdleConnections()
	var got fdSample
	_, err := poll(ctx, 100*time.Millisecond, 10*time.Second, func() (bool, error) {
		var err error
		got, err = readFDs(e.pid)
		return got == want, err
	})
	if errors.As(err, new(timeoutError)) {
		err = nil // the report shows the difference
	}
	return got, err
}
