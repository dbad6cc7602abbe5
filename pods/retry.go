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

import "time"

// A retryPolicy paces the lists made for namespaces that the runtime does
// not list (yet), and the calls after a failure.
type retryPolicy struct {
	// first, doubling up to max, is the pause between lists for a
	// namespace not found, until it has been looked for for giveUp.
	first, max, giveUp time.Duration
	// errFirst, doubling up to the resync interval, is the pause after a
	// failed call.
	errFirst time.Duration
}

// defaultRetry: the runtime lists a sandbox only once CNI has set its
// namespace up and its process runs, hundreds of milliseconds after the
// namespace appeared, or seconds with slow CNI plugins. The lists stay
// close enough together that a pod is named within half a second of its
// sandbox's start; they are shared by every namespace that waits. A
// namespace that is no pod's costs giveUp/max lists at most.
func defaultRetry() retryPolicy {
	return retryPolicy{
		first:    100 * time.Millisecond,
		max:      500 * time.Millisecond,
		giveUp:   15 * time.Second,
		errFirst: time.Second,
	}
}

// wanted is a namespace that is being looked for among the sandboxes.
type wanted struct {
	since, next time.Time
	tries       int
}

// takeNotified moves the notified namespaces to wanted. While no runtime
// answers, they are dropped: once one does, its first list attributes
// every sandbox it has.
func (r *Resolver) takeNotified(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ino := range r.notified {
		if _, ok := r.wanted[ino]; !ok && r.rt != nil {
			r.wanted[ino] = &wanted{since: now, next: now}
		}
	}
	clear(r.notified)
}

// attachKnown attaches the wanted namespaces of sandboxes already known.
// The file that gave a sandbox's inode is read again first: a namespace
// that died takes its inode with it, and the kernel gives it to the next
// new namespace, which may be no pod's.
func (r *Resolver) attachKnown(attach AttachFunc) {
	for ino := range r.wanted {
		sb, ok := r.byInode[ino]
		if !ok {
			continue
		}
		if got, err := r.fs.inode(sb.file); err != nil || got != ino {
			delete(r.byInode, ino)
			sb.inode, sb.file = 0, ""
			continue
		}
		delete(r.wanted, ino)
		attach(ino, sb.pod)
	}
}

func (r *Resolver) listDue(now time.Time) bool {
	if !now.Before(r.listAt) {
		return true
	}
	if r.failing {
		return false
	}
	for _, w := range r.wanted {
		if !now.Before(w.next) {
			return true
		}
	}
	return false
}

// retryLater schedules the next look for the namespaces still wanted after
// a list begun at now, and gives up on those wanted for too long. Every
// list looks for every namespace, so it counts as a try for each.
func (r *Resolver) retryLater(now time.Time) {
	for ino, w := range r.wanted {
		pause := r.retry.first
		for i := 0; i < w.tries && pause < r.retry.max; i++ {
			pause *= 2
		}
		w.next = now.Add(min(pause, r.retry.max))
		w.tries++
		if w.next.Sub(w.since) >= r.retry.giveUp {
			delete(r.wanted, ino)
		}
	}
}

// pauseAfterError returns how long to wait after a failure: doubling, from
// retry.errFirst up to the resync interval.
func (r *Resolver) pauseAfterError() time.Duration {
	switch {
	case r.errPause == 0:
		r.errPause = min(r.retry.errFirst, r.opts.ResyncInterval)
	case r.errPause < r.opts.ResyncInterval:
		r.errPause = min(2*r.errPause, r.opts.ResyncInterval)
	}
	return r.errPause
}

// failed logs the first failure of a streak as a warning, and the rest
// only at debug level.
func (r *Resolver) failed(msg, endpoint string, err error) {
	r.failedCalls++
	if r.failing {
		r.log.Debug(msg, "endpoint", endpoint, "err", err)
		return
	}
	r.failing = true
	r.log.Warn(msg, "endpoint", endpoint, "err", err)
}

func (r *Resolver) recovered() {
	if r.failing {
		r.log.Info("The CRI runtime answers again", "endpoint", r.rt.socket, "failed_attempts", r.failedCalls)
	}
	r.failing, r.failedCalls, r.errPause = false, 0, 0
}
