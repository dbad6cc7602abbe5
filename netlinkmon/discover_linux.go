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
	"fmt"
	"io/fs"
	"time"

	"github.com/netlink-exporter/netlink_exporter/internal/netns"
)

// Discovery: the scans that find namespace files, and the one request per
// namespace that gives it an nsid, so that its events reach the event socket.

// A resolveRequest is a namespace file that a scan found and the monitor does
// not know, and the scan that found it.
type resolveRequest struct {
	cand netns.Candidate
	src  Source
}

// A resolution is what the kernel said of a namespace file: its nsid, and
// whether the request assigned it.
type resolution struct {
	resolveRequest
	nsid  int32
	fresh bool
	err   error
}

func (m *Monitor) scanDirs(ctx context.Context) {
	seen := make(map[uint64]struct{})
	for _, dir := range m.opts.NetnsDirs {
		cands, err := netns.ScanDir(dir, m.nsfsDev)
		if err != nil {
			m.log.Warn("Cannot scan namespace directory", "dir", dir, "err", err)
			seen = nil
			continue
		}
		m.resolve(ctx, cands, SourceDir)
		if seen != nil {
			for _, c := range cands {
				seen[c.Inode] = struct{}{}
			}
		}
	}
	m.lookUpVanished(SourceDir, seen)
}

func (m *Monitor) scanProc(ctx context.Context) {
	m.lastProcScan = time.Now()
	cands, err := netns.ScanProc("/proc", m.nsfsDev)
	if err != nil {
		m.log.Warn("Cannot scan processes for namespaces", "err", err)
		return
	}
	m.resolve(ctx, cands, SourceProc)
	seen := make(map[uint64]struct{}, len(cands))
	for _, c := range cands {
		seen[c.Inode] = struct{}{}
	}
	m.lookUpVanished(SourceProc, seen)
}

// lookUpVanished asks whether the namespaces that scans of src found, and
// whose files the last one (which saw the inodes in seen) no longer found,
// still exist: "ip netns del" removes the file at once, but the kernel
// announces the death only once it has destroyed the namespace, which can
// take seconds while others hold RTNL. A namespace that lives on without its
// file is looked up at each scan: scans run when files or mounts change, and
// at each rescan. A nil seen is a scan that failed, and tells nothing.
func (m *Monitor) lookUpVanished(src Source, seen map[uint64]struct{}) {
	if m.reader == nil || seen == nil {
		return
	}
	var gone []*namespace
	m.mu.Lock()
	for inode, ns := range m.reg.byInode {
		if _, ok := seen[inode]; !ok && ns.source == src && ns.alive {
			gone = append(gone, ns)
		}
	}
	m.mu.Unlock()
	if len(gone) > 0 {
		m.reader.requestLookups(gone)
	}
}

// resolve starts watching each candidate the monitor does not know yet; src
// is the scan that found them. Once the reader runs, it asks for their nsids
// after its next drain, so that the answer, which the registry applies at
// once, comes after every message sent before it: see "Discovery" in the
// package documentation. During the baseline it asks at once, and stops when
// ctx is done: the requests would fail on the closed socket.
func (m *Monitor) resolve(ctx context.Context, cands []netns.Candidate, src Source) {
	now := time.Now()
	var todo []resolveRequest
	m.mu.Lock()
	for _, c := range cands {
		if _, ok := m.reg.byInode[c.Inode]; ok {
			continue
		}
		if _, ok := m.resolving[c.Inode]; ok {
			continue
		}
		if t, ok := m.failed[c.Inode]; ok && now.Sub(t) < retryFailed {
			continue
		}
		m.resolving[c.Inode] = struct{}{}
		todo = append(todo, resolveRequest{cand: c, src: src})
	}
	m.mu.Unlock()
	if len(todo) == 0 {
		return
	}
	if m.reader != nil {
		m.reader.requestResolve(todo)
		return
	}
	res := make([]resolution, 0, len(todo))
	for _, rr := range todo {
		if ctx.Err() != nil {
			break
		}
		leave := m.life.enterKernel()
		res = append(res, resolve(m.req, rr))
		leave()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range res {
		m.applyResolution(r, now)
	}
}

// applyResolution watches and names the namespace of a resolution, or notes
// why it could not. The caller holds m.mu.
func (m *Monitor) applyResolution(res resolution, now time.Time) {
	c := res.cand
	delete(m.resolving, c.Inode)
	if res.err != nil {
		if vanished(res.err) {
			m.log.Debug("Namespace vanished before it was watched", "path", c.Path, "err", res.err)
		} else {
			m.failed[c.Inode] = now
			m.log.Warn("Cannot watch namespace; retrying in a minute", "path", c.Path, "err", res.err)
		}
		return
	}
	delete(m.failed, c.Inode)
	if _, ok := m.reg.byInode[c.Inode]; ok && !res.fresh {
		// Another scan's resolution named it first.
		return
	}
	var ns *namespace
	if res.fresh {
		ns = m.reg.assigned(res.nsid, c.Inode, c.Name, res.src, now)
	} else {
		ns = m.reg.identify(res.nsid, c.Inode, c.Name, res.src, now)
	}
	m.log.Debug("Watching namespace", "netns", ns.name, "nsid", res.nsid, "inode", c.Inode, "source", res.src)
}

// resolve asks the kernel for the nsid of the candidate of rr, assigning one
// if it has none. The namespace file is open only for that request: an open
// file would keep the namespace alive.
func resolve(req *requester, rr resolveRequest) resolution {
	res := resolution{resolveRequest: rr}
	f, err := netns.Open(rr.cand.Path, rr.cand.Inode)
	if err != nil {
		res.err = err
		return res
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		res.err = err
		return res
	}
	cerr := rc.Control(func(fd uintptr) { res.nsid, res.fresh, res.err = req.nsid(int(fd)) })
	res.err = errors.Join(cerr, res.err)
	return res
}

// ownNSID returns the nsid that the exporter's namespace has for itself, or
// NoNSID; see "The exporter's own nsid" in the package documentation. The
// kernel answers without taking RTNL.
func ownNSID(req *requester) (int32, error) {
	f, err := netns.OpenSelf()
	if err != nil {
		return NoNSID, fmt.Errorf("netlinkmon: own nsid: %w", err)
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return NoNSID, fmt.Errorf("netlinkmon: own nsid: %w", err)
	}
	id := NoNSID
	cerr := rc.Control(func(fd uintptr) { id, err = req.getNSID(int(fd)) })
	if err = errors.Join(cerr, err); err != nil {
		return NoNSID, err
	}
	return max(id, NoNSID), nil
}

// vanished reports whether err says that a namespace file was gone, or was
// another file, by the time it was opened: the namespace died between the
// scan and the request. os.IsNotExist would not see through the wrapping.
func vanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || netns.IsChanged(err)
}
