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

package deploy_test

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const (
	rulesFile     = "prometheus/netlink_exporter.rules.yml"
	rulesTestFile = "prometheus/netlink_exporter.rules.test.yml"
	runbookFile   = "../docs/runbook.md"
	runbookPath   = "docs/runbook.md#"
)

// A rule is an alerting or recording rule of rulesFile.
type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// A unitTest is a test group of rulesTestFile, with only what the
// coverage check reads.
type unitTest struct {
	AlertRuleTest []struct {
		Alertname string `yaml:"alertname"`
		ExpAlerts []any  `yaml:"exp_alerts"`
	} `yaml:"alert_rule_test"`
	PromQLExprTest []exprTest `yaml:"promql_expr_test"`
}

// An exprTest is a promql_expr_test of a unitTest.
type exprTest struct {
	Expr string `yaml:"expr"`
}

// TestPrometheusRulesPromtool checks the rules and runs their unit tests
// with the promtool of each Prometheus version. Prometheus 3's range
// selectors leave out a sample at the range's start, so an alert on a rate
// can fire an evaluation earlier than under 2; rulesTestFile says where,
// and asserts only what holds under both.
func TestPrometheusRulesPromtool(t *testing.T) {
	forEachPromtool(t, func(t *testing.T, promtool string) {
		for _, args := range [][]string{
			{"check", "rules", rulesFile},
			{"test", "rules", rulesTestFile},
		} {
			t.Run(args[0], func(t *testing.T) {
				out, err := exec.CommandContext(t.Context(), promtool, args...).CombinedOutput()
				if err != nil {
					t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			})
		}
	})
}

// TestPrometheusRulesDocumented checks, without promtool, what promtool
// does not: every alert can be acted on and is unit-tested both ways.
func TestPrometheusRulesDocumented(t *testing.T) {
	var rules struct {
		Groups []struct {
			Rules []rule `yaml:"rules"`
		} `yaml:"groups"`
	}
	var tests struct {
		Tests []unitTest `yaml:"tests"`
	}
	readYAML(t, rulesFile, &rules)
	readYAML(t, rulesTestFile, &tests)
	runbook, err := os.ReadFile(runbookFile)
	if err != nil {
		t.Fatal(err)
	}
	anchors := markdownAnchors(string(runbook))

	var n int
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if r.Record != "" {
				t.Run(r.Record, func(t *testing.T) {
					if !slices.ContainsFunc(tests.Tests, func(u unitTest) bool { return u.testsRecord(r.Record) }) {
						t.Errorf("no promql_expr_test in %s reads %s", rulesTestFile, r.Record)
					}
				})
				continue
			}
			t.Run(r.Alert, func(t *testing.T) { checkAlert(t, r, anchors, tests.Tests) })
		}
	}
	if n == 0 {
		t.Fatalf("no rules in %s", rulesFile)
	}
}

func checkAlert(t *testing.T, r rule, anchors []string, tests []unitTest) {
	for _, a := range []string{"summary", "description"} {
		if strings.TrimSpace(r.Annotations[a]) == "" {
			t.Errorf("no %s annotation", a)
		}
	}
	if s := r.Labels["severity"]; !slices.Contains([]string{"critical", "warning", "info"}, s) {
		t.Errorf("severity label %q, want critical, warning or info", s)
	}
	if !nonZeroDuration(r.For) {
		t.Errorf("for: %q, want a non-zero duration", r.For)
	}
	url := r.Annotations["runbook_url"]
	_, anchor, ok := strings.Cut(url, runbookPath)
	if !ok || !slices.Contains(anchors, anchor) {
		t.Errorf("runbook_url %q does not point at a heading of %s (anchors: %v)", url, runbookFile, anchors)
	}
	var fire, silent bool
	for _, u := range tests {
		for _, at := range u.AlertRuleTest {
			if at.Alertname == r.Alert {
				fire = fire || len(at.ExpAlerts) > 0
				silent = silent || len(at.ExpAlerts) == 0
			}
		}
	}
	if !fire || !silent {
		t.Errorf("%s lacks an alert_rule_test where it fires (%t) or one where it is silent (%t)", rulesTestFile, fire, silent)
	}
}

// testsRecord reports whether an expression of u reads the series name,
// not merely one whose name begins with it.
func (u unitTest) testsRecord(name string) bool {
	series := regexp.MustCompile(`(^|[^a-zA-Z0-9_:])` + regexp.QuoteMeta(name) + `($|[^a-zA-Z0-9_:])`)
	return slices.ContainsFunc(u.PromQLExprTest, func(e exprTest) bool { return series.MatchString(e.Expr) })
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// promDuration is a Prometheus duration such as 1h30m (units y w d h m s ms).
var promDuration = regexp.MustCompile(`^([0-9]+(ms|[ywdhms]))+$`)

func nonZeroDuration(s string) bool {
	return promDuration.MatchString(s) && strings.ContainsAny(s, "123456789")
}

// markdownAnchors returns the anchors that GitHub makes of the headings
// outside code blocks: lowercase, punctuation dropped, spaces as hyphens.
func markdownAnchors(md string) []string {
	var anchors []string
	fenced := false
	for line := range strings.Lines(md) {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		title, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " ")
		if fenced || !ok || !strings.HasPrefix(line, "#") {
			continue
		}
		anchor := strings.Map(func(r rune) rune {
			switch {
			case r == ' ':
				return '-'
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				return r
			}
			return -1
		}, strings.ToLower(strings.TrimSpace(title)))
		anchors = append(anchors, anchor)
	}
	return anchors
}
