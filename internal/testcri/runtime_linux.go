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
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
)

// DefaultSocket is containerd's default socket, where exporters look for it
// by themselves.
const DefaultSocket = "/run/containerd/containerd.sock"

// ErrSocketInUse is returned by Start when something already listens on the
// socket it was asked to use.
var ErrSocketInUse = errors.New("testcri: something already listens on the socket")

// Config configures Start.
type Config struct {
	// Socket is containerd's socket. Empty puts it in the runtime's own
	// directory.
	Socket string
}

// A Runtime is a containerd with its CRI plugin, running for a test.
type Runtime struct {
	// Dir holds everything of the runtime's: configuration, root, state,
	// logs and the CNI plugins' data.
	Dir string
	// Socket is containerd's gRPC socket, also the CRI endpoint.
	Socket string
	// Network, Bridge and Subnet are the CNI network's name, its bridge
	// and its range.
	Network, Bridge, Subnet string
	// Client is a CRI client of the runtime, as kubelet has.
	Client runtimeapi.RuntimeServiceClient

	conn *grpc.ClientConn
	cmd  *exec.Cmd
	// exited is closed when containerd has exited, and err is then set.
	exited  chan struct{}
	exitErr error

	mu sync.Mutex
	// sandboxes holds the sandboxes that RunPod made and that are not
	// removed yet, with their namespaces' bind mounts.
	sandboxes map[string]string
}

// Start starts containerd with a configuration of its own, and imports the
// pause image. Close stops it and removes what it made; Start does that
// itself if it fails.
func Start(ctx context.Context, cfg Config) (_ *Runtime, err error) {
	if m := Missing(); m != "" {
		return nil, fmt.Errorf("testcri: %s", m)
	}
	if cfg.Socket != "" && listening(cfg.Socket) {
		return nil, fmt.Errorf("%w: %s", ErrSocketInUse, cfg.Socket)
	}
	// A short directory: sockets' paths must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "tcri")
	if err != nil {
		return nil, fmt.Errorf("testcri: %w", err)
	}
	name := fmt.Sprintf("tcri%06x", rand.Uint32()&0xffffff)
	r := &Runtime{
		Dir:       dir,
		Socket:    cfg.Socket,
		Network:   name,
		Bridge:    name,
		Subnet:    randomSubnet(),
		exited:    make(chan struct{}),
		sandboxes: make(map[string]string),
	}
	if r.Socket == "" {
		r.Socket = filepath.Join(dir, "containerd.sock")
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, r.Close())
		}
	}()
	if err := r.writeConfig(); err != nil {
		return r, err
	}
	bin, err := BuildPause(ctx, dir)
	if err != nil {
		return r, err
	}
	image := filepath.Join(dir, "pause.tar")
	if err := WriteImage(image, bin, PauseImage); err != nil {
		return r, err
	}
	if err := r.start(ctx); err != nil {
		return r, err
	}
	if out, err := r.ctr(ctx, "images", "import", image); err != nil {
		return r, fmt.Errorf("testcri: import the pause image: %w: %s", err, out)
	}
	return r, nil
}

// start starts containerd and waits until its CRI service answers.
func (r *Runtime) start(ctx context.Context) error {
	logFile, err := os.Create(filepath.Join(r.Dir, "containerd.log"))
	if err != nil {
		return fmt.Errorf("testcri: %w", err)
	}
	defer logFile.Close()
	r.cmd = exec.Command("containerd", "--config", filepath.Join(r.Dir, "config.toml"), "--log-level", "info")
	r.cmd.Stdout, r.cmd.Stderr = logFile, logFile
	// containerd dies with the test process, even where the test's
	// cleanup cannot run (a panic, a timeout). Its shims outlive it by
	// design; only Close removes them.
	harness.TerminateWithParent(r.cmd)
	if err := r.cmd.Start(); err != nil {
		close(r.exited)
		return fmt.Errorf("testcri: start containerd: %w", err)
	}
	go func() {
		r.exitErr = r.cmd.Wait()
		close(r.exited)
	}()

	r.conn, err = grpc.NewClient("unix://"+r.Socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("testcri: %w", err)
	}
	r.Client = runtimeapi.NewRuntimeServiceClient(r.conn)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		vctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := r.Client.Version(vctx, &runtimeapi.VersionRequest{})
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("testcri: containerd's CRI service does not answer: %w (log: %s)", err, r.LogTail())
		case <-r.exited:
			return fmt.Errorf("testcri: containerd exited: %v (log: %s)", r.exitErr, r.LogTail())
		case <-tick.C:
		}
	}
}

// ctr runs ctr(1) against the runtime, in the CRI plugin's namespace.
func (r *Runtime) ctr(ctx context.Context, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, "ctr", append([]string{"--address", r.Socket, "--namespace", "k8s.io"}, args...)...).CombinedOutput()
}

// LogTail returns the end of containerd's log.
func (r *Runtime) LogTail() string {
	b, err := os.ReadFile(filepath.Join(r.Dir, "containerd.log"))
	if err != nil {
		return err.Error()
	}
	const tail = 8 << 10
	if len(b) > tail {
		b = b[len(b)-tail:]
	}
	return string(b)
}

// listening reports whether a server accepts connections on the socket.
func listening(socket string) bool {
	c, err := net.DialTimeout("unix", socket, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}
