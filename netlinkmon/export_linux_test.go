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

import "context"

// DropMessages returns a context that makes a monitor started with it drop
// each decoded message that drop returns true for, before it is applied: the
// way a test loses one message of the kernel, where the reader hands
// messages over. typ is a type of Snapshot.Messages ("newnsid", ...); peer
// is the nsid that an RTM_NEWNSID or RTM_DELNSID announces. Messages of other
// namespaces than the monitor's own are never dropped.
func DropMessages(ctx context.Context, drop func(typ string, peer int32) bool) context.Context {
	return context.WithValue(ctx, dropKey{}, func(m message) bool {
		return m.local && drop(msgTypeNames[m.typ], m.peer)
	})
}
