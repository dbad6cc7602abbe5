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
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

func TestFloorVoid(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  burstRun
		void string // a part of the error; empty for a valid figure
	}{
		{"every creation", burstRun{want: 4, floor: floorCount{links: 9, created: 4}}, ""},
		{"more than the burst", burstRun{want: 4, floor: floorCount{created: 5}}, ""},
		{"short", burstRun{want: 4, floor: floorCount{created: 3}}, "3 of 4"},
		{"overrun", burstRun{want: 4, floor: floorCount{created: 4, overruns: 1}}, "overran"},
		{"not run", burstRun{want: 4, floorErr: errors.New("not built")}, "not built"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run.floorVoid()
			switch {
			case tc.void == "" && err != nil:
				t.Errorf("floorVoid() = %v, want nil", err)
			case tc.void != "" && (err == nil || !strings.Contains(err.Error(), tc.void)):
				t.Errorf("floorVoid() = %v, want an error with %q", err, tc.void)
			}
		})
	}
}

// TestFloorListener builds the floor listener and checks that it counts the
// creations in the namespace it is given, and only those.
func TestFloorListener(t *testing.T) {
	testns.RequireRoot(t)
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc to build the floor listener")
	}
	bin, err := buildFloor(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns, other := testns.Add(t), testns.Add(t)
	// The kernel may have given it an nsid already, when an exporter on
	// the host asked for one: then this fails, and the nsid stands.
	_ = exec.Command("ip", "netns", "set", ns, "auto").Run()
	nsid := nsidOf(t, ns)
	f, err := startFloor(bin, nsid)
	if err != nil {
		t.Fatal(err)
	}
	const links = 3
	var lines []string
	for i := range links {
		lines = append(lines, fmt.Sprintf("link add d%d type bridge", i))
	}
	testns.IPBatch(t, ns, lines)
	testns.IPBatch(t, other, lines[:1])
	c, err := f.stop()
	if err != nil {
		t.Fatal(err)
	}
	if c.created != links || c.overruns != 0 || c.links < links {
		t.Errorf("floor listener counted %+v, want %d creations in nsid %d, no overrun", c, links, nsid)
	}
}

// nsidOf reads the nsid of the named namespace from ip netns list.
func nsidOf(t *testing.T, ns string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(ns) + ` \(id: (\d+)\)`).FindStringSubmatch(testns.IP(t, "netns", "list"))
	if m == nil {
		t.Fatalf("no nsid for %s", ns)
	}
	id, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return id
}
