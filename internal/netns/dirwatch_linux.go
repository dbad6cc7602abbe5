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

package netns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// watchMask is the same for directories and their parents: a second watch on
// one inode replaces the mask of the first.
const watchMask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM |
	unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR

// maxRetries bounds how often sync starts again for one directory when a
// parent appears under it while it sets up a watch.
const maxRetries = 8

// A dirWatch keeps inotify watches on directories, or, while one is missing,
// on its nearest existing parent.
type dirWatch struct {
	fd   int
	dirs []string
	// wds maps watch descriptors to whether they watch one of dirs (true)
	// or only a parent of a missing one (false).
	wds map[int]bool
	buf []byte
}

func newDirWatch(fd int, dirs []string) *dirWatch {
	w := &dirWatch{fd: fd, wds: map[int]bool{}, buf: make([]byte, 4096)}
	for _, d := range dirs {
		w.dirs = append(w.dirs, filepath.Clean(d))
	}
	return w
}

// sync watches every directory or its nearest existing parent, drops watches
// no longer needed, and reports whether the set of watches changed.
func (w *dirWatch) sync() bool {
	wds := make(map[int]bool, len(w.dirs))
	for _, dir := range w.dirs {
		if wd, isDir := w.add(dir); wd >= 0 {
			wds[wd] = wds[wd] || isDir
		}
	}
	for wd := range w.wds {
		if _, ok := wds[wd]; !ok {
			// It may be gone already (IN_IGNORED): nothing to do then.
			_, _ = unix.InotifyRmWatch(w.fd, uint32(wd))
		}
	}
	same := maps.Equal(w.wds, wds)
	w.wds = wds
	return !same
}

// add watches dir, or else its nearest existing parent, so that its creation
// raises an event. It returns the watch descriptor, -1 if nothing could be
// watched, and whether it watches dir itself.
func (w *dirWatch) add(dir string) (int, bool) {
	path, child := dir, ""
	for retries := 0; ; {
		wd, err := unix.InotifyAddWatch(w.fd, path, watchMask)
		if err == nil {
			if path == dir {
				return wd, true
			}
			// A child created before the watch existed raised no
			// event: look again from dir.
			if retries == maxRetries || unix.Access(child, unix.F_OK) != nil {
				return wd, false
			}
			retries++
			path, child = dir, ""
			continue
		}
		parent := filepath.Dir(path)
		if parent == path {
			return -1, false
		}
		path, child = parent, path
	}
}

// read drains the pending inotify events and reports whether the entries of
// a watched directory may have changed.
func (w *dirWatch) read() (bool, error) {
	var signal, resync bool
	for {
		n, err := unix.Read(w.fd, w.buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.EAGAIN) || (err == nil && n == 0) {
			break
		}
		if err != nil {
			return false, fmt.Errorf("netns: watch: read inotify: %w", err)
		}
		for b := w.buf[:n]; len(b) >= unix.SizeofInotifyEvent; {
			wd := int(int32(binary.NativeEndian.Uint32(b[0:4])))
			mask := binary.NativeEndian.Uint32(b[4:8])
			size := unix.SizeofInotifyEvent + int(binary.NativeEndian.Uint32(b[12:16]))
			b = b[min(size, len(b)):]

			isDir, known := w.wds[wd]
			switch {
			case mask&unix.IN_Q_OVERFLOW != 0:
				signal, resync = true, true
			case isDir:
				signal = true
				resync = resync || mask&(unix.IN_IGNORED|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF) != 0
			case !known && mask&unix.IN_IGNORED != 0:
				// The end of a watch that sync removed.
			default:
				// Something changed in the parent of a missing
				// directory: maybe the directory itself.
				resync = true
			}
		}
	}
	if resync && w.sync() {
		signal = true
	}
	return signal, nil
}
