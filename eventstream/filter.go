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

package eventstream

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// filterKeys are the query parameters a stream takes. Each is repeatable:
// values of one key are alternatives, and every key given must match.
var filterKeys = []string{"kind", "netns", "type"}

// A filter selects link events by namespace name, link kind and event type.
// Notices (resync, dropped) always pass: they say what the stream may lack.
type filter struct {
	netns, kind, types map[string]bool
}

// parseFilter reads a stream's query. It returns a nil match, which costs
// the monitor nothing, when the query selects everything.
func parseFilter(q url.Values) (func(*netlinkmon.Event) bool, error) {
	for k := range q {
		if !slices.Contains(filterKeys, k) {
			return nil, fmt.Errorf("unknown query parameter %q: want %s", k, strings.Join(filterKeys, ", "))
		}
	}
	f := filter{netns: set(q["netns"]), kind: set(q["kind"]), types: set(q["type"])}
	for t := range f.types {
		if !isLink(netlinkmon.EventType(t)) {
			names := make([]string, len(linkTypes))
			for i, lt := range linkTypes {
				names[i] = string(lt)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("unknown event type %q: want %s", t, strings.Join(names, ", "))
		}
	}
	if f.netns == nil && f.kind == nil && f.types == nil {
		return nil, nil
	}
	return f.match, nil
}

func set(vals []string) map[string]bool {
	if len(vals) == 0 {
		return nil
	}
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[v] = true
	}
	return m
}

// match runs on the monitor's goroutine for every event: map look-ups only.
func (f filter) match(ev *netlinkmon.Event) bool {
	if !isLink(ev.Type) {
		return true
	}
	return (f.netns == nil || f.netns[ev.Netns]) &&
		(f.kind == nil || f.kind[ev.Kind]) &&
		(f.types == nil || f.types[string(ev.Type)])
}
