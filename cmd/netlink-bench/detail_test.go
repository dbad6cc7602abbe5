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
	"slices"
	"testing"
)

func TestPodLines(t *testing.T) {
	got := podLines("br", "h", []string{"p0", "p1"})
	want := []string{
		"link add br type bridge", "link set br up",
		"netns add p0", "link add h0 type veth peer name eth0 netns p0", "link set h0 master br", "link set h0 up",
		"netns add p1", "link add h1 type veth peer name eth0 netns p1", "link set h1 master br", "link set h1 up",
	}
	if !slices.Equal(got, want) {
		t.Errorf("podLines =\n%q\nwant\n%q", got, want)
	}
}

func TestPerLink(t *testing.T) {
	s := scrape{body: []byte(`netlink_interface_info{ifindex="1",interface="lo",kind="device",master="",netns="p0",operstate="down"} 1
netlink_interface_up{ifindex="1",interface="lo",netns="p0"} 0
netlink_interface_carrier_changes_total{direction="up",ifindex="1",interface="lo",netns="p0"} 0
netlink_interface_deleted_timestamp_seconds{ifindex="1",interface="lo",netns="p0"} 1.7e+09
netlink_interface_up{ifindex="1",interface="lo",netns="other"} 0
netlink_interface_series_limit 10
netlink_links{kind="device",netns="p0",operstate="down"} 1
`)}
	if got := perLink(s, netnsPrefix("p")); got != 4 {
		t.Errorf("perLink = %d, want the 4 per-link series of p0", got)
	}
}
