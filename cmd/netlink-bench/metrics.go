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
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// A labels is one sample's label set.
type labels map[string]string

// A scrape is one /metrics body in the text exposition format. Queries
// parse only the lines of the metric they ask for, so that polling a large
// body stays cheap for the bench process, which shares the CPUs with the
// exporter it measures and polls it every 2 to 250 ms. expfmt, which the
// end-to-end tests use (harness.ParseMetrics), costs about 40 times as much
// CPU per poll at 1,000 namespaces, and 30 times the garbage:
// BenchmarkScrapeQuery.
type scrape struct {
	body []byte
}

// each calls fn for every sample of metric name. Lines that do not parse
// are skipped: the exporter's own tests check the format.
func (s scrape) each(name string, fn func(l labels, v float64)) {
	rest := s.body
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		if len(line) <= len(name) || !bytes.HasPrefix(line, []byte(name)) {
			continue
		}
		if c := line[len(name)]; c != '{' && c != ' ' {
			continue
		}
		l, v, err := parseSample(string(line[len(name):]))
		if err == nil {
			fn(l, v)
		}
	}
}

// value is the sample of name whose labels include want (name=value
// pairs), and whether there is one.
func (s scrape) value(name string, want ...string) (float64, bool) {
	var (
		v     float64
		found bool
	)
	s.each(name, func(l labels, x float64) {
		if !found && l.has(want...) {
			v, found = x, true
		}
	})
	return v, found
}

// sum adds the samples of name whose labels satisfy keep.
func (s scrape) sum(name string, keep func(labels) bool) (total float64, n int) {
	s.each(name, func(l labels, v float64) {
		if keep(l) {
			total += v
			n++
		}
	})
	return total, n
}

// series counts the samples in the body.
func (s scrape) series() int {
	n := 0
	for line := range bytes.Lines(s.body) {
		if len(bytes.TrimSpace(line)) > 0 && line[0] != '#' {
			n++
		}
	}
	return n
}

// has reports whether l holds every name=value pair of want.
func (l labels) has(want ...string) bool {
	for i := 0; i+1 < len(want); i += 2 {
		if v, ok := l[want[i]]; !ok || v != want[i+1] {
			return false
		}
	}
	return true
}

// netnsPrefix keeps samples whose netns label starts with prefix.
func netnsPrefix(prefix string) func(labels) bool {
	return func(l labels) bool { return strings.HasPrefix(l["netns"], prefix) }
}

// parseSample parses what follows the metric name on a sample line:
// an optional {label="value",...} set, the value, an optional timestamp.
func parseSample(s string) (labels, float64, error) {
	l := labels{}
	if strings.HasPrefix(s, "{") {
		s = s[1:]
		for {
			s = strings.TrimLeft(s, ", ")
			if strings.HasPrefix(s, "}") {
				s = s[1:]
				break
			}
			name, rest, ok := strings.Cut(s, `="`)
			if !ok {
				return nil, 0, fmt.Errorf("label without value in %q", s)
			}
			val, n, err := unquote(rest)
			if err != nil {
				return nil, 0, err
			}
			l[strings.TrimSpace(name)] = val
			s = rest[n:]
		}
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, 0, fmt.Errorf("sample without value")
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return nil, 0, fmt.Errorf("sample value: %w", err)
	}
	return l, v, nil
}

// unquote reads a label value up to its closing quote, undoing the
// format's escapes (\\, \", \n). It returns the value and how many bytes of
// s it used, the quote included.
func unquote(s string) (string, int, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), i + 1, nil
		case '\\':
			if i+1 == len(s) {
				return "", 0, fmt.Errorf("dangling escape in %q", s)
			}
			i++
			if s[i] == 'n' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated label value in %q", s)
}
