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

// Package testns makes real network namespaces and links for tests, and
// cleans them up.
//
// Its helpers run ip(8) and unshare(1) as root. Tests that use them call
// RequireRoot first, so that they skip, rather than fail, where they may not
// create namespaces. Names are random, so that tests running at the same time
// on one host do not collide: assert only on namespaces and links that your
// test made. The package is Linux-only.
package testns
