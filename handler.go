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
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/netlink-exporter/netlink_exporter/collector"
	"github.com/netlink-exporter/netlink_exporter/eventstream"
)

// A source is what the handlers serve: *netlinkmon.Monitor.
type source interface {
	collector.Source
	collector.InterfaceSource
	eventstream.Subscriber
	// Ready returns nil once the baseline is read, else why not.
	Ready() error
	// Healthy returns nil unless a restart would help, else why.
	Healthy() error
}

// newHandler serves the metrics of src, and of podStats unless it is nil
// (--no-pods), on cfg.metricsPath once src is ready, a landing page on /, a
// liveness check on /-/healthy and a readiness check on /-/ready. The
// exporter's own go_*, process_* and promhttp_* metrics are registered
// unless --web.disable-exporter-metrics.
func newHandler(cfg config, src source, podStats collector.PodSource, logger *slog.Logger) (http.Handler, error) {
	// The netlink families are built straight from a snapshot, beside a
	// registry of the few others: the registry would check, hash and sort
	// each of the thousands of series again, most of a scrape at 1,000
	// namespaces.
	reg := prometheus.NewRegistry()
	gatherers := []prometheus.TransactionalGatherer{prometheus.ToTransactionalGatherer(reg), collector.New(src, cfg.collector)}
	if err := register(reg, versioncollector.NewCollector(exporterName)); err != nil {
		return nil, err
	}
	if podStats != nil {
		if err := register(reg, collector.NewPods(podStats)); err != nil {
			return nil, err
		}
	}
	if cfg.monitor.LinkDetail {
		opts := cfg.interfaces
		opts.Logger = logger
		g, err := collector.NewInterfaces(src, opts)
		if err != nil {
			return nil, fmt.Errorf("per-link series: %w", err)
		}
		gatherers = append(gatherers, g)
	}

	opts := promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(logger.Handler(), slog.LevelError),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: cfg.maxRequests,
	}
	if !cfg.disableExporterMetrics {
		err := register(reg,
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		if err != nil {
			return nil, err
		}
		opts.Registry = reg
	}
	// Inside the instrumentation: promhttp_metric_handler_requests_total
	// counts the scrapes refused before the baseline under code 503.
	metrics := whenReady(src.Ready, buffered(promhttp.HandlerForTransactional(collector.Merge(gatherers...), opts)))
	if !cfg.disableExporterMetrics {
		metrics = promhttp.InstrumentMetricHandler(reg, metrics)
	}

	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        exporterName,
		Description: "Counts Linux link events per network namespace via netlink.",
		Version:     version.Info(),
		Links:       landingLinks(cfg),
		Profiling:   "false",
	})
	if err != nil {
		return nil, fmt.Errorf("landing page: %w", err)
	}

	mux := http.NewServeMux()
	mux.Handle(cfg.metricsPath, metrics)
	mux.Handle(healthyPath, check(src.Healthy, "Healthy"))
	mux.Handle(readyPath, check(src.Ready, "Ready"))
	if cfg.eventsMaxClients > 0 {
		mux.Handle(eventsPath, eventstream.NewHandler(src, logger.With("component", "eventstream"),
			eventstream.Options{MaxClients: cfg.eventsMaxClients, WriteTimeout: cfg.eventsWriteTimeout}))
	}
	mux.Handle("/", landing)
	return mux, nil
}

// whenReady serves next once ready returns nil, and 503 with ready's one-line
// reason until then: counters served before the baseline is read would be
// empty or partial, and look like resets.
func whenReady(ready func() error, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// check answers 200 with ok while probe returns nil, else 503 with its
// one-line reason.
func check(probe func() error, ok string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if err := probe(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, ok)
	})
}

func landingLinks(cfg config) []web.LandingLinks {
	links := []web.LandingLinks{{Address: cfg.metricsPath, Text: "Metrics"}}
	if cfg.eventsMaxClients > 0 {
		links = append(links, web.LandingLinks{Address: eventsPath, Text: "Link events (live NDJSON stream)"})
	}
	return links
}

func register(reg *prometheus.Registry, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register collector: %w", err)
		}
	}
	return nil
}
