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
	"net/http"
	"strings"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
)

// stopTimeout is how long an exporter may take to exit on SIGTERM.
const stopTimeout = 10 * time.Second

// readyTimeout is the least time an exporter has to read its baseline: its
// link dumps wait for the kernel's RTNL lock, which a kernel tearing down
// many namespaces, or other jobs on the machine, hold for minutes.
const readyTimeout = 5 * time.Minute

// buildExporter builds the exporter of the module that holds the working
// directory into dir, and returns the binary's path.
func buildExporter(ctx context.Context, dir string) (string, error) {
	bin, err := harness.Build(ctx, dir, harness.BuildOptions{})
	if err != nil {
		return "", fmt.Errorf("%w (or pass -exporter)", err)
	}
	return bin, nil
}

// An exporter is a running netlink_exporter subprocess.
type exporter struct {
	*harness.Exporter
	// gzip asks for a gzipped body, which it leaves compressed.
	gzip harness.Client
}

// startExporter starts bin listening on a free loopback port, watching
// /run/netns only, with extra flags appended, and waits until /metrics
// answers 200, which it does once the baseline is read: /metrics rather than
// /-/ready, so that builds from before /-/ready can be measured too.
func startExporter(ctx context.Context, bin string, timeout time.Duration, extra ...string) (*exporter, error) {
	return launch(ctx, bin, max(timeout, readyTimeout), "/metrics", extra)
}

// startListening is startExporter, but waits only until the exporter serves
// HTTP, before its baseline is read.
func startListening(ctx context.Context, bin string, timeout time.Duration, extra ...string) (*exporter, error) {
	return launch(ctx, bin, timeout, harness.HealthyPath, extra)
}

func launch(ctx context.Context, bin string, timeout time.Duration, readyPath string, extra []string) (*exporter, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	e, err := harness.StartExporter(ctx, bin, harness.Options{
		Args: append([]string{
			"--netns.dir=" + netnsDir,
			"--no-netns.proc",
			"--log.level=warn",
		}, extra...),
		// The runtime then logs every GC with the heap it found live, which
		// tells a leak from memory the runtime has not returned yet; on
		// SIGQUIT it dumps every goroutine (quitDump).
		Env:         []string{"GODEBUG=gctrace=1", "GOTRACEBACK=all"},
		HTTPTimeout: 30 * time.Second,
		ReadyPath:   readyPath,
	})
	if err != nil {
		return nil, fmt.Errorf("exporter not ready: %w", err)
	}
	gz := e.Client
	gz.Header = http.Header{"Accept-Encoding": {"gzip"}}
	return &exporter{Exporter: e, gzip: gz}, nil
}

// scrape gets /metrics.
func (e *exporter) scrape(ctx context.Context) (scrape, error) {
	body, err := e.Scrape(ctx)
	return scrape{body: body}, err
}

// timedGet gets /metrics as Prometheus would, optionally gzipped, and
// returns how long the whole body took and its size on the wire.
func (e *exporter) timedGet(ctx context.Context, gzip bool) (time.Duration, int, error) {
	c := e.Client
	if gzip {
		c = e.gzip
	}
	start := time.Now()
	body, err := c.Scrape(ctx)
	return time.Since(start), len(body), err
}

// logTail is the end of the exporter's output without the GC trace, for
// error messages.
func (e *exporter) logTail() string {
	var lines []string
	for line := range strings.Lines(e.Output()) {
		if !strings.HasPrefix(line, "gc ") {
			lines = append(lines, strings.TrimSpace(line))
		}
	}
	lines = lines[max(0, len(lines)-10):]
	return strings.Join(lines, " / ")
}

// idleFDs counts the exporter's fds with no scrape connection open.
func (e *exporter) idleFDs() (fdSample, error) {
	e.HTTP.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond) // the server closes its end
	return readFDs(e.PID())
}

// waitFDs waits up to 10 s for the exporter's fds to come back to want,
// and returns the last count.
func (e *exporter) waitFDs(ctx context.Context, want fdSample) (fdSample, error) {
	e.HTTP.CloseIdleConnections()
	var got fdSample
	_, err := poll(ctx, 100*time.Millisecond, 10*time.Second, func() (bool, error) {
		var err error
		got, err = readFDs(e.PID())
		return got == want, err
	})
	if errors.As(err, new(timeoutError)) {
		err = nil // the report shows the difference
	}
	return got, err
}
