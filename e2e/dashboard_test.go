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
	Type    string `json:"type"`
	Title   string `json:"title"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []dashboardPanel `json:"panels"` // of a collapsed row
}

// A selection is what a user picks in the dashboard's variables: each
// variable must list what is picked, and each query return data with it.
type selection struct {
	instance string
	netns    []string
	// k8sNamespace and pod pick a pod; empty picks all of them (".*").
	k8sNamespace, pod string
}

// checkDashboard checks that the dashboard's variables list what sel picks,
// and that each query of the panels under the rows that checkRow accepts
// (by title; "" for the panels above the first row) returns data with the
// variables set to it.
func checkDashboard(t *testing.T, p *promServer, sel selection, checkRow func(title string) bool) {
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
	// Grafana's values for the variables when a user picks sel; its
	// "All" of the pod variables is ".*".
	orAll := func(v string) string {
		if v == "" {
			return ".*"
		}
		return regexp.QuoteMeta(v)
	}
	vars := strings.NewReplacer(
		"$__rate_interval", "1m",
		"$__range", "5m",
		"$instance", sel.instance,
		"$netns", strings.Join(sel.netns, "|"),
		"$k8s_namespace", orAll(sel.k8sNamespace),
		"$pod", orAll(sel.pod),
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

	wantValues := map[string][]string{"instance": {sel.instance}, "netns": sel.netns}
	if sel.pod != "" {
		wantValues["k8s_namespace"], wantValues["pod"] = []string{sel.k8sNamespace}, []string{sel.pod}
	}
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

	var walk func(ps []dashboardPanel, row string)
	n := 0
	walk = func(ps []dashboardPanel, row string) {
		for _, pn := range ps {
			if pn.Type == "row" {
				row = pn.Title
			}
			if !checkRow(row) {
				continue
			}
			for _, tg := range pn.Targets {
				where := fmt.Sprintf("panel %d %q target %s", pn.ID, pn.Title, tg.RefID)
				if len(eval(where, tg.Expr)) == 0 {
					t.Errorf("%s returns no data: %s", where, vars.Replace(tg.Expr))
				}
				n++
			}
			walk(pn.Panels, row)
		}
	}
	walk(d.Panels, "")
	if n == 0 {
		t.Error("no dashboard query checked")
	}
	t.Logf("all %d dashboard queries checked return data", n)
}
