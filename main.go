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

// Command netlink_exporter counts Linux link events per network namespace
// via netlink and serves them as Prometheus metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/prometheus/common/promslog"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/netlink-exporter/netlink_exporter/collector"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// defaultGOGC is the garbage collector's target unless GOGC is set. Nearly
// all of the heap's churn is the garbage of scrapes, and Go's default of 100
// lets the heap double past the live state between collections: at 1,000
// namespaces, 50 keeps the RSS about a fifth lower for a few ms per scrape.
const defaultGOGC = 50

// shutdownTimeout bounds how long in-flight scrapes may finish at exit.
const shutdownTimeout = 5 * time.Second

func main() { os.Exit(run()) }

func run() int {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(defaultGOGC)
	}
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v, try --help\n", exporterName, err)
		return 2
	}
	logger := promslog.New(cfg.log)
	logger.Info("Starting "+exporterName, "version", version.Info())
	logger.Info("Build context", "build_context", version.BuildContext())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The monitor outlives ctx so that scrapes in flight at shutdown still
	// see it. Start returns at once: the baseline, which may wait minutes
	// for the kernel's RTNL lock, is read in the background while HTTP
	// serves /-/ready and /-/healthy.
	monCtx, stopMon := context.WithCancel(context.Background())
	defer stopMon()
	res, err := newResolver(cfg.pods, logger)
	if err != nil {
		logger.Error("Cannot set up the attribution of pods", "err", err)
		return 1
	}
	opts := cfg.monitor
	opts.Logger = logger.With("component", "netlinkmon")
	if res != nil {
		opts.NamespaceAdded = res.Notify
	}
	mon, err := netlinkmon.Start(monCtx, opts)
	if err != nil {
		logger.Error("Cannot start the netlink monitor", "err", err)
		return 1
	}
	// Wait is called once, here; monDone is closed when monErr is set.
	var monErr error
	monDone := make(chan struct{})
	go func() { monErr = mon.Wait(); close(monDone) }()
	resDone := runResolver(monCtx, res, mon)
	var podStats collector.PodSource
	if res != nil {
		podStats = res
	}

	code := 1
	handler, err := newHandler(cfg, mon, podStats, logger)
	if err != nil {
		logger.Error("Cannot set up HTTP handlers", "err", err)
	} else {
		srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
		code = serve(ctx, srv, cfg.web, monDone, logger)
	}

	stopMon()
	<-monDone
	<-resDone
	if monErr != nil {
		logger.Error("Netlink monitor failed", "err", monErr)
		code = 1
	}
	return code
}

// serve runs srv until ctx is done, the server fails or the monitor stops
// (monDone is closed), then shuts srv down. It returns the exit code.
func serve(ctx context.Context, srv *http.Server, flags *web.FlagConfig, monDone <-chan struct{}, logger *slog.Logger) int {
	srvDone := make(chan error, 1)
	go func() { srvDone <- web.ListenAndServe(srv, flags, logger) }()

	code := 0
	select {
	case err := <-srvDone:
		// It could not listen, or read --web.config.file.
		logger.Error("Cannot serve HTTP", "err", err,
			"web.listen-address", *flags.WebListenAddresses, "web.config.file", *flags.WebConfigFile)
		return 1
	case <-ctx.Done():
		logger.Info("Shutting down")
	case <-monDone:
		// The monitor stopped without being asked: serving its frozen
		// counters would hide that from alerts. run logs its error.
		logger.Error("Netlink monitor stopped unexpectedly; shutting down")
		code = 1
	}

	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Error("Cannot shut down HTTP cleanly", "err", err)
		code = 1
	}
	if err := <-srvDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("HTTP server failed", "err", err)
		code = 1
	}
	return code
}
