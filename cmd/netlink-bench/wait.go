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
	"fmt"
	"time"
)

// A timeoutError says that a polled condition did not come true in time.
type timeoutError struct {
	after time.Duration
}

func (e timeoutError) Error() string { return fmt.Sprintf("timed out after %s", e.after) }

// poll calls cond every interval until it returns true or an error, ctx is
// done, or timeout has passed. It returns the time from the call until cond
// returned true (or gave up).
func poll(ctx context.Context, every, timeout time.Duration, cond func() (bool, error)) (time.Duration, error) {
	start := time.Now()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ok, err := cond()
		elapsed := time.Since(start)
		switch {
		case err != nil:
			return elapsed, err
		case ok:
			return elapsed, nil
		case elapsed > timeout:
			return elapsed, timeoutError{after: timeout}
		}
		select {
		case <-ctx.Done():
			return time.Since(start), fmt.Errorf("interrupted: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// sleep waits d, or less if ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("interrupted: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}
