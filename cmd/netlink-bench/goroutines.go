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
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// quitDump sends the exporter SIGQUIT, on which the Go runtime writes every
// goroutine's stack and exits, and writes that dump to a file that outlives
// the run. It returns the file's path and a summary of the goroutines by
// where each waits.
func (e *exporter) quitDump(name string) (path, summary string, err error) {
	e.Quit()
	out := e.Output()
	i := strings.Index(out, "SIGQUIT")
	if i < 0 {
		return "", "", fmt.Errorf("no goroutine dump in the exporter's output: %s", e.logTail())
	}
	dump := out[i:]
	f, err := os.CreateTemp("", "netlink-bench-"+name+"-*.txt")
	if err != nil {
		return "", "", fmt.Errorf("goroutine dump: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(dump); err != nil {
		return "", "", fmt.Errorf("goroutine dump: %w", err)
	}
	return f.Name(), summarizeDump(dump), nil
}

// summarizeDump counts the goroutines of a dump by their state and the
// function they run (their last frame outside the runtime), such as
// "2× [IO wait] net/http.(*conn).serve".
func summarizeDump(dump string) string {
	counts := make(map[string]int)
	n := 0
	for _, g := range strings.Split(dump, "\ngoroutine ")[1:] {
		lines := strings.Split(g, "\n")
		state := ""
		if a, b := strings.Index(lines[0], "["), strings.LastIndex(lines[0], "]"); a >= 0 && b > a {
			state = lines[0][a : b+1]
		}
		where := "runtime"
		for _, l := range lines[1:] {
			if l == "" || strings.HasPrefix(l, "\t") || strings.HasPrefix(l, "runtime.") {
				continue
			}
			if strings.HasPrefix(l, "created by") {
				break
			}
			// The argument list is the last parenthesis: method names
			// such as net/http.(*conn).serve have others.
			if i := strings.LastIndex(l, "("); i > 0 {
				l = l[:i]
			}
			where = l
		}
		counts[state+" "+where]++
		n++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d× %s", counts[k], k))
	}
	return fmt.Sprintf("%d goroutines: %s", n, strings.Join(parts, "; "))
}

// goroutineSamples is how many scrapes goroutines takes the median of.
const goroutineSamples = 21

// goroutines is the exporter's goroutine count at rest: the median of
// go_goroutines over goroutineSamples scrapes on one connection. One scrape
// is not enough: go_goroutines counts the goroutines that serve the scrape
// too, and the registry starts between one and one per collector to
// collect, as the scheduler goes. 300 scrapes of an idle exporter saw 12 to
// 16, 14 nine times in ten; a single low sample before the churn made the
// check fail after it.
func (e *exporter) goroutines(ctx context.Context) (float64, error) {
	// Idle keep-alive connections each hold a goroutine in the exporter.
	e.HTTP.CloseIdleConnections()
	if err := sleep(ctx, 100*time.Millisecond); err != nil {
		return 0, err
	}
	xs := make([]float64, goroutineSamples)
	for i := range xs {
		s, err := e.scrape(ctx)
		if err != nil {
			return 0, err
		}
		xs[i] = s.total(mGoroutines)
	}
	return median(xs), nil
}
