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

package harness

import "syscall"

// terminateWithParent makes the process get SIGTERM when the thread that
// started it exits. The Go runtime keeps its threads for the life of the
// program, unless a goroutine locked to one exits.
func terminateWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGTERM }
