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

package netlinkmon

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/netns"
)

// Discovery: the scans that find namespace files, and the one request per
// namespace that gives it an nsid, so that its events reach the event socket.

func (m *Monitor) scanDirs(ctx context.Context) {
	for _, dir := range m.opts.NetnsDirs {
		cands, err := netns.ScanDir(dir, m.nsfsDev)
		if err != nil {
			m.log.Warn("Cannot scan namespace directory", "dir", dir, "err", err)
			continue
		}
		m.resolve(ctx, cands, SourceDir)
	}
}

func (m *Monitor) scanProc(ctx context.Context) {
	m.lastProcScan = time.Now()
	cands, err := netns.ScanProc("/proc", m.nsfsDev)
	if err != nil {
		m.log.Warn("Cannot scan processes for namespaces", "err", err)
		return
	}
	m.resolve(ctx, cands, SourceProc)
}

// resolve finds the nsid of each candidate the monitor does not know yet,
// assigning one if needed, and starts watching it; src is the scan that found
// them. The namespace file is open only for that request: an open file would
// keep the namespace alive. It stops when ctx is done: the requests would
// fail on the closed socket.
func (m *Monitor) resolve(ctx context.Context, cands []netns.Candidate, src Source) {
	now := time.Now()
	for _, c := range cands {
		if _, ok := m.reg.byInode[c.Inode]; ok {
			continue
		}
		if t, ok := m.failed[c.Inode]; ok && now.Sub(t) < retryFailed {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		id, fresh, err := m.nsidOf(c)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return
		case vanished(err):
			m.log.Debug("Namespace vanished before it was watched", "path", c.Path, "err", err)
			continue
		default:
			m.failed[c.Inode] = now
			m.log.Warn("Cannot watch namespace; retrying in a minute", "path", c.Path, "err", err)
			continue
		}
		delete(m.failed, c.Inode)
		m.mu.Lock()
		var ns *namespace
		if fresh {
			ns = m.reg.assigned(id, c.Inode, c.Name, src, now)
		} else {
			ns = m.reg.identify(id, c.Inode, c.Name, src, now)
		}
		m.mu.Unlock()
		m.log.Debug("Watching namespace", "netns", ns.name, "nsid", id, "inode", c.Inode, "source", src)
	}
}

// nsidOf returns the candidate's nsid, and whether this call assigned it.
func (m *Monitor) nsidOf(c netns.Candidate) (id int32, fresh bool, err error) {
	defer m.life.enterKernel()()
	f, err := netns.Open(c.Path, c.Inode)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false, err
	}
	cerr := rc.Control(func(fd uintptr) { id, fresh, err = m.req.nsid(int(fd)) })
	return id, fresh, errors.Join(cerr, err)
}

// vanished reports whether err says that a namespace file was gone, or was
// another file, by the time it was opened: the namespace died between the
// scan and the request. os.IsNotExist would not see through the wrapping.
func vanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || netns.IsChanged(err)
}
