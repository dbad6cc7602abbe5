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
	"path/filepath"
	"strings"
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

// prometheus3DirEnv names the directory of the Prometheus 3 binaries that
// `make prometheus3` builds; the repository's .cache/prometheus3 if unset.
const prometheus3DirEnv = "PROMETHEUS3_DIR"

// requirePrometheus3 returns the path of Prometheus 3's program name
// (prometheus or promtool). Where it is missing it skips t, except in CI,
// where .ci/run builds it.
func requirePrometheus3(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv(prometheus3DirEnv)
	if dir == "" {
		dir = filepath.Join("..", ".cache", "prometheus3")
	}
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err == nil {
		_, err = os.Stat(path)
	}
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("Prometheus 3's %s is needed and CI=true: %v (.ci/run builds it with make prometheus3)", name, err)
	}
	t.Skipf("skipping: Prometheus 3's %s is not built: %v (make prometheus3 builds it)", name, err)
	return ""
}

// forEachPromtool runs f in a subtest for each version of promtool that the
// checks run: 2, the one on PATH (Debian's 2.42 in CI), and 3, the one that
// `make prometheus3` builds. Each skips where its promtool is missing,
// except in CI.
func forEachPromtool(t *testing.T, f func(t *testing.T, promtool string)) {
	t.Run("2", func(t *testing.T) { f(t, requireTool(t, "promtool")) })
	t.Run("3", func(t *testing.T) { f(t, requirePrometheus3(t, "promtool")) })
}

// prometheus3Module is the module that pins the Prometheus 3 that `make
// prometheus3` builds.
const prometheus3Module = "../internal/tools/prometheus/go.mod"

// TestPrometheusVersionsInStep checks that the Prometheus 3 whose promtool
// and server the tests run is the one whose config and relabel packages
// these checks use.
func TestPrometheusVersionsInStep(t *testing.T) {
	const path = "github.com/prometheus/prometheus"
	ours, built := requiredVersion(t, "go.mod", path), requiredVersion(t, prometheus3Module, path)
	if ours == "" || ours != built {
		t.Errorf("%s %q in go.mod, %q in %s: keep them in step", path, ours, built, prometheus3Module)
	}
}

// requiredVersion returns the version of the module path that the go.mod
// file requires, or "".
func requiredVersion(t *testing.T, file, path string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == path {
			return f[1]
		}
	}
	return ""
}
