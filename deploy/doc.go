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

// Package deploy holds no code of the exporter. Its tests check the
// deployment artifacts beside it against the real tools that consume them:
// promtool for the Prometheus rules and the dashboard's queries,
// systemd-analyze for the unit, and the Kubernetes API types for the
// manifests.
//
// It is a module of its own so that the exporter's go.mod does not carry the
// Kubernetes API types.
package deploy
