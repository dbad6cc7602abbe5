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
	"errors"
	"log/slog"
	"time"
)

// connect finds the runtime, unless it is not time to try again, and
// reports whether one answers. It asks for the runtime's version: a socket
// may be there without a CRI service behind it, such as the containerd
// that Docker runs with its CRI plugin disabled.
func (r *Resolver) connect(ctx context.Context, now time.Time) bool {
	if now.Before(r.connectAt) {
		return false
	}
	sockets := r.candidates
	if !r.explicit {
		sockets = nil
		for _, s := range r.candidates {
			if isSocket(s) {
				sockets = append(sockets, s)
			}
		}
	}
	// Probes of candidates count as calls, but not as errors: a runtime
	// that is not this node's is no failure.
	probeCount := func(method string, err error) {
		if !r.explicit {
			err = nil
		}
		r.count(method, err)
	}
	var errs []error
	for _, s := range sockets {
		rt, err := dial(s, r.opts.Timeout, probeCount)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		v, err := rt.version(ctx)
		if err != nil {
			rt.close()
			errs = append(errs, err)
			continue
		}
		rt.count = r.count
		r.rt, r.listAt = rt, now
		r.mu.Lock()
		r.stats.Endpoint, r.stats.RuntimeName, r.stats.RuntimeVersion = s, v.GetRuntimeName(), v.GetRuntimeVersion()
		r.mu.Unlock()
		r.log.Info("Attributing network namespaces to pods through CRI", "endpoint", s,
			"runtime", v.GetRuntimeName(), "version", v.GetRuntimeVersion())
		r.recovered()
		return true
	}
	if r.explicit {
		r.failed("Cannot reach the CRI runtime; pods are not attributed until it answers", r.candidates[0], errors.Join(errs...))
		r.connectAt = r.now().Add(r.pauseAfterError())
		return false
	}
	// Without a runtime, there are no pods to name; one that starts later
	// is found at a later try.
	r.once(slog.LevelInfo, "No CRI runtime found; pods are not attributed", "endpoints", r.candidates, "err", errors.Join(errs...))
	r.connectAt = r.now().Add(r.opts.ResyncInterval)
	return false
}
