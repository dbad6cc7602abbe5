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
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// quitWait is how long a process that hung on SIGTERM has, after SIGQUIT,
// to write its goroutines' stacks and exit before it is killed.
const quitWait = 5 * time.Second

// readyPoll is how often a starting process is asked whether it is ready.
const readyPoll = 10 * time.Millisecond

// portTries bounds the starts of a process whose port another process took
// between freeAddr and its bind.
const portTries = 4

// An output collects a process's stdout and stderr while the caller reads
// it.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// A process is a started command whose exit is awaited in the background.
type process struct {
	name  string // for messages
	cmd   *exec.Cmd
	out   *output
	group bool          // the command leads a process group of its own
	done  chan struct{} // closed when the process has exited
	err   error         // Wait's result, set before done is closed
}

// A command is what startProcess runs.
type command struct {
	name  string
	argv  []string
	env   []string // added to the environment
	group bool     // run in a process group of its own
}

func startProcess(c command) (*process, error) {
	p := &process{name: c.name, out: &output{}, group: c.group, done: make(chan struct{})}
	p.cmd = exec.Command(c.argv[0], c.argv[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if len(c.env) > 0 {
		p.cmd.Env = append(os.Environ(), c.env...)
	}
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: c.group}
	TerminateWithParent(p.cmd)
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("harness: start %s: %w", c.name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	return p, nil
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process, or to its process group.
func (p *process) signal(sig syscall.Signal) {
	pid := p.cmd.Process.Pid
	if p.group {
		pid = -pid
	}
	_ = syscall.Kill(pid, sig)
}

// stop sends SIGTERM and waits up to timeout for the process to exit. If it
// does not, SIGQUIT makes a Go program write its goroutines' stacks to the
// output, and the process is killed quitWait later; stop then returns an
// error. Otherwise it returns nil: the exit status is p.err.
func (p *process) stop(timeout time.Duration) error {
	if p.exited() {
		return nil
	}
	p.signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
	}
	p.quit()
	return fmt.Errorf("harness: %s did not exit within %v of SIGTERM; SIGQUIT asked it for its goroutines' stacks, in its output", p.name, timeout)
}

// quit sends SIGQUIT, waits quitWait for the process to exit, and kills it
// if it has not.
func (p *process) quit() {
	p.signal(syscall.SIGQUIT)
	select {
	case <-p.done:
	case <-time.After(quitWait):
		p.kill()
	}
}

// kill kills the process, or its process group, and waits for it.
func (p *process) kill() {
	p.signal(syscall.SIGKILL)
	<-p.done
}

// TerminateWithParent makes the process that cmd starts get SIGTERM when
// the program that started it dies, also of SIGKILL, so that it does not
// outlive a bench or a test that was killed. The processes that the
// harness starts have it already. It works on Linux, and does nothing
// elsewhere.
func TerminateWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	terminateWithParent(cmd.SysProcAttr)
}

// freeAddr returns a loopback address whose port is free now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("harness: free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("harness: free port: %w", err)
	}
	return addr, nil
}

// listen starts the command that argv makes for a free loopback address,
// and waits until ready reports true for it. If the process exits because
// another process took the port, it tries again on another. If ctx ends
// first, the process gets SIGQUIT, for its stacks, and is killed; the error
// holds its output.
func listen(ctx context.Context, c command, argv func(addr string, attempt int) []string,
	ready func(ctx context.Context, addr string) bool) (*process, string, error) {
	for attempt := 0; ; attempt++ {
		addr, err := freeAddr()
		if err != nil {
			return nil, "", err
		}
		c.argv = argv(addr, attempt)
		p, err := startProcess(c)
		if err != nil {
			return nil, "", err
		}
		err = p.waitReady(ctx, func(ctx context.Context) bool { return ready(ctx, addr) })
		switch {
		case err == nil:
			return p, addr, nil
		case errors.Is(err, errExited) && strings.Contains(p.out.String(), "address already in use") && attempt+1 < portTries:
			continue
		case errors.Is(err, errExited):
			return nil, "", fmt.Errorf("harness: %s %q exited before it was ready: %v\noutput:\n%s", c.name, c.argv, p.err, p.out)
		default:
			p.quit()
			return nil, "", fmt.Errorf("harness: %s %q not ready: %w\noutput:\n%s", c.name, c.argv, err, p.out)
		}
	}
}

// errExited says that the process exited while it was awaited.
var errExited = errors.New("exited")

// waitReady polls ready until it reports true, the process exits or ctx
// ends.
func (p *process) waitReady(ctx context.Context, ready func(context.Context) bool) error {
	t := time.NewTicker(readyPoll)
	defer t.Stop()
	for {
		if ready(ctx) {
			return nil
		}
		select {
		case <-p.done:
			return errExited
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
