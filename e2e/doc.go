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

// Package e2e runs the netlink_exporter binary as its users do and talks to
// it over HTTP, as Prometheus, a person with curl and a systemd unit would:
// counts on /metrics after real link churn, the /events stream, TLS and
// basic auth, startup errors, the systemd sandbox, and the alert rules and
// dashboard against Debian's Prometheus 2 and Alertmanager, Prometheus 3,
// and Prometheus 3 in agent mode forwarding to a central Prometheus.
//
// TestMain builds the exporter once, with go build at the root of the
// module. The tests are Linux-only; most need root to make namespaces and
// skip without it. Tests that need a tool that is not installed
// (prometheus, prometheus-alertmanager, strace, systemd-analyze, and
// Prometheus 3, which `make prometheus3` builds into $PROMETHEUS3_DIR or
// .cache/prometheus3) skip, but fail where CI=true: .ci/run installs or
// builds them. internal/harness starts and stops the processes; the tests
// add t.Fatal and t.Cleanup.
package e2e
