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

import "testing"

func TestSummarizeDump(t *testing.T) {
	dump := `SIGQUIT: quit
PC=0x494ac1 m=0 sigcode=0

goroutine 0 gp=0xd440e0 m=0 mp=0xd452c0 [idle]:
runtime.futex(0xd45418, 0x80, 0x0, 0x0, 0x0, 0x0)
	/usr/local/go/src/runtime/sys_linux_amd64.s:569 +0x21

goroutine 25 gp=0x29db31f03680 m=nil [IO wait]:
runtime.gopark(0x4c6f37?, 0x29db31f90280?, 0x0?, 0xba?, 0xb?)
	/usr/local/go/src/runtime/proc.go:462 +0xce
internal/poll.runtime_pollWait(0x7ff8a9e57e00, 0x72)
	/usr/local/go/src/runtime/netpoll.go:351 +0x85
net/http.(*conn).serve(0x29db31f9c240, {0x96b9b0, 0x29db31f1fc50})
	/usr/local/go/src/net/http/server.go:2103 +0x7f3
created by net/http.(*Server).Serve in goroutine 21

goroutine 26 gp=0x29db31f03681 m=nil [IO wait, 2 minutes]:
net/http.(*conn).serve(0x29db31f9c241, {0x96b9b0, 0x29db31f1fc50})
	/usr/local/go/src/net/http/server.go:2103 +0x7f3

goroutine 1 gp=0x29db31e461e0 m=nil [select]:
main.main()
	_testmain.go:74 +0xa5
`
	want := "4 goroutines: 1× [IO wait, 2 minutes] net/http.(*conn).serve; 1× [IO wait] net/http.(*conn).serve; " +
		"1× [idle] runtime; 1× [select] main.main"
	if got := summarizeDump(dump); got != want {
		t.Errorf("summarizeDump:\n got %s\nwant %s", got, want)
	}
}
