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

package netlinkmon_test

import (
	"context"
	"strings"
	"testing"

	"github.com/netlink-exporter/netlink_exporter/internal/testns"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// TestLiveReadyThenStopped checks what Ready and Healthy say over a
// monitor's life: ready and healthy once the baseline is read, neither once
// it has stopped. That they wait for the kernel before is e2e's
// TestE2EStartWhileRTNLBusy, which holds RTNL for real.
func TestLiveReadyThenStopped(t *testing.T) {
	testns.RequireRoot(t)
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mon, err := netlinkmon.Start(ctx, dirOptions())
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitReady(t, mon)
	if err := mon.Healthy(); err != nil {
		t.Errorf("Healthy once ready: %v", err)
	}
	cancel()
	if err := mon.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	for name, check := range map[string]func() error{"Ready": mon.Ready, "Healthy": mon.Healthy} {
		if err := check(); err == nil || !strings.Contains(err.Error(), "netlinkmon: stopped") {
			t.Errorf("%s after the stop: %v; want netlinkmon: stopped", name, err)
		}
	}
}
