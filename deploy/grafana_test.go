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
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The dashboard is checked in two places: here, that it is well formed and
// that every query parses with Prometheus's own parser (promtool); and in the
// root module's TestE2EPrometheus, that every query returns data from a real
// Prometheus scraping the exporter.

const dashboardFile = "grafana/netlink_exporter.json"

// dashboardDatasource is the data source every panel and query variable
// names: the dashboard's datasource variable, so that it imports into any
// Grafana, whatever its Prometheus data source is called.
const dashboardDatasource = "${datasource}"

// The parts of a Grafana dashboard that the checks read.
type (
	grafanaDashboard struct {
		SchemaVersion int `json:"schemaVersion"`
		Templating    struct {
			List []grafanaVariable `json:"list"`
		} `json:"templating"`
		Panels []grafanaPanel `json:"panels"`
	}
	grafanaVariable struct {
		Name       string          `json:"name"`
		Type       string          `json:"type"`
		Query      json.RawMessage `json:"query"`
		Datasource *grafanaDSRef   `json:"datasource"`
		Multi      bool            `json:"multi"`
		IncludeAll bool            `json:"includeAll"`
	}
	grafanaPanel struct {
		ID         int             `json:"id"`
		Type       string          `json:"type"`
		Title      string          `json:"title"`
		Datasource *grafanaDSRef   `json:"datasource"`
		Targets    []grafanaTarget `json:"targets"`
		Panels     []grafanaPanel  `json:"panels"` // of a collapsed row
	}
	grafanaTarget struct {
		RefID      string        `json:"refId"`
		Expr       string        `json:"expr"`
		Datasource *grafanaDSRef `json:"datasource"`
	}
	grafanaDSRef struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	}
)

func loadDashboard(t *testing.T) grafanaDashboard {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d grafanaDashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// allPanels lists the panels, those inside collapsed rows included.
func allPanels(ps []grafanaPanel) []grafanaPanel {
	var out []grafanaPanel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// A dashboardQuery is one PromQL expression of the dashboard, with
// Grafana's variables still in it.
type dashboardQuery struct {
	// record names the query as a recording rule, and says where it
	// comes from: dashboard:panel_6:A, dashboard:variable:netns.
	record string
	expr   string
}

// dashboardQueries returns every panel target's expression and every query
// variable's PromQL.
func dashboardQueries(d grafanaDashboard) ([]dashboardQuery, error) {
	var qs []dashboardQuery
	var errs []error
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		expr, err := variableExpr(v.Query)
		if err != nil {
			errs = append(errs, fmt.Errorf("variable %s: %w", v.Name, err))
			continue
		}
		if expr != "" {
			qs = append(qs, dashboardQuery{record: "dashboard:variable:" + recordPart(v.Name), expr: expr})
		}
	}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			qs = append(qs, dashboardQuery{
				record: fmt.Sprintf("dashboard:panel_%d:%s", p.ID, recordPart(tg.RefID)),
				expr:   tg.Expr,
			})
		}
	}
	return qs, errors.Join(errs...)
}

var notInMetricName = regexp.MustCompile(`[^a-zA-Z0-9_]`)

func recordPart(s string) string { return notInMetricName.ReplaceAllString(s, "_") }

// labelValues matches Grafana's label_values(selector, label): the
// selector is PromQL, the label is not.
var labelValues = regexp.MustCompile(`^\s*label_values\(\s*(.*?)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)

// labelValuesOnly matches label_values(label), which has no PromQL.
var labelValuesOnly = regexp.MustCompile(`^\s*label_values\(\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)

// variableExpr returns the PromQL in a Prometheus query variable's query,
// which Grafana stores as a string or, since Grafana 10, as an object with
// a "query" field. It is "" for label_values(label), which has none.
func variableExpr(raw json.RawMessage) (string, error) {
	var q string
	if err := json.Unmarshal(raw, &q); err != nil {
		var obj struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return "", fmt.Errorf("query is neither a string nor an object with a query: %s", raw)
		}
		q = obj.Query
	}
	if m := labelValues.FindStringSubmatch(q); m != nil {
		return m[1], nil
	}
	if labelValuesOnly.MatchString(q) {
		return "", nil
	}
	if rest, ok := strings.CutPrefix(strings.TrimSpace(q), "query_result("); ok && strings.HasSuffix(rest, ")") {
		return strings.TrimSuffix(rest, ")"), nil
	}
	return "", fmt.Errorf("unsupported variable query %q (want label_values or query_result)", q)
}

// grafanaVarRef matches $name, ${name} and ${name:format}.
var grafanaVarRef = regexp.MustCompile(`\$(?:\{([a-zA-Z0-9_]+)(?::[a-zA-Z0-9_]+)?\}|([a-zA-Z0-9_]+))`)

// substitute replaces Grafana's variables in expr by their values in vars.
// A variable that vars lacks is an error: the dashboard uses one that the
// checks do not know how to fill.
func substitute(expr string, vars map[string]string) (string, error) {
	var missing []string
	out := grafanaVarRef.ReplaceAllStringFunc(expr, func(ref string) string {
		m := grafanaVarRef.FindStringSubmatch(ref)
		name := m[1] + m[2]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
			return ref
		}
		return v
	})
	if len(missing) != 0 {
		return "", fmt.Errorf("unknown variables %v in %q", missing, expr)
	}
	return out, nil
}

// parseVars fill the variables with values that any valid dashboard query
// stays valid PromQL with.
var parseVars = map[string]string{
	"__rate_interval": "1m",
	"__interval":      "1m",
	"__range":         "1h",
	"instance":        ".+",
	"netns":           ".+",
	"k8s_namespace":   ".*",
	"pod":             ".*",
}

// checkPromQL writes the queries as recording rules and has promtool parse
// them. Its error holds promtool's output, which names the failing rules.
func checkPromQL(t *testing.T, promtool string, qs []dashboardQuery) error {
	t.Helper()
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for _, q := range qs {
		// A JSON string is a valid YAML double-quoted scalar.
		expr, err := json.Marshal(q.expr)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "      - record: %s\n        expr: %s\n", q.record, expr)
	}
	file := filepath.Join(t.TempDir(), "dashboard.rules.yml")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		return err
	}
	out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput()
	if err != nil {
		return fmt.Errorf("promtool check rules: %w\n%s", err, out)
	}
	if want := fmt.Sprintf("SUCCESS: %d rules found", len(qs)); !strings.Contains(string(out), want) {
		return fmt.Errorf("promtool check rules: output lacks %q:\n%s", want, out)
	}
	return nil
}

// TestDashboardQueriesParse checks every PromQL expression of the dashboard,
// its variables filled in, with the parser of each Prometheus version.
func TestDashboardQueriesParse(t *testing.T) {
	forEachPromtool(t, checkDashboardParses)
}

func checkDashboardParses(t *testing.T, promtool string) {
	qs, err := dashboardQueries(loadDashboard(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) == 0 {
		t.Fatal("the dashboard has no queries")
	}
	for i, q := range qs {
		expr, err := substitute(q.expr, parseVars)
		if err != nil {
			t.Fatalf("%s: %v", q.record, err)
		}
		qs[i].expr = expr
	}
	if err := checkPromQL(t, promtool, qs); err != nil {
		t.Error(err)
	}
}

// TestCheckPromQLRejects shows that the parse check fails on what it must
// reject, so that its passing means something.
func TestCheckPromQLRejects(t *testing.T) {
	forEachPromtool(t, checkPromQLRejects)
}

func checkPromQLRejects(t *testing.T, promtool string) {
	tests := []struct {
		name, expr string
		ok         bool
	}{
		{"valid", `sum by (netns) (rate(netlink_link_creations_total{netns=~".+"}[1m]))`, true},
		{"unbalanced", `sum by (netns) (rate(netlink_link_creations_total[1m])`, false},
		{"unsubstituted interval", `rate(netlink_link_creations_total[$__rate_interval])`, false},
		{"range of an expression", `rate(sum(netlink_link_creations_total)[1m])`, false},
		{"bad matcher", `netlink_links{netns=~"("}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkPromQL(t, promtool, []dashboardQuery{{record: "dashboard:test", expr: tt.expr}})
			if (err == nil) != tt.ok {
				t.Errorf("checkPromQL(%q) = %v, want ok=%v", tt.expr, err, tt.ok)
			}
		})
	}
}

func TestSubstitute(t *testing.T) {
	vars := map[string]string{"__rate_interval": "1m", "netns": "a|b", "instance": ".+"}
	tests := []struct {
		in, want string
		err      bool
	}{
		{`rate(x{netns=~"$netns"}[$__rate_interval])`, `rate(x{netns=~"a|b"}[1m])`, false},
		{`x{instance=~"${instance}", netns=~"${netns:regex}"}`, `x{instance=~".+", netns=~"a|b"}`, false},
		{`x{netns=~"$netns_other"}`, "", true},
		{`increase(x[$__range])`, "", true},
		{`up`, `up`, false},
	}
	for _, tt := range tests {
		got, err := substitute(tt.in, vars)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("substitute(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestVariableExpr(t *testing.T) {
	tests := []struct {
		query, want string
		err         bool
	}{
		{`"label_values(netlink_exporter_build_info, instance)"`, `netlink_exporter_build_info`, false},
		{`{"query": "label_values(netlink_netns_info{instance=~\"$instance\", a=\"x,y\"}, netns)", "refId": "V"}`,
			`netlink_netns_info{instance=~"$instance", a="x,y"}`, false},
		{`"label_values(netns)"`, "", false},
		{`"query_result(topk(5, up))"`, `topk(5, up)`, false},
		{`"label_names()"`, "", true},
		{`42`, "", true},
	}
	for _, tt := range tests {
		got, err := variableExpr(json.RawMessage(tt.query))
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("variableExpr(%s) = %q, %v; want %q, error %v", tt.query, got, err, tt.want, tt.err)
		}
	}
}
