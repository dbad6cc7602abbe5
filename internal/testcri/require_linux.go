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

package testcri

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Commands and CNI plugins that Start needs, with where they come from.
var (
	commands = map[string]string{
		"containerd":              "Debian package containerd",
		"containerd-shim-runc-v2": "Debian package containerd",
		"ctr":                     "Debian package containerd",
		"runc":                    "Debian package runc",
		"ip":                      "Debian package iproute2",
		"go":                      "the Go toolchain",
	}
	cniPlugins = []string{"bridge", "host-local", "loopback"}
)

// Missing returns what this host lacks to run Start, or "" if nothing: root,
// and the Debian packages containerd, runc, containernetworking-plugins and
// iproute2.
func Missing() string {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for cmd, pkg := range commands {
		if _, err := exec.LookPath(cmd); err != nil {
			missing = append(missing, cmd+" ("+pkg+")")
		}
	}
	for _, p := range cniPlugins {
		if !fileExists(filepath.Join(cniBinDir, p)) {
			missing = append(missing, filepath.Join(cniBinDir, p)+" (Debian package containernetworking-plugins)")
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "needs " + strings.Join(missing, ", ")
}

// startTimeout bounds Start in tests: it builds the pause program, starts
// containerd and imports the image, in seconds when all goes well.
const startTimeout = 2 * time.Minute

// A TB is the part of TB that New uses. The package does not import
// testing, so that programs that are not tests, such as the bench, can use
// Start and Close.
type TB interface {
	Helper()
	Cleanup(func())
	Error(args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Logf(format string, args ...any)
	Failed() bool
}

// New starts a runtime on a socket of its own for tb, and closes it in tb's
// cleanup. It skips tb where the runtime cannot run, but fails it under
// CI=true, where .ci/run installs what is needed.
func New(tb TB) *Runtime {
	tb.Helper()
	return NewAt(tb, "")
}

// NewAt is New with containerd listening on socket, such as DefaultSocket.
// It skips tb, or fails it under CI=true, if something already listens
// there.
func NewAt(tb TB, socket string) *Runtime {
	tb.Helper()
	if m := Missing(); m != "" {
		skipOrFail(tb, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	r, err := Start(ctx, Config{Socket: socket})
	if errors.Is(err, ErrSocketInUse) {
		skipOrFail(tb, err.Error())
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("testcri: the end of containerd's log:\n%s", r.LogTail())
		}
		if err := r.Close(); err != nil {
			tb.Error(err)
		}
	})
	return r
}

func skipOrFail(tb TB, why string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("testcri: %s, and CI=true (.ci/run installs the packages and runs as root)", why)
	}
	tb.Skipf("testcri: skipping: %s", why)
}
