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
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// isolatedEnv is set in the child process that Isolate starts, to the name
// of the test it runs.
const isolatedEnv = "TESTNS_ISOLATED"

// isolateScript gives the child a /run/netns of its own before it runs the
// test binary: "ip netns add" in the child then makes bind mounts that no
// other process sees, and that vanish with the child.
const isolateScript = `mkdir -p /run/netns && mount -t tmpfs -o mode=0755,size=1m testns /run/netns && exec "$@"`

// Isolate runs the calling test again in a child process with a network
// namespace, a mount namespace and a /run/netns of its own, and reports
// whether the caller is that child. Use it where a test counts what happens
// in its own ("host") namespace, or in all namespaces, which other tests
// running at the same time would disturb:
//
//	if !testns.Isolate(t) {
//		return // the child ran the test, and passed
//	}
//
// The parent waits for the child and fails with its output if it fails.
// Call Isolate first thing in a top-level test: for a subtest, the child
// runs the parent test's body up to t.Run again.
func Isolate(t *testing.T) bool {
	t.Helper()
	if os.Getenv(isolatedEnv) != "" {
		return true
	}
	RequireRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skipf("testns: needs unshare(1) from util-linux: %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("testns: %v", err)
	}
	args := []string{"--net", "--mount", "--propagation", "private", "--",
		"sh", "-c", isolateScript, "sh",
		exe, "-test.run=" + runPattern(t.Name()), "-test.count=1", "-test.v"}
	if d, ok := t.Deadline(); ok {
		args = append(args, "-test.timeout="+time.Until(d).Round(time.Second).String())
	}
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), isolatedEnv+"="+t.Name())
	start := time.Now()
	out, err := cmd.CombinedOutput()
	switch {
	case err != nil:
		t.Fatalf("testns: isolated run failed: %v\n%s", err, out)
	case strings.Contains(string(out), "--- SKIP: "+t.Name()+" "):
		t.Skipf("testns: isolated run skipped:\n%s", out)
	case !strings.Contains(string(out), "--- PASS: "+t.Name()+" "):
		t.Fatalf("testns: isolated run did not run %s:\n%s", t.Name(), out)
	}
	if testing.Verbose() {
		t.Logf("isolated run took %v:\n%s", time.Since(start).Round(time.Millisecond), out)
	}
	return false
}

// runPattern returns a -test.run pattern that matches the test name and no
// other: -run splits patterns at slashes, one level of subtests each.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}
