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
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/prometheus/common/model"
)

// get fetches a path of the server's HTTP API and decodes the "data" of its
// answer into data.
func (s *Server) get(ctx context.Context, path string, params url.Values, data any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path+"?"+params.Encode(), nil)
	if err != nil {
		return fmt.Errorf("harness: %s: %w", s.name, err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("harness: %s: %w", s.name, err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("harness: %s: GET %s: %d: %w", s.name, path, resp.StatusCode, err)
	}
	if body.Status != "success" {
		return fmt.Errorf("harness: %s: GET %s?%s: %d: %s", s.name, path, params.Encode(), resp.StatusCode, body.Error)
	}
	if err := json.Unmarshal(body.Data, data); err != nil {
		return fmt.Errorf("harness: %s: GET %s: %w", s.name, path, err)
	}
	return nil
}

// Query evaluates expr at time at, or now if at is 0, with Prometheus's
// /api/v1/query, and returns the vector it yields.
func (s *Server) Query(ctx context.Context, expr string, at model.Time) (model.Vector, error) {
	params := url.Values{"query": {expr}}
	if at != 0 {
		params.Set("time", at.String())
	}
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := s.get(ctx, "/api/v1/query", params, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("harness: %s: result type %s, want vector", expr, data.ResultType)
	}
	var v model.Vector
	if err := json.Unmarshal(data.Result, &v); err != nil {
		return nil, fmt.Errorf("harness: %s: %w", expr, err)
	}
	return v, nil
}

// An Alert is an alert as Prometheus's /api/v1/rules lists it.
type Alert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// An AlertRule is an alerting rule as Prometheus loaded it: its labels and
// annotation templates are those of the rules file, with its alerts now.
type AlertRule struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	Alerts      []Alert           `json:"alerts"`
}

// A Rule is a recording or alerting rule as Prometheus's /api/v1/rules
// lists it.
type Rule struct {
	// Group is the name of the rule's group.
	Group string `json:"-"`
	Name  string `json:"name"`
	// Type is "recording" or "alerting".
	Type string `json:"type"`
	// Health is "ok" after a successful evaluation, "err" after a failed
	// one, which LastError tells, and "unknown" before the first.
	Health    string `json:"health"`
	LastError string `json:"lastError"`
	// AlertRule is an alerting rule's; a recording rule has only Labels.
	AlertRule
}

// Rules returns every rule that Prometheus loaded, from its /api/v1/rules.
func (s *Server) Rules(ctx context.Context) ([]Rule, error) {
	var data struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []Rule `json:"rules"`
		} `json:"groups"`
	}
	if err := s.get(ctx, "/api/v1/rules", nil, &data); err != nil {
		return nil, err
	}
	var rules []Rule
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			r.Group = g.Name
			rules = append(rules, r)
		}
	}
	return rules, nil
}

// AlertRule returns the named alerting rule of the named group, from
// Prometheus's /api/v1/rules, and false if it is not loaded.
func (s *Server) AlertRule(ctx context.Context, group, name string) (AlertRule, bool, error) {
	rules, err := s.Rules(ctx)
	if err != nil {
		return AlertRule{}, false, err
	}
	for _, r := range rules {
		if r.Group == group && r.Name == name && r.Type == "alerting" {
			return r.AlertRule, true, nil
		}
	}
	return AlertRule{}, false, nil
}
