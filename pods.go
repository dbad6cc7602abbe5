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

package main

import (
	"context"
	"log/slog"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
	"github.com/netlink-exporter/netlink_exporter/pods"
)

// newResolver returns the resolver of pods, or nil with --no-pods.
func newResolver(opts *pods.Options, logger *slog.Logger) (*pods.Resolver, error) {
	if opts == nil {
		return nil, nil
	}
	o := *opts
	o.Logger = logger.With("component", "pods")
	return pods.New(o)
}

// runResolver attaches the pods that res finds to the namespaces of mon
// until ctx is done, in a goroutine of its own: the runtime never holds up
// the monitor, nor readiness. The channel is closed once it has stopped, at
// once if res is nil.
func runResolver(ctx context.Context, res *pods.Resolver, mon *netlinkmon.Monitor) <-chan struct{} {
	done := make(chan struct{})
	if res == nil {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		res.Run(ctx, func(inode uint64, p pods.Pod) { mon.AttachPod(inode, netlinkmon.Pod(p)) })
	}()
	return done
}
