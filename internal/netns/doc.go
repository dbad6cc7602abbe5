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

// Package netns finds network namespaces on the host: bind mounts in
// directories and namespaces held by processes, without ever holding one open.
//
// An open file of a namespace keeps the namespace alive after everyone else
// has let go of it (its devices, addresses and routes with it). So scans only
// stat(2) namespace files, and Open hands out a file that the caller must
// close right after a single request.
//
// It needs Linux: elsewhere it has its types and nothing to find them with.
package netns
