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
	"fmt"
	"strings"
	"testing"
)

// instanceFilter is in every panel query: without it, a panel mixes the
// hosts of every exporter that the data source scrapes.
const instanceFilter = `instance=~"$instance"`

// dashboardProblems returns what keeps the dashboard from importing into any
// Grafana and working there: data sources that are not the datasource
// variable, duplicate panel ids, targets without a refId, missing variables.
func dashboardProblems(d grafanaDashboard) []string {
	var probs []string
	add := func(format string, a ...any) { probs = append(probs, fmt.Sprintf(format, a...)) }

	// Datasource references as {type, uid} objects came with schema 33;
	// Grafana 10.4 and 11 write 39.
	if d.SchemaVersion < 36 {
		add("schemaVersion %d, want 36 or later", d.SchemaVersion)
	}

	vars := make(map[string]grafanaVariable)
	for _, v := range d.Templating.List {
		if _, dup := vars[v.Name]; dup {
			add("variable %s defined twice", v.Name)
		}
		vars[v.Name] = v
		if v.Type == "query" && !isDashboardDatasource(v.Datasource) {
			add("variable %s: datasource %+v, want %s", v.Name, v.Datasource, dashboardDatasource)
		}
	}
	if v, ok := vars["datasource"]; !ok || v.Type != "datasource" || string(v.Query) != `"prometheus"` {
		add(`no variable "datasource" of type datasource for prometheus`)
	}
	for _, name := range []string{"instance", "netns"} {
		if v, ok := vars[name]; !ok || v.Type != "query" {
			add("no query variable %s", name)
		}
	}
	if v := vars["netns"]; !v.Multi || !v.IncludeAll {
		add("variable netns: multi %v, includeAll %v; want both, to select several namespaces or all", v.Multi, v.IncludeAll)
	}

	ids := make(map[int]string)
	for _, p := range allPanels(d.Panels) {
		name := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if prev, dup := ids[p.ID]; dup {
			add("%s: duplicate panel id, also %s", name, prev)
		}
		ids[p.ID] = name
		if p.Type == "row" {
			if len(p.Targets) != 0 {
				add("%s: a row with targets", name)
			}
			continue
		}
		if !isDashboardDatasource(p.Datasource) {
			add("%s: datasource %+v, want %s", name, p.Datasource, dashboardDatasource)
		}
		if len(p.Targets) == 0 {
			add("%s: no targets", name)
		}
		refs := make(map[string]bool)
		for i, tg := range p.Targets {
			switch {
			case tg.RefID == "":
				add("%s: target %d has no refId", name, i)
			case refs[tg.RefID]:
				add("%s: refId %s used twice", name, tg.RefID)
			}
			refs[tg.RefID] = true
			if tg.Datasource != nil && !isDashboardDatasource(tg.Datasource) {
				add("%s: target %s: datasource %+v, want %s", name, tg.RefID, tg.Datasource, dashboardDatasource)
			}
			if !strings.Contains(tg.Expr, instanceFilter) {
				add("%s: target %s: expression lacks %s: %q", name, tg.RefID, instanceFilter, tg.Expr)
			}
		}
	}
	return probs
}

func isDashboardDatasource(ds *grafanaDSRef) bool {
	return ds != nil && ds.Type == "prometheus" && ds.UID == dashboardDatasource
}

// TestDashboardStructure checks the dashboard, and that each kind of
// mistake in a copy of it is caught.
func TestDashboardStructure(t *testing.T) {
	if probs := dashboardProblems(loadDashboard(t)); len(probs) != 0 {
		t.Errorf("%s:\n%s", dashboardFile, strings.Join(probs, "\n"))
	}

	// firstTimeseries finds a panel with targets: the mistakes go there.
	firstTimeseries := func(d *grafanaDashboard) *grafanaPanel {
		for i := range d.Panels {
			if len(d.Panels[i].Targets) > 0 {
				return &d.Panels[i]
			}
		}
		t.Fatal("no panel with targets")
		return nil
	}
	tests := []struct {
		name   string
		break_ func(d *grafanaDashboard)
		want   string
	}{
		{"duplicate id", func(d *grafanaDashboard) { d.Panels[1].ID = d.Panels[0].ID }, "duplicate panel id"},
		{"duplicate id in collapsed row", func(d *grafanaDashboard) {
			d.Panels = append(d.Panels, grafanaPanel{ID: 1000, Type: "row", Panels: []grafanaPanel{d.Panels[0]}})
		}, "duplicate panel id"},
		{"hard-coded datasource", func(d *grafanaDashboard) {
			firstTimeseries(d).Datasource = &grafanaDSRef{Type: "prometheus", UID: "P1809F7CD0C75ACF3"}
		}, "want ${datasource}"},
		{"no datasource", func(d *grafanaDashboard) { firstTimeseries(d).Datasource = nil }, "want ${datasource}"},
		{"target datasource", func(d *grafanaDashboard) {
			firstTimeseries(d).Targets[0].Datasource = &grafanaDSRef{Type: "loki", UID: "${datasource}"}
		}, "want ${datasource}"},
		{"no refId", func(d *grafanaDashboard) { firstTimeseries(d).Targets[0].RefID = "" }, "has no refId"},
		{"duplicate refId", func(d *grafanaDashboard) {
			p := firstTimeseries(d)
			p.Targets = append(p.Targets, p.Targets[0])
		}, "used twice"},
		{"no instance filter", func(d *grafanaDashboard) {
			firstTimeseries(d).Targets[0].Expr = "sum(netlink_links)"
		}, "lacks " + instanceFilter},
		{"no datasource variable", func(d *grafanaDashboard) { d.Templating.List = d.Templating.List[1:] }, `no variable "datasource"`},
		{"netns single", func(d *grafanaDashboard) {
			for i := range d.Templating.List {
				if d.Templating.List[i].Name == "netns" {
					d.Templating.List[i].Multi = false
				}
			}
		}, "variable netns: multi false"},
		{"old schema", func(d *grafanaDashboard) { d.SchemaVersion = 27 }, "schemaVersion 27"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := loadDashboard(t)
			tt.break_(&d)
			probs := strings.Join(dashboardProblems(d), "\n")
			if !strings.Contains(probs, tt.want) {
				t.Errorf("problems do not mention %q:\n%s", tt.want, probs)
			}
		})
	}
}
