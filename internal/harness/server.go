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
	"net/http"
	"time"
)

// A Server is a server of the Prometheus project, such as prometheus or
// alertmanager, running on a loopback port.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL    string
	name   string
	client *http.Client
	proc   *process
}

// StartServer runs bin with the arguments that args returns for a free
// loopback address (host:port) and the number of the attempt, and waits
// until its /-/ready answers 200. If the port was taken before the server
// bound it, it tries another: args then gets the next attempt's number, so
// that it can give each a storage directory of its own. If ctx ends first,
// the server gets SIGQUIT, for its goroutines' stacks, and is killed; the
// error holds its output. The caller stops the server.
func StartServer(ctx context.Context, name, bin string, args func(addr string, attempt int) []string) (*Server, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	argv := func(addr string, attempt int) []string { return append([]string{bin}, args(addr, attempt)...) }
	ready := func(ctx context.Context, addr string) bool {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/-/ready", nil)
		if err != nil {
			return false
		}
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	p, addr, err := listen(ctx, command{name: name}, argv, ready)
	if err != nil {
		return nil, err
	}
	return &Server{URL: "http://" + addr, name: name, client: client, proc: p}, nil
}

// Stop sends SIGTERM and waits up to timeout for the server to exit. One
// that hangs gets SIGQUIT, which writes its goroutines' stacks to Output,
// and is killed; Stop then returns an error.
func (s *Server) Stop(timeout time.Duration) error {
	s.client.CloseIdleConnections()
	return s.proc.stop(timeout)
}

// Args is the server's command line.
func (s *Server) Args() []string { return s.proc.cmd.Args }

// Output is what the server has written to stdout and stderr so far.
func (s *Server) Output() string { return s.proc.out.String() }
