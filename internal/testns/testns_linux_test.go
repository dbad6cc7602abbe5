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

package testns

import (
	"regexp"
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		n := Name(t, "abcdefghi")
		if len(n) != 15 || !strings.HasPrefix(n, "abcdefghi") {
			t.Fatalf("Name = %q, want abcdefghi and six hex digits", n)
		}
		seen[n] = true
	}
	if len(seen) < 99 {
		t.Errorf("%d distinct names out of 100", len(seen))
	}
}

func TestRunPattern(t *testing.T) {
	for name, want := range map[string]string{
		"TestA":        `^TestA$`,
		"TestA/b_c#01": `^TestA$/^b_c#01$`,
		"TestA/x.y":    `^TestA$/^x\.y$`,
	} {
		if got := runPattern(name); got != want {
			t.Errorf("runPattern(%q) = %q, want %q", name, got, want)
		}
		for _, part := range strings.Split(runPattern(name), "/") {
			if _, err := regexp.Compile(part); err != nil {
				t.Errorf("runPattern(%q): %v", name, err)
			}
		}
	}
}

func TestNamespace(t *testing.T) {
	RequireRoot(t)
	t.Parallel()
	ns := Add(t)
	if !LinkExists("lo", ns) {
		t.Errorf("no lo in namespace %s", ns)
	}
	IPBatch(t, ns, []string{"link add va type veth peer name vb"})
	if !LinkExists("vb", ns) || LinkExists("vb", "") {
		t.Errorf("vb should be in namespace %s and only there", ns)
	}
	self := Inode(t, "/proc/self/ns/net")
	if Inode(t, "/run/netns/"+ns) == self {
		t.Errorf("namespace %s is this process's", ns)
	}
	Del(t, ns)
	if LinkExists("lo", ns) {
		t.Errorf("namespace %s still there after Del", ns)
	}
}

func TestUnshare(t *testing.T) {
	RequireRoot(t)
	t.Parallel()
	pid, inode := Unshare(t)
	if pid <= 0 || inode == Inode(t, "/proc/self/ns/net") {
		t.Errorf("Unshare = %d, %d: want a process in another namespace", pid, inode)
	}
}

// Isolate runs the test in a namespace of its own: it has nothing but lo.
func TestIsolate(t *testing.T) {
	t.Parallel()
	if !Isolate(t) {
		return
	}
	out := IP(t, "-o", "link", "show")
	if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, " lo:") {
		t.Errorf("isolated namespace has other links than lo:\n%s", out)
	}
	ns := Add(t)
	if got := strings.TrimSpace(IP(t, "netns", "list")); !strings.HasPrefix(got, ns) || strings.Contains(got, "\n") {
		t.Errorf("ip netns list = %q, want only %s", got, ns)
	}
}
