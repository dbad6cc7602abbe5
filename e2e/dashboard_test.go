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

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
)

// dashboardJSON is the product's Grafana dashboard, whose queries
// TestE2EPrometheus runs against a real Prometheus.
const dashboardJSON = "../deploy/grafana/netlink_exporter.json"

// labelValues matches Grafana's label_values(selector, label).
var labelValues = regexp.MustCompile(`label_values\((.*),\s*(\w+)\)`)

// A dashboardPanel is what checkDashboard reads of a Grafana panel.
type dashboardPanel struct {
	ID      int    `json:"id"`
	Title   string `json:"title"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []dashboardPanel `json:"panels"` // of a collapsed row
}

// checkDashboard checks that the dashboard's variables list the exporter and
// the namespaces a and b, and that each panel query, with the variables
// selecting them, returns data. Every panel has data here: the counters
// and gauges it reads exist from the first scrape, at zero if nothing
// happened, and the test makes every kind of churn the panels show.
func checkDashboard(t *testing.T, p *promServer, target, a, b string) {
	t.Helper()
	raw, err := os.ReadFile(dashboardJSON)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Templating struct {
			List []struct {
				Name  string          `json:"name"`
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []dashboardPanel `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardJSON, err)
	}
	// Grafana's values for the variables when a user picks this exporter
	// and the two namespaces.
	vars := strings.NewReplacer(
		"$__rate_interval", "1m",
		"$__range", "5m",
		"$instance", target,
		"$netns", a+"|"+b,
	)
	eval := func(where, expr string) model.Vector {
		q := vars.Replace(expr)
		if strings.Contains(q, "$") {
			t.Fatalf("%s: a variable the test does not fill: %s", where, q)
		}
		v, err := p.Query(t.Context(), q, 0)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		return v
	}

	wantValues := map[string][]string{"instance": {target}, "netns": {a, b}}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		// Grafana 10 and later store the query in an object, earlier
		// ones as a string.
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			_ = json.Unmarshal(v.Query, &q.Query)
		}
		m := labelValues.FindStringSubmatch(q.Query)
		if m == nil {
			t.Errorf("variable %s: query %s is not label_values(selector, label)", v.Name, v.Query)
			continue
		}
		got := make(map[string]bool)
		for _, s := range eval("variable "+v.Name, m[1]) {
			got[string(s.Metric[model.LabelName(m[2])])] = true
		}
		for _, w := range wantValues[v.Name] {
			if !got[w] {
				t.Errorf("variable %s: %s does not list %s; it lists %v", v.Name, q.Query, w, got)
			}
		}
	}

	var walk func(ps []dashboardPanel)
	n := 0
	walk = func(ps []dashboardPanel) {
		for _, pn := range ps {
			for _, tg := range pn.Targets {
				where := fmt.Sprintf("panel %d %q target %s", pn.ID, pn.Title, tg.RefID)
				if len(eval(where, tg.Expr)) == 0 {
					t.Errorf("%s returns no data: %s", where, vars.Replace(tg.Expr))
				}
				n++
			}
			walk(pn.Panels)
		}
	}
	walk(d.Panels)
	t.Logf("all %d dashboard queries return data", n)
}
