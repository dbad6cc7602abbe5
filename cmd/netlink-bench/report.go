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
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// A barKind says what a failed bar does to the exit code.
type barKind int

const (
	// exact bars (counts, leaks, pins) always fail the run.
	exact barKind = iota
	// perf bars (time, CPU, memory) fail it only with -strict.
	perf
	// info rows are figures without a bar.
	info
)

// A row is one line of the result table.
type row struct {
	bar   string
	value string
	limit string
	kind  barKind
	ok    bool
	note  string
}

func (r row) result() string {
	switch {
	case r.kind == info:
		return "-"
	case r.ok:
		return "PASS"
	case r.kind == perf:
		return "FAIL (perf)"
	default:
		return "FAIL"
	}
}

// A report collects the rows of every stage, and tables of details.
type report struct {
	rows     []row
	sections []section
}

// A section is a detail table printed before the bars, such as one row
// per burst.
type section struct {
	title, text string
}

// table adds a section with a header and rows of cells.
func (r *report) table(title string, header []string, rows [][]string) {
	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, cells := range rows {
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	_ = tw.Flush()
	r.sections = append(r.sections, section{title: title, text: sb.String()})
}

func (r *report) add(x row) { r.rows = append(r.rows, x) }

// check adds a bar row.
func (r *report) check(kind barKind, ok bool, bar, value, limit string) {
	r.add(row{bar: bar, value: value, limit: limit, kind: kind, ok: ok})
}

// figure adds a row without a bar.
func (r *report) figure(bar, value string) {
	r.add(row{bar: bar, value: value, kind: info, ok: true})
}

// failed adds a row for a stage or measurement that could not be made: an
// exactness failure, since the bar cannot be shown to hold.
func (r *report) failed(bar string, err error) {
	r.add(row{bar: bar, value: "error", limit: "-", kind: exact, note: err.Error()})
}

// print writes the table, then the notes of failed rows.
func (r *report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "bar\tvalue\tlimit\tresult")
	for _, x := range r.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.bar, x.value, x.limit, x.result())
	}
	_ = tw.Flush()
	for _, x := range r.rows {
		if x.note != "" {
			fmt.Fprintf(w, "  %s: %s\n", x.bar, x.note)
		}
	}
}

// exitCode is 1 if an exactness bar failed, or with strict any bar.
func (r *report) exitCode(strict bool) int {
	for _, x := range r.rows {
		if !x.ok && (x.kind == exact || strict && x.kind == perf) {
			return 1
		}
	}
	return 0
}

// median of xs (the lower middle for an even count); zero for none.
func median[T int | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// Formatting helpers keep units consistent across rows.

func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}

func fmtMicros(d time.Duration) string {
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}

func fmtRate(events int, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f ev/s", float64(events)/d.Seconds())
}
