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

//go:build !linux

package netlinkmon

import (
	"context"
	"errors"
)

// A Monitor watches link events in every network namespace it can find. It
// needs Linux.
type Monitor struct{}

// errNotLinux is the error of every call that would need the kernel.
var errNotLinux = errors.New("netlinkmon: network namespaces need Linux")

// Start fails: network namespaces and rtnetlink exist only on Linux.
func Start(context.Context, Options) (*Monitor, error) { return nil, errNotLinux }

// Ready fails: nothing is counted.
func (*Monitor) Ready() error { return errNotLinux }

// Healthy fails: there is no loop.
func (*Monitor) Healthy() error { return errNotLinux }

// Snapshot returns an empty snapshot.
func (*Monitor) Snapshot() Snapshot { return Snapshot{} }

// AttachPod reports that there is no such namespace.
func (*Monitor) AttachPod(uint64, Pod) bool { return false }

// InterfaceSnapshot returns an empty snapshot.
func (*Monitor) InterfaceSnapshot() InterfaceSnapshot { return InterfaceSnapshot{} }

// Subscribe returns a subscription that has already ended.
func (*Monitor) Subscribe(buffer int, match func(*Event) bool) *Subscription {
	f := NewFeed()
	f.Stop()
	return f.Subscribe(buffer, match)
}

// Wait returns at once.
func (*Monitor) Wait() error { return nil }
