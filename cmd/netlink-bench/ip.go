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

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ip runs iproute2's ip with args and returns its error output in the
// error.
func ip(ctx context.Context, args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, firstLines(stderr.String(), 3))
	}
	return nil
}

// A batchFile is a file of ip commands for ip -batch.
type batchFile string

// writeBatch writes lines to name in dir.
func writeBatch(dir, name string, lines []string) (batchFile, error) {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("batch file: %w", err)
	}
	return batchFile(p), nil
}

// ipBatch runs the commands of f, each with the global options opts (such
// as -n NS or -force) before -batch.
func ipBatch(ctx context.Context, f batchFile, opts ...string) error {
	return ip(ctx, append(opts, "-batch", string(f))...)
}

// vethPairs is a batch that creates n veth pairs a<i>/b<i>.
func vethPairs(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("link add a%d type veth peer name b%d", i, i)
	}
	return lines
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(strings.TrimSpace(s), "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, " / ")
}
