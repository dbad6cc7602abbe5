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

package pods

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// CRI methods, as counted in Stats.
const (
	methodVersion = "Version"
	methodList    = "ListPodSandbox"
	methodStatus  = "PodSandboxStatus"
)

// DefaultEndpoints returns the CRI sockets that a Resolver without an
// endpoint tries, in order: containerd's, CRI-O's and cri-dockerd's default
// sockets.
func DefaultEndpoints() []string {
	return []string{
		"/run/containerd/containerd.sock",
		"/var/run/crio/crio.sock",
		"/var/run/cri-dockerd.sock",
	}
}

// ParseEndpoint returns the socket path of a CRI endpoint given as a path
// or as a unix:// URL, the form crictl and kubelet take.
func ParseEndpoint(endpoint string) (string, error) {
	path, isURL := strings.CutPrefix(endpoint, "unix://")
	if !isURL && strings.Contains(endpoint, "://") {
		return "", fmt.Errorf("pods: endpoint %q: only unix sockets are supported", endpoint)
	}
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf("pods: endpoint %q: the socket's path must be absolute", endpoint)
	}
	return filepath.Clean(path), nil
}

// maxMsgSize is kubelet's limit on CRI responses: a node's sandbox list
// stays far below it.
const maxMsgSize = 16 << 20

// A runtime is a connection to one CRI runtime service.
type runtime struct {
	socket  string
	conn    *grpc.ClientConn
	client  runtimeapi.RuntimeServiceClient
	timeout time.Duration
	// count records each call's method and error; it must not block.
	count func(method string, err error)
}

// dial connects to the runtime on socket lazily: nothing is sent until the
// first call.
func dial(socket string, timeout time.Duration, count func(string, error)) (*runtime, error) {
	conn, err := grpc.NewClient("unix://"+socket,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsgSize)),
		// A restarted runtime is found again within seconds, where gRPC's
		// default backoff would wait up to two minutes.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second},
			MinConnectTimeout: timeout,
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("pods: %s: %w", socket, err)
	}
	return &runtime{
		socket:  socket,
		conn:    conn,
		client:  runtimeapi.NewRuntimeServiceClient(conn),
		timeout: timeout,
		count:   count,
	}, nil
}

func (rt *runtime) close() { _ = rt.conn.Close() }

// version asks the runtime for its name and version: the cheapest call,
// which tells whether a CRI runtime service answers at all.
func (rt *runtime) version(ctx context.Context) (*runtimeapi.VersionResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, rt.timeout)
	defer cancel()
	resp, err := rt.client.Version(ctx, &runtimeapi.VersionRequest{})
	return resp, rt.done(methodVersion, err)
}

// list returns every pod sandbox the runtime knows, in any state.
func (rt *runtime) list(ctx context.Context) ([]*runtimeapi.PodSandbox, error) {
	ctx, cancel := context.WithTimeout(ctx, rt.timeout)
	defer cancel()
	resp, err := rt.client.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	return resp.GetItems(), rt.done(methodList, err)
}

// status returns a sandbox's verbose status. A sandbox removed since it
// was listed gives an error satisfying isNotFound.
func (rt *runtime) status(ctx context.Context, id string) (*runtimeapi.PodSandboxStatusResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, rt.timeout)
	defer cancel()
	resp, err := rt.client.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id, Verbose: true})
	if isNotFound(err) {
		// Not the runtime's failure: the sandbox went away.
		rt.count(methodStatus, nil)
		return nil, err
	}
	return resp, rt.done(methodStatus, err)
}

func (rt *runtime) done(method string, err error) error {
	rt.count(method, err)
	if err != nil {
		return fmt.Errorf("pods: %s on %s: %w", method, rt.socket, err)
	}
	return nil
}

// isNotFound reports whether err is the runtime's answer that a sandbox
// does not exist.
func isNotFound(err error) bool {
	return status.Code(err) == codes.NotFound
}

// isSocket reports whether path is a unix socket: the default endpoints of
// runtimes that are not installed are absent, and not worth a dial.
func isSocket(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().Type() == os.ModeSocket
}
