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

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeModule writes a module whose main package prints hello, or does not
// compile if broken.
func fakeModule(t *testing.T, broken bool) string {
	t.Helper()
	dir := t.TempDir()
	src := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"
	if broken {
		src = "package main\n\nfunc main() { undefined() }\n"
	}
	for name, data := range map[string]string{"go.mod": "module example.com/fake\n\ngo 1.26\n", "main.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBuild(t *testing.T) {
	t.Parallel()
	for _, static := range []bool{false, true} {
		bin, err := Build(t.Context(), t.TempDir(), BuildOptions{ModuleRoot: fakeModule(t, false), Static: static})
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(bin) != BinaryName {
			t.Errorf("binary %s, want %s", bin, BinaryName)
		}
		if out, err := exec.Command(bin).Output(); err != nil || string(out) != "hello\n" {
			t.Errorf("static %v: the binary printed %q, %v; want hello", static, out, err)
		}
	}
	_, err := Build(t.Context(), t.TempDir(), BuildOptions{ModuleRoot: fakeModule(t, true)})
	if err == nil || !strings.Contains(err.Error(), "undefined") {
		t.Errorf("error %v; want the compiler's output", err)
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// This package's directory is internal/harness of the module.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Dir(filepath.Dir(wd)); root != want {
		t.Errorf("ModuleRoot = %s, want %s", root, want)
	}
}
