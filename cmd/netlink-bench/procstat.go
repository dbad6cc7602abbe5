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
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of utime and stime in /proc/PID/stat. It is fixed at
// 100 on Linux whatever the kernel's HZ (sysconf(_SC_CLK_TCK)).
const userHZ = 100

// A cpuSample is the CPU a process has used so far, read two ways:
// schedstat (nanoseconds, summed over live threads) and stat (clock ticks,
// including threads that have exited).
type cpuSample struct {
	sched time.Duration
	ticks int64
}

// readCPU samples the CPU time of process pid.
func readCPU(pid int) (cpuSample, error) {
	var s cpuSample
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return s, fmt.Errorf("cpu of %d: %w", pid, err)
	}
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue // the thread has exited
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return s, fmt.Errorf("cpu of %d: empty schedstat", pid)
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return s, fmt.Errorf("cpu of %d: schedstat: %w", pid, err)
		}
		s.sched += time.Duration(ns)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, fmt.Errorf("cpu of %d: %w", pid, err)
	}
	// The command name may hold spaces and parentheses: fields count from
	// the last ')'. utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return s, fmt.Errorf("cpu of %d: malformed stat", pid)
	}
	for _, x := range f[11:13] {
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return s, fmt.Errorf("cpu of %d: stat: %w", pid, err)
		}
		s.ticks += n
	}
	return s, nil
}

// cpuSince is the CPU used between two samples. schedstat is precise but
// forgets threads that exit; if the tick count says more was used than a
// tick's rounding explains, it is the better figure.
func cpuSince(start, end cpuSample) time.Duration {
	sched := end.sched - start.sched
	ticks := time.Duration(end.ticks-start.ticks) * time.Second / userHZ
	if ticks > sched+2*time.Second/userHZ {
		return ticks
	}
	return sched
}

// A memSample is a process's resident memory now and at its peak.
type memSample struct {
	rss, hwm int64 // bytes
}

func readMem(pid int) (memSample, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memSample{}, fmt.Errorf("memory of %d: %w", pid, err)
	}
	defer f.Close()
	var m memSample
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, _ := strings.Cut(sc.Text(), ":")
		var p *int64
		switch key {
		case "VmRSS":
			p = &m.rss
		case "VmHWM":
			p = &m.hwm
		default:
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			return m, fmt.Errorf("memory of %d: %s: %w", pid, key, err)
		}
		*p = kb << 10
	}
	if err := sc.Err(); err != nil {
		return m, fmt.Errorf("memory of %d: %w", pid, err)
	}
	return m, nil
}

// An fdSample counts a process's open file descriptors, and those of them
// that refer to a network namespace (and so keep it alive).
type fdSample struct {
	all, netns int
}

func (s fdSample) String() string { return fmt.Sprintf("%d fds (%d netns)", s.all, s.netns) }

func readFDs(pid int) (fdSample, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fdSample{}, fmt.Errorf("fds of %d: %w", pid, err)
	}
	var s fdSample
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		s.all++
		if strings.HasPrefix(target, "net:[") {
			s.netns++
		}
	}
	return s, nil
}
