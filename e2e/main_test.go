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

//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
)

// binEnv holds the path of the exporter under test. TestMain sets it, and
// the child processes that testns.Isolate starts inherit it, so that they
// do not build the exporter again.
const binEnv = "NETLINK_EXPORTER_E2E_BIN"

// buildTimeout bounds the one build of the exporter.
const buildTimeout = 5 * time.Minute

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// runTests builds the exporter, unless a parent process did, runs the
// tests, and removes the build.
func runTests(m *testing.M) int {
	if os.Getenv(binEnv) != "" {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "netlink_exporter-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Readable by all, so that the binary runs under setpriv as nobody.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	bin, err := harness.Build(ctx, dir, harness.BuildOptions{})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: cannot build the exporter: %v\n", err)
		return 1
	}
	if err := os.Setenv(binEnv, bin); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	return m.Run()
}

// exporterBinary returns the path of the exporter under test.
func exporterBinary() string { return os.Getenv(binEnv) }
