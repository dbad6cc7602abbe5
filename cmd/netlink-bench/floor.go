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
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
)

// floorSource is the floor listener: a bare reader of the exporter's design
// in C, the least CPU per event that design can cost. See its comment.
//
//go:embed floor/nlfloor.c
var floorSource []byte

// buildFloor compiles the floor listener with the system's gcc into dir and
// returns the binary's path.
func buildFloor(ctx context.Context, dir string) (string, error) {
	src := filepath.Join(dir, "nlfloor.c")
	if err := os.WriteFile(src, floorSource, 0o600); err != nil {
		return "", fmt.Errorf("floor listener: %w", err)
	}
	bin := filepath.Join(dir, "nlfloor")
	out, err := exec.CommandContext(ctx, "gcc", "-O2", "-Wall", "-o", bin, src).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("floor listener: gcc: %w: %s", err, firstLines(string(out), 5))
	}
	return bin, nil
}

// A floorListener is a running floor listener.
type floorListener struct {
	pid    int
	cmd    *exec.Cmd
	out    *bufio.Reader
	stderr bytes.Buffer
}

// A floorCount is what the floor listener counted in its life.
type floorCount struct {
	// links counts RTM_NEWLINK and RTM_DELLINK of every namespace, created
	// those of the namespace with the nsid it was given.
	links, created, overruns int
}

// floorStartTimeout bounds the wait for the floor listener to subscribe.
const floorStartTimeout = 10 * time.Second

// startFloor starts the floor listener bin counting the creations in the
// namespace with nsid, and returns once it is subscribed.
func startFloor(bin string, nsid int) (*floorListener, error) {
	f := &floorListener{cmd: exec.Command(bin, strconv.Itoa(nsid))}
	f.cmd.Stderr = &f.stderr
	harness.TerminateWithParent(f.cmd)
	out, err := f.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("floor listener: %w", err)
	}
	if err := f.cmd.Start(); err != nil {
		return nil, fmt.Errorf("floor listener: %w", err)
	}
	f.pid, f.out = f.cmd.Process.Pid, bufio.NewReader(out)
	ready := make(chan error, 1)
	go func() {
		line, err := f.out.ReadString('\n')
		if err == nil && line != "ready\n" {
			err = fmt.Errorf("said %q", line)
		}
		ready <- err
	}()
	select {
	case err = <-ready:
	case <-time.After(floorStartTimeout):
		err = errors.New("not subscribed in time")
	}
	if err != nil {
		_ = f.cmd.Process.Kill()
		_ = f.cmd.Wait()
		return nil, fmt.Errorf("floor listener: %w: %s", err, firstLines(f.stderr.String(), 3))
	}
	return f, nil
}

// stop ends the floor listener and returns what it counted.
func (f *floorListener) stop() (floorCount, error) {
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	line, readErr := f.out.ReadString('\n')
	if readErr != nil && !errors.Is(readErr, io.EOF) {
		_ = f.cmd.Process.Kill()
	}
	waitErr := f.cmd.Wait()
	var c floorCount
	if _, err := fmt.Sscanf(line, "%d %d %d", &c.links, &c.created, &c.overruns); err != nil {
		return c, fmt.Errorf("floor listener: counts %q (%v): %w: %s",
			strings.TrimSpace(line), waitErr, err, firstLines(f.stderr.String(), 3))
	}
	return c, nil
}
