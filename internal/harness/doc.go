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

// Package harness builds netlink_exporter, runs it and the servers of the
// Prometheus project on free loopback ports, and reads what they serve. The
// end-to-end tests (e2e/) and the bench (cmd/netlink-bench) share it.
//
// It does not import "testing", so that the bench, a main program, can use
// it: functions take a context and return errors, and callers that are
// tests wrap them with t.Fatal and t.Cleanup.
//
// A process that does not stop within its timeout of SIGTERM gets SIGQUIT,
// on which the Go runtime writes every goroutine's stack to the output that
// the harness captured, before it is killed.
package harness
