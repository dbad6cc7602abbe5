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

//go:build linux

package e2e

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/netlink-exporter/netlink_exporter/internal/harness"
)

// checker collects the mismatches of one scrape.
type checker struct {
	m    harness.Metrics
	errs []error
}

// want checks that the series of name with labels has value v.
func (c *checker) want(name string, labels map[string]string, v float64) {
	got, ok := c.m.Value(name, labels)
	switch {
	case !ok:
		c.errs = append(c.errs, fmt.Errorf("%s%v: no single series, want %v", name, labels, v))
	case got != v:
		c.errs = append(c.errs, fmt.Errorf("%s%v = %v, want %v", name, labels, got, v))
	}
}

func (c *checker) err() error { return errors.Join(c.errs...) }

// state describes the monitor's global counters, which explain a count
// that is late or wrong: overruns, resyncs and messages read.
func state(m harness.Metrics) string {
	var b strings.Builder
	for _, name := range []string{"netlink_overruns_total", "netlink_resyncs_total", "netlink_messages_total", "netlink_netns_discoveries_total", "netlink_netns_removals_total"} {
		for _, s := range m[name] {
			fmt.Fprintf(&b, "\n  %s%v %v", name, s.Labels, s.Value)
		}
	}
	return b.String()
}

// labels builds a label map from name, value pairs.
func labels(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// itoa formats an inode for a label.
func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
