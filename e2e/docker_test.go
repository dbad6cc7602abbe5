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
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
	"github.com/netlink-exporter/netlink_exporter/internal/testcri"
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// Debian's Docker client and engine, by full path: another docker may come
// first on PATH.
const (
	dockerBin  = "/usr/bin/docker"
	dockerdBin = "/usr/sbin/dockerd"
)

// dockerTimeout bounds dockerd's start and each docker command.
const dockerTimeout = time.Minute

// A dockerd is a Docker engine of the test's own: its data, exec root and
// socket in a directory of its own, no default bridge and no firewall
// rules, so that it touches nothing else on the host. Without a containerd
// on the default socket, it runs one of its own under its exec root.
type dockerd struct {
	t      *testing.T
	dir    string
	socket string
	cmd    *exec.Cmd
	done   chan struct{}
}

// startDockerd starts dockerd, and stops it and removes what it made in
// the test's cleanup.
func startDockerd(t *testing.T) *dockerd {
	t.Helper()
	testns.RequireRoot(t)
	requireTool(t, dockerBin)
	requireTool(t, dockerdBin)
	// Short: containerd's sockets go under the exec root.
	dir, err := os.MkdirTemp("", "tdk")
	if err != nil {
		t.Fatal(err)
	}
	d := &dockerd{t: t, dir: dir, socket: filepath.Join(dir, "docker.sock"), done: make(chan struct{})}
	log, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	d.cmd = exec.Command(dockerdBin, "--bridge=none", "--iptables=false", "--ip6tables=false",
		"--data-root", filepath.Join(dir, "data"), "--exec-root", d.execRoot(),
		"--host", "unix://"+d.socket, "--pidfile", filepath.Join(dir, "dockerd.pid"))
	d.cmd.Stdout, d.cmd.Stderr = log, log
	harness.TerminateWithParent(d.cmd)
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(d.stop)

	deadline := time.Now().Add(dockerTimeout)
	for {
		_, err := d.docker("version")
		if err == nil {
			return d
		}
		select {
		case <-d.done:
			t.Skipf("dockerd cannot run here: it exited: %v\n%s", err, d.log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dockerd does not answer after %v: %v\n%s", dockerTimeout, err, d.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *dockerd) execRoot() string { return filepath.Join(d.dir, "exec") }

// netnsDir is where dockerd bind-mounts its containers' namespaces:
// /var/run/docker/netns with the default exec root.
func (d *dockerd) netnsDir() string { return filepath.Join(d.execRoot(), "netns") }

// docker runs the Docker client against this engine, and returns its
// output without the trailing newline.
func (d *dockerd) docker(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, dockerBin, append([]string{"--host", "unix://" + d.socket}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func (d *dockerd) mustDocker(args ...string) string {
	d.t.Helper()
	out, err := d.docker(args...)
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

func (d *dockerd) log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "dockerd.log"))
	return string(b[max(0, len(b)-4096):])
}

// stop removes the containers and networks, stops dockerd and its
// containerd, and removes what they left.
func (d *dockerd) stop() {
	t := d.t
	if t.Failed() {
		t.Logf("the end of dockerd's log:\n%s", d.log())
	}
	if ids, err := d.docker("ps", "--all", "--quiet"); err == nil && ids != "" {
		if _, err := d.docker(append([]string{"rm", "--force"}, strings.Fields(ids)...)...); err != nil {
			t.Error(err)
		}
	}
	if _, err := d.docker("network", "prune", "--force"); err != nil {
		t.Error(err)
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(dockerTimeout):
		_ = d.cmd.Process.Kill()
		<-d.done
		t.Errorf("dockerd did not stop within %v of SIGTERM", dockerTimeout)
	}
	if err := testcri.UnmountUnder(d.dir); err != nil {
		t.Error(err)
	}
	if err := os.RemoveAll(d.dir); err != nil {
		t.Error(err)
	}
	// The shims of its containerd put their sockets there, whatever its
	// configuration says.
	for _, dir := range []string{"/run/containerd/s", "/run/containerd"} {
		if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTEMPTY) {
			t.Error(err)
		}
	}
}

// TestE2EDocker runs real containers under a dockerd of the test's own,
// from a locally imported image, and checks that the exporter watches their
// namespaces in dockerd's netns directory. It does not run in parallel: a
// dockerd uses the containerd on the default socket if one is there, and
// TestE2EPodsAutodetect runs one.
func TestE2EDocker(t *testing.T) {
	d := startDockerd(t)
	bin, err := testcri.BuildPause(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	layer, err := testcri.Layer(bin)
	if err != nil {
		t.Fatal(err)
	}
	layerFile := filepath.Join(t.TempDir(), "pause.tar")
	if err := os.WriteFile(layerFile, layer, 0o644); err != nil {
		t.Fatal(err)
	}
	d.mustDocker("import", "--change", `ENTRYPOINT ["/pause"]`, layerFile, "example.local/pause:1")

	e := startExporter(t, "--netns.dir="+d.netnsDir(), "--no-netns.proc", "--no-pods")

	// A container without a network still has a namespace of its own,
	// with its loopback.
	id, err := d.docker("run", "--detach", "--network", "none", "example.local/pause:1")
	if err != nil {
		t.Skipf("dockerd cannot run containers here: %v\n%s", err, d.log())
	}
	lonely := d.sandbox(id)
	_, took := e.waitMetrics(10*time.Second, 5*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_netns_info", labels("netns", lonely, "source", "dir"), 1)
		c.want("netlink_links", labels("netns", lonely, "kind", "device"), 1)
		return c.err()
	})
	t.Logf("the container's namespace watched %v after docker run returned (spec: within 1 s of its creation)", took.Round(time.Millisecond))

	// One with a network: a veth into it, whose host end is on a bridge.
	bridge := testns.Name(t, "tdk")
	d.mustDocker("network", "create", "--driver", "bridge", "--subnet", fmt.Sprintf("10.210.%d.0/24", rand.IntN(256)),
		"--opt", "com.docker.network.bridge.name="+bridge, bridge)
	id = d.mustDocker("run", "--detach", "--network", bridge, "example.local/pause:1")
	networked := d.sandbox(id)
	e.waitMetrics(10*time.Second, 5*time.Millisecond, func(m harness.Metrics) error {
		c := checker{m: m}
		c.want("netlink_netns_info", labels("netns", networked, "source", "dir"), 1)
		c.want("netlink_links", labels("netns", networked, "kind", "veth", "operstate", "up"), 1)
		return c.err()
	})

	// Removed, its namespace dies.
	d.mustDocker("rm", "--force", id)
	e.waitMetrics(10*time.Second, 5*time.Millisecond, func(m harness.Metrics) error {
		if _, n := m.Sum("netlink_netns_info", labels("netns", networked)); n != 0 {
			return fmt.Errorf("%s is still alive after docker rm", networked)
		}
		return nil
	})
}

// sandbox returns the name of a container's namespace: the file name of
// its bind mount, the 12-character sandbox id.
func (d *dockerd) sandbox(id string) string {
	d.t.Helper()
	key := d.mustDocker("inspect", "--format", "{{.NetworkSettings.SandboxKey}}", id)
	if filepath.Dir(key) != d.netnsDir() {
		d.t.Fatalf("the container's namespace is %s, not in %s", key, d.netnsDir())
	}
	return filepath.Base(key)
}
