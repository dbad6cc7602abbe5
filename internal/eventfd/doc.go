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

// Package eventfd wakes a goroutine that blocks in epoll_wait(2), from any
// other goroutine: a Wakeup is an eventfd(2) that the waiter adds to its
// epoll set.
//
// A raw descriptor waited on through epoll, rather than Go's poller, is how
// the exporter reads netlink and inotify without waking an idle thread for
// every message; such a wait ends only when one of its descriptors becomes
// ready, so a request or a cancellation must make one ready. The package is
// Linux-only.
package eventfd
