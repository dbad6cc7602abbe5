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
	"crypto/tls"
	"fmt"
	"slices"
	"time"
)

// Paths of the exporter's probes.
const (
	// HealthyPath answers 200 as soon as the exporter serves HTTP, which
	// it does at once, before its baseline is read.
	HealthyPath = "/-/healthy"
	// ReadyPath answers 200 once the exporter has read its baseline and
	// counts events; /metrics answers 503 until then.
	ReadyPath = "/-/ready"
)

// Options say how StartExporter runs the exporter and talks to it.
type Options struct {
	// Args follow --web.listen-address, which StartExporter sets.
	Args []string
	// Wrapper is a command that execs the exporter, such as setpriv(1)
	// or strace(1) with its arguments.
	Wrapper []string
	// Env is added to the exporter's environment.
	Env []string
	// ProcessGroup runs the exporter, or its wrapper, in a process group
	// of its own, which Kill kills whole.
	ProcessGroup bool

	// TLS, if set, is the client configuration of an exporter that
	// serves HTTPS.
	TLS *tls.Config
	// User and Password are sent as basic auth if User is set.
	User, Password string
	// HTTPTimeout bounds each request; 5 s if zero.
	HTTPTimeout time.Duration
	// ReadyPath is the path that answers 200 once the exporter is ready,
	// which StartExporter waits for: the package's ReadyPath if empty, so
	// that what a test does next is counted. HealthyPath waits only until
	// it serves HTTP.
	ReadyPath string
}

// An Exporter is a running exporter process.
type Exporter struct {
	// Client talks to the exporter with the options' TLS configuration
	// and credentials.
	Client
	// Addr is the address the exporter listens on, 127.0.0.1:PORT.
	Addr string
	proc *process
}

// StartExporter starts bin on a free loopback port and waits until the
// ready path answers 200. If the port was taken before the exporter bound
// it, it tries another. If ctx ends first, the exporter gets SIGQUIT, for
// its goroutines' stacks, and is killed; the error holds its output. The
// caller stops the exporter.
func StartExporter(ctx context.Context, bin string, o Options) (*Exporter, error) {
	timeout := o.HTTPTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	path := o.ReadyPath
	if path == "" {
		path = ReadyPath
	}
	client := func(addr string) Client {
		c := newClient(addr, o.TLS, timeout)
		c.User, c.Password = o.User, o.Password
		return c
	}
	argv := func(addr string, _ int) []string {
		return append(append(slices.Clone(o.Wrapper), bin, "--web.listen-address="+addr), o.Args...)
	}
	// One client per address, so that the polls share its keep-alive
	// connection: a connection per poll would stay open, with a goroutine
	// and a descriptor in the exporter, for as long as the bench runs.
	var (
		c     Client
		cAddr string
	)
	ready := func(ctx context.Context, addr string) bool {
		if addr != cAddr {
			if c.HTTP != nil {
				c.HTTP.CloseIdleConnections()
			}
			c, cAddr = client(addr), addr
		}
		return c.answers(ctx, path)
	}
	p, addr, err := listen(ctx, command{name: "exporter", env: o.Env, group: o.ProcessGroup}, argv, ready)
	if err != nil {
		return nil, err
	}
	return &Exporter{Client: c, Addr: addr, proc: p}, nil
}

// Stop sends SIGTERM and waits up to timeout for the exporter to exit. It
// returns an error unless the exporter exits with status 0 in time. One
// that hangs gets SIGQUIT, which writes its goroutines' stacks to Output,
// and is killed.
func (e *Exporter) Stop(timeout time.Duration) error {
	e.HTTP.CloseIdleConnections()
	if e.proc.exited() {
		return fmt.Errorf("harness: the exporter had exited before SIGTERM: %v", e.proc.err)
	}
	if err := e.proc.stop(timeout); err != nil {
		return err
	}
	if e.proc.err != nil {
		return fmt.Errorf("harness: the exporter did not exit cleanly on SIGTERM: %w", e.proc.err)
	}
	return nil
}

// Quit sends SIGQUIT, on which the Go runtime writes the stacks of all the
// exporter's goroutines, the runtime's included, to Output and exits, and
// waits for it to exit; one that has not within 5 s is killed.
func (e *Exporter) Quit() {
	if !e.proc.exited() {
		e.proc.quit()
	}
}

// Kill kills the exporter, or its process group, unless it has exited, and
// waits for it.
func (e *Exporter) Kill() {
	if !e.proc.exited() {
		e.proc.kill()
	}
}

// PID is the process id of the exporter, or of its wrapper.
func (e *Exporter) PID() int { return e.proc.cmd.Process.Pid }

// Args is the exporter's command line, with its wrapper.
func (e *Exporter) Args() []string { return e.proc.cmd.Args }

// Output is what the exporter has written to stdout and stderr so far.
func (e *Exporter) Output() string { return e.proc.out.String() }

// Done is closed when the exporter has exited.
func (e *Exporter) Done() <-chan struct{} { return e.proc.done }

// Err is the exporter's exit error, once Done is closed.
func (e *Exporter) Err() error { return e.proc.err }
