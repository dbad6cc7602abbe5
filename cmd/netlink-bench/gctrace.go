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
	"strconv"
	"strings"
	"time"
)

// A gcCycle is one line of the exporter's GODEBUG=gctrace=1 output, such
// as "gc 12 @3.4s 1%: ..., 4->4->2 MB, 5 MB goal, ...".
type gcCycle struct {
	n      int
	liveMB int // heap marked live by the cycle
}

// lastGC is the exporter's last completed GC cycle; n is 0 if none.
func (e *exporter) lastGC() gcCycle {
	out := e.Output()
	for out != "" {
		i := strings.LastIndexByte(out[:len(out)-1], '\n')
		if c, ok := parseGCLine(out[i+1:]); ok {
			return c
		}
		out = out[:i+1]
	}
	return gcCycle{}
}

func parseGCLine(line string) (gcCycle, bool) {
	f := strings.Fields(line)
	if len(f) < 3 || f[0] != "gc" {
		return gcCycle{}, false
	}
	n, err := strconv.Atoi(f[1])
	if err != nil {
		return gcCycle{}, false
	}
	for i, x := range f[:len(f)-1] {
		if f[i+1] != "MB," || strings.Count(x, "->") != 2 {
			continue
		}
		live, err := strconv.Atoi(x[strings.LastIndex(x, "->")+2:])
		if err != nil {
			return gcCycle{}, false
		}
		return gcCycle{n: n, liveMB: live}, true
	}
	return gcCycle{}, false
}

// liveHeap scrapes until the exporter completes a new GC cycle (scrapes
// allocate), and returns the heap that cycle found live, in MiB (the
// trace's resolution).
func (e *exporter) liveHeap(ctx context.Context) (int, error) {
	before := e.lastGC()
	var after gcCycle
	_, err := poll(ctx, time.Millisecond, 30*time.Second, func() (bool, error) {
		if _, err := e.Scrape(ctx); err != nil {
			return false, err
		}
		after = e.lastGC()
		return after.n > before.n, nil
	})
	if err != nil {
		return 0, fmt.Errorf("no GC cycle: %w", err)
	}
	return after.liveMB, nil
}
