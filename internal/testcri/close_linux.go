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
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// stopTimeout bounds how long containerd and each CRI call of Close may
// take.
const stopTimeout = 10 * time.Second

// Close removes every pod sandbox of the runtime, stops containerd, and
// removes what it left: shims, mounts, the bridge, sockets, the directory.
// It goes on after errors, and returns them all.
func (r *Runtime) Close() error {
	var errs []error
	if r.Client != nil && r.running() {
		errs = append(errs, r.removeAll())
	}
	if r.conn != nil {
		_ = r.conn.Close()
	}
	if r.cmd != nil && r.cmd.Process != nil {
		errs = append(errs, r.stop())
	}
	errs = append(errs, r.killShims(), r.unmountAll())
	if err := exec.Command("ip", "link", "del", "dev", r.Bridge).Run(); err != nil && linkExists(r.Bridge) {
		errs = append(errs, fmt.Errorf("testcri: delete bridge %s: %w", r.Bridge, err))
	}
	if r.Socket != filepath.Join(r.Dir, "containerd.sock") {
		for _, s := range []string{r.Socket, r.Socket + ".ttrpc"} {
			if err := os.Remove(s); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("testcri: %w", err))
			}
		}
	}
	// The shims' sockets are in /run/containerd/s whatever the
	// configuration says; the directories go if nothing else is there.
	_ = os.Remove("/run/containerd/s")
	_ = os.Remove("/run/containerd")
	// libcni caches results under /var/lib/cni, also whatever the
	// configuration says; a sandbox removed cleanly leaves none.
	leftovers, _ := filepath.Glob("/var/lib/cni/results/" + r.Network + "-*")
	for _, f := range leftovers {
		_ = os.Remove(f)
	}
	_ = os.Remove("/var/lib/cni/results")
	_ = os.Remove("/var/lib/cni")
	if err := os.RemoveAll(r.Dir); err != nil {
		errs = append(errs, fmt.Errorf("testcri: %w", err))
	}
	return errors.Join(errs...)
}

func (r *Runtime) running() bool {
	select {
	case <-r.exited:
		return false
	default:
		return true
	}
}

// removeAll stops and removes every sandbox the runtime has, not only
// RunPod's: a test may have made its own through Client. Several at a time,
// as kubelet does: one takes the runtime the better part of a second.
func (r *Runtime) removeAll() error {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	resp, err := r.Client.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	cancel()
	if err != nil {
		return fmt.Errorf("testcri: list sandboxes: %w", err)
	}
	ids := make(chan string)
	errs := make(chan error, len(resp.GetItems()))
	var wg sync.WaitGroup
	for range removeWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
				errs <- r.RemovePod(ctx, id)
				cancel()
			}
		}()
	}
	for _, sb := range resp.GetItems() {
		ids <- sb.GetId()
	}
	close(ids)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// removeWorkers remove sandboxes at once, and removeTimeout bounds each
// removal: with a thousand sandboxes on a loaded machine, a stop has taken
// over 10 s.
const (
	removeWorkers = 4
	removeTimeout = time.Minute
)

// stop stops containerd: SIGTERM, then SIGKILL if it takes too long.
func (r *Runtime) stop() error {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
		return nil
	case <-time.After(stopTimeout):
		_ = r.cmd.Process.Kill()
		<-r.exited
		return fmt.Errorf("testcri: containerd did not stop within %v of SIGTERM", stopTimeout)
	}
}

// killShims waits for the shims that served this runtime to exit, as they
// do after their sandboxes are removed, and kills those that do not, with
// their children: they are left only when sandboxes could not be removed.
func (r *Runtime) killShims() error {
	deadline := time.Now().Add(shimExitTimeout)
	shims, parents := r.shims()
	for len(shims) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		shims, parents = r.shims()
	}
	if len(shims) == 0 {
		return nil
	}
	for pid, ppid := range parents {
		if slices.Contains(shims, ppid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for _, pid := range shims {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return fmt.Errorf("testcri: killed %d shims still running %v after containerd stopped", len(shims), shimExitTimeout)
}

// shimExitTimeout is how long a shim may take to exit once its sandbox is
// removed.
const shimExitTimeout = 5 * time.Second

// shims returns the pids of this runtime's shims, and every process's
// parent.
func (r *Runtime) shims() (shims []int, parents map[int]int) {
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, nil
	}
	parents = make(map[int]int)
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + p.Name() + "/stat")
		if err != nil {
			continue
		}
		// The parent's pid is the second field after the command, which is
		// in parentheses and may hold spaces.
		if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) > 1 {
			parents[pid], _ = strconv.Atoi(f[1])
		}
		cmdline, err := os.ReadFile("/proc/" + p.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		if filepath.Base(args[0]) == "containerd-shim-runc-v2" && slices.Contains(args, r.Socket) {
			shims = append(shims, pid)
		}
	}
	return shims, parents
}

// unmountAll unmounts what containerd mounted under the runtime's
// directory (sandboxes' root filesystems, its own state), and the
// namespaces' bind mounts of sandboxes that were not removed.
func (r *Runtime) unmountAll() error {
	err := UnmountUnder(r.Dir)
	// containerd unmounts and removes a sandbox's namespace when it stops
	// the sandbox; one that it could not stop leaves its bind mount.
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.sandboxes {
		if p != "" && unix.Unmount(p, unix.MNT_DETACH) == nil {
			_ = os.Remove(p)
		}
	}
	return err
}

// UnmountUnder unmounts everything mounted under dir, deepest first: what a
// container runtime whose root and state are in dir left mounted.
func UnmountUnder(dir string) error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return fmt.Errorf("testcri: %w", err)
	}
	defer f.Close()
	var points []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		if p := unescapeMountPoint(fields[4]); strings.HasPrefix(p, dir+"/") {
			points = append(points, p)
		}
	}
	slices.Sort(points)
	var errs []error
	for _, p := range slices.Backward(points) {
		if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			errs = append(errs, fmt.Errorf("testcri: unmount %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// unescapeMountPoint undoes mountinfo's octal escapes of spaces, tabs,
// newlines and backslashes.
func unescapeMountPoint(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func linkExists(name string) bool {
	_, err := os.Stat("/sys/class/net/" + name)
	return err == nil
}
