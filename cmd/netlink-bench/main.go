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

// Command netlink-bench measures netlink_exporter against the quality bars
// of its spec on a live kernel: exact counts of veth bursts in one and in
// many namespaces, CPU per link event next to `ip monitor all-nsid link` in
// the same run, memory and scrape time with 1,000 namespaces, namespaces
// not pinned, and no leaks over namespace churn.
//
// It needs root. It builds the exporter from the module it runs in (or runs
// the one -exporter names), starts it on a free loopback port, creates its
// namespaces and links with ip(8) under names unique to the run, and removes
// them all when it ends, also on failure, SIGINT or SIGTERM.
//
// It prints a table with one row per bar. It exits 1 if an exactness bar
// (counts, leaks, pins) fails, and with -strict if a performance bar does.
//
//	go run ./cmd/netlink-bench          # full run, several minutes
//	go run ./cmd/netlink-bench -quick   # smoke run for CI, under a minute
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() { os.Exit(run()) }

func run() int {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "netlink-bench: %v\n", err)
		return 2
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "netlink-bench: needs root: it creates network namespaces and links")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	start := time.Now()
	b, err := newBench(cfg, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "netlink-bench: %v\n", err)
		return 2
	}
	runErr := b.run(ctx)
	b.printResults(os.Stdout, time.Since(start))
	if runErr != nil {
		fmt.Fprintf(os.Stderr, "netlink-bench: %v\n", runErr)
		return 1
	}
	return b.rep.exitCode(cfg.strict)
}
