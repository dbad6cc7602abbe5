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

package deploy_test

import (
	"os"
	"os/exec"
	"testing"
)

// requireTool returns the path of the named program. Where it is missing it
// skips t, saying what to install, except in CI (CI=true), where .ci/run
// installs every tool these checks need and a skip would hide a check that
// never ran.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is needed and CI=true: %v (.ci/run installs it)", name, err)
	}
	t.Skipf("skipping: %s is not installed: %v", name, err)
	return ""
}
