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

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLifecycle(t *testing.T) {
	failure := errors.New("receive events: boom")
	tests := []struct {
		name string
		// setup brings a fresh lifecycle into the state under test; it
		// returns how long after its last beat the check is made.
		setup       func(l *lifecycle) time.Duration
		wantReady   string // "" for nil, else a substring of the error
		wantHealthy string
	}{
		{
			name:        "reading the baseline",
			setup:       func(*lifecycle) time.Duration { return 0 },
			wantReady:   "netlinkmon: reading the baseline",
			wantHealthy: "",
		},
		{
			name: "baseline waiting for the kernel, longer than a stall",
			setup: func(l *lifecycle) time.Duration {
				l.enterKernel()
				return 10 * loopStall
			},
			wantReady:   "waited 10m0s for the kernel",
			wantHealthy: "",
		},
		{
			name: "counting",
			setup: func(l *lifecycle) time.Duration {
				l.setPhase(counting, nil)
				return loopStall
			},
			wantReady:   "",
			wantHealthy: "",
		},
		{
			name: "loop stalled outside the kernel",
			setup: func(l *lifecycle) time.Duration {
				l.setPhase(counting, nil)
				return loopStall + time.Second
			},
			wantReady:   "",
			wantHealthy: "the loop has made no progress for 1m1s, and is not waiting for the kernel",
		},
		{
			name: "a finished kernel wait is progress",
			setup: func(l *lifecycle) time.Duration {
				l.setPhase(counting, nil)
				l.last.Store(time.Now().Add(-time.Hour).UnixNano())
				l.enterKernel()()
				return loopStall
			},
			wantReady:   "",
			wantHealthy: "",
		},
		{
			name: "stopped when asked",
			setup: func(l *lifecycle) time.Duration {
				l.setPhase(counting, nil)
				l.setPhase(stopped, nil)
				return 0
			},
			wantReady:   "netlinkmon: stopped",
			wantHealthy: "netlinkmon: stopped",
		},
		{
			name: "stopped by a failure, which a later phase does not hide",
			setup: func(l *lifecycle) time.Duration {
				l.setPhase(stopped, failure)
				l.setPhase(counting, nil)
				return 0
			},
			wantReady:   "netlinkmon: stopped: receive events: boom",
			wantHealthy: "netlinkmon: stopped: receive events: boom",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLifecycle(time.Now())
			after := tt.setup(l)
			now := time.Unix(0, l.last.Load()).Add(after)
			checkErr(t, "ready", l.ready(now), tt.wantReady)
			checkErr(t, "healthy", l.healthy(now), tt.wantHealthy)
		})
	}
}

func checkErr(t *testing.T, what string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: %v; want nil", what, err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("%s: %v; want an error with %q", what, err, want)
	case err != nil && strings.Contains(err.Error(), "\n"):
		t.Errorf("%s: %q is not one line", what, err)
	}
}
