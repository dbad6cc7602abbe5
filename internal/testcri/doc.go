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

// Package testcri runs a real container runtime for tests: Debian's
// containerd 1.6 with its CRI plugin, runc and the CNI plugins, all with a
// private configuration, root, state, socket and CNI network, so that it
// touches nothing else on the host. Tests create pod sandboxes through the
// CRI API the way kubelet does, with a pause image built from ./pause and
// imported with ctr(1): no registry is needed.
//
// New starts one for a test and stops it, removing everything it made, in
// the test's cleanup, also when the test fails. Without the Debian packages
// (containerd, runc, containernetworking-plugins), or without root, New
// skips the test, except under CI=true, where it fails it: CI installs them.
// Start and Close serve programs that are not tests, such as the bench: the
// package does not import testing.
//
// The package is Linux-only and for tests and benchmarks only.
package testcri
