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

package harness

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
)

// fakePrometheus answers the API paths with the bodies of answers, by
// path, and records the last query string.
func fakePrometheus(t *testing.T, answers map[string]string) (*Server, *string) {
	t.Helper()
	var query string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		body, ok := answers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	return &Server{URL: ts.URL, name: "prometheus", client: ts.Client()}, &query
}

func TestQuery(t *testing.T) {
	tests := []struct {
		name    string
		answer  string
		at      model.Time
		query   string // the request's query string
		want    string // the vector
		wantErr bool
	}{
		{"vector", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"netns":"a"},"value":[1700000000.5,"3"]}]}}`,
			1700000000500, "query=up&time=1700000000.5", `{netns="a"} => 3 @[1700000000.5]`, false},
		{"now", `{"status":"success","data":{"resultType":"vector","result":[]}}`, 0, "query=up", "", false},
		{"scalar", `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"1"]}}`, 0, "query=up", "", true},
		{"error", `{"status":"error","errorType":"bad_data","error":"parse error"}`, 0, "query=up", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, query := fakePrometheus(t, map[string]string{"/api/v1/query": tt.answer})
			v, err := s.Query(t.Context(), "up", tt.at)
			if *query != tt.query {
				t.Errorf("query string %q, want %q", *query, tt.query)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("Query error %v, want error %v", err, tt.wantErr)
			}
			if got := fmt.Sprint(v); err == nil && got != tt.want {
				t.Errorf("Query = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAlertRule(t *testing.T) {
	s, _ := fakePrometheus(t, map[string]string{"/api/v1/rules": `{"status":"success","data":{"groups":[
		{"name":"other","rules":[{"name":"Flap","type":"alerting","labels":{"severity":"page"}}]},
		{"name":"netlink","rules":[
			{"name":"Flap","type":"recording"},
			{"name":"Flap","type":"alerting","labels":{"severity":"warning"},"annotations":{"summary":"{{ $labels.netns }} flaps"},
			 "alerts":[{"labels":{"netns":"a"},"state":"firing"}]}]}]}}`})
	r, ok, err := s.AlertRule(t.Context(), "netlink", "Flap")
	if err != nil || !ok {
		t.Fatalf("AlertRule = %v, %v", ok, err)
	}
	if r.Labels["severity"] != "warning" || !strings.Contains(r.Annotations["summary"], "flaps") ||
		len(r.Alerts) != 1 || r.Alerts[0].State != "firing" || r.Alerts[0].Labels["netns"] != "a" {
		t.Errorf("AlertRule = %+v, want the alerting rule of group netlink", r)
	}
	if _, ok, err := s.AlertRule(t.Context(), "netlink", "Missing"); ok || err != nil {
		t.Errorf("AlertRule of a missing rule = %v, %v; want not loaded", ok, err)
	}
}

func TestRules(t *testing.T) {
	s, _ := fakePrometheus(t, map[string]string{"/api/v1/rules": `{"status":"success","data":{"groups":[
		{"name":"records","rules":[{"name":"a:rate5m","type":"recording","health":"ok","lastError":""}]},
		{"name":"alerts","rules":[
			{"name":"Flap","type":"alerting","health":"err","lastError":"vector cannot contain metrics with the same labelset"},
			{"name":"Down","type":"alerting","health":"unknown"}]}]}}`})
	rules, err := s.Rules(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []Rule{
		{Group: "records", Name: "a:rate5m", Type: "recording", Health: "ok"},
		{Group: "alerts", Name: "Flap", Type: "alerting", Health: "err", LastError: "vector cannot contain metrics with the same labelset"},
		{Group: "alerts", Name: "Down", Type: "alerting", Health: "unknown"},
	}
	if diff := cmp.Diff(want, rules); diff != "" {
		t.Errorf("Rules (-want +got):\n%s", diff)
	}
}
