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
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BinaryName is the file name of the exporter that Build writes.
const BinaryName = "netlink_exporter"

// BuildOptions say how Build builds the exporter.
type BuildOptions struct {
	// ModuleRoot is the directory of the exporter's go.mod. If empty, it
	// is the module that holds the working directory (go env GOMOD).
	ModuleRoot string
	// Static builds as releases are built: without cgo and with
	// -trimpath.
	Static bool
}

// Build builds the exporter's main package, at the root of its module, into
// dir and returns the binary's path. A failed build's error holds the
// compiler's output.
func Build(ctx context.Context, dir string, o BuildOptions) (string, error) {
	root := o.ModuleRoot
	if root == "" {
		var err error
		if root, err = ModuleRoot(ctx); err != nil {
			return "", err
		}
	}
	bin := filepath.Join(dir, BinaryName)
	args := []string{"build", "-o", bin}
	if o.Static {
		args = append(args, "-trimpath")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, ".")...)
	cmd.Dir = root
	if o.Static {
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("harness: go %s in %s: %w\n%s", strings.Join(cmd.Args[1:], " "), root, err, out)
	}
	return bin, nil
}

// ModuleRoot returns the directory of the go.mod of the module that holds
// the working directory.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("harness: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("harness: the working directory is in no Go module: run from the exporter's repository")
	}
	return filepath.Dir(gomod), nil
}
