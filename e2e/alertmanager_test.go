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
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// startAlertmanager starts bin on a free port of 127.0.0.1, alone (no
// cluster), routing every alert in a group of its own to the webhook at
// hookURL within a second, and waits until it is ready. Cleanup stops it.
func startAlertmanager(t *testing.T, bin, hookURL string) *promServer {
	t.Helper()
	dir := t.TempDir()
	// group_by '...' gives each alert its own group, so that the alerts of
	// other tests' namespaces never delay this one's.
	config := fmt.Sprintf(`route:
  receiver: webhook
  group_by: ['...']
  group_wait: 100ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: webhook
    webhook_configs:
      - url: %q
        send_resolved: false
`, hookURL)
	configFile := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return startServer(t, "alertmanager", bin, func(addr string, attempt int) []string {
		return []string{
			"--config.file=" + configFile,
			"--storage.path=" + filepath.Join(dir, fmt.Sprintf("data%d", attempt)),
			"--web.listen-address=" + addr,
			// An empty address disables the gossip cluster, which would
			// bind a fixed port (9094) that parallel runs share.
			"--cluster.listen-address=",
			"--log.level=warn"}
	})
}

// An amAlert is an alert in a webhook notification.
type amAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// An amNotification is the body of an Alertmanager webhook request
// (version 4).
type amNotification struct {
	Version string    `json:"version"`
	Status  string    `json:"status"`
	Alerts  []amAlert `json:"alerts"`
}

// A webhook is a receiver that records the notifications it gets.
type webhook struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []amNotification
	bad []string // requests that were not notifications
}

// startWebhook starts a webhook receiver on loopback. Cleanup closes it.
func startWebhook(t *testing.T) *webhook {
	t.Helper()
	h := &webhook{}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serveHTTP))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *webhook) serveHTTP(w http.ResponseWriter, r *http.Request) {
	var n amNotification
	err := json.NewDecoder(r.Body).Decode(&n)
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err != nil:
		h.bad = append(h.bad, fmt.Sprintf("%s %s: %v", r.Method, r.URL, err))
		http.Error(w, err.Error(), http.StatusBadRequest)
	case n.Version != "4":
		h.bad = append(h.bad, fmt.Sprintf("%s %s: webhook version %q, want 4", r.Method, r.URL, n.Version))
		http.Error(w, "unknown version", http.StatusBadRequest)
	default:
		h.got = append(h.got, n)
	}
}

// find returns the first alert named name with the label netns, from the
// Prometheus whose external label prometheus is server, that arrived firing
// in a firing notification, and what was not understood.
func (h *webhook) find(name, netns, server string) (*amAlert, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.got {
		for _, a := range n.Alerts {
			if n.Status == "firing" && a.Status == "firing" && a.Labels["alertname"] == name &&
				a.Labels["netns"] == netns && a.Labels["prometheus"] == server {
				return &a, h.bad
			}
		}
	}
	return nil, h.bad
}

// templateAction matches an action of a Go template; blockStart and
// blockEnd those that open and close a block.
var (
	templateAction = regexp.MustCompile(`{{.*?}}`)
	blockStart     = regexp.MustCompile(`^{{-?\s*(if|with|range)\b`)
	blockEnd       = regexp.MustCompile(`^{{-?\s*end\b`)
)

// renderedFrom returns a regular expression that matches what tmpl renders
// to, whatever its actions yield: at least a character for each action,
// anything for a block (if, with, range), which may render nothing.
func renderedFrom(tmpl string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	depth, last := 0, 0
	for _, loc := range templateAction.FindAllStringIndex(tmpl, -1) {
		if depth == 0 {
			b.WriteString(regexp.QuoteMeta(tmpl[last:loc[0]]))
		}
		switch action := tmpl[loc[0]:loc[1]]; {
		case blockStart.MatchString(action):
			if depth == 0 {
				b.WriteString(".*")
			}
			depth++
		case blockEnd.MatchString(action):
			depth--
		case depth == 0:
			b.WriteString(".+")
		}
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(tmpl[last:]) + "$")
	return regexp.MustCompile(b.String())
}

// The labels and annotations that each alert of the rules file has, and
// that a notification must carry to be of use to the one it wakes.
var (
	alertLabels      = []string{"severity"}
	alertAnnotations = []string{"summary", "description", "runbook_url"}
)

// waitFlapNotification waits until hook receives the flap alert firing for
// netns from the Prometheus p, whose external label prometheus is server,
// and checks that it carries the rule's severity and its annotations
// rendered for that namespace.
func waitFlapNotification(t *testing.T, p *promServer, hook *webhook, netns, server string) {
	t.Helper()
	rule, loaded, err := p.AlertRule(t.Context(), flapGroup, flapAlert)
	if err != nil {
		t.Fatal(err)
	}
	if !loaded {
		t.Fatalf("no alerting rule %s in group %s", flapAlert, flapGroup)
	}
	start := time.Now()
	deadline := start.Add(15 * time.Second)
	var got *amAlert
	for {
		var bad []string
		got, bad = hook.find(flapAlert, netns, server)
		if len(bad) > 0 {
			t.Fatalf("the webhook got requests that are not notifications: %q", bad)
		}
		if got != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no firing %s for netns %s reached the webhook through the Alertmanager in 15s", flapAlert, netns)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%s for netns %s delivered to the webhook %v after it fired in Prometheus",
		flapAlert, netns, time.Since(start).Round(100*time.Millisecond))
	for _, l := range alertLabels {
		if want := rule.Labels[l]; want == "" || got.Labels[l] != want {
			t.Errorf("label %s = %q in the notification, want the rule's %q (which must not be empty)", l, got.Labels[l], want)
		}
	}
	for _, a := range alertAnnotations {
		tmpl := rule.Annotations[a]
		if tmpl == "" {
			t.Errorf("%s has no annotation %s in %s", flapAlert, a, rulesFile)
			continue
		}
		if v := got.Annotations[a]; !renderedFrom(tmpl).MatchString(v) || strings.Contains(v, "{{") {
			t.Errorf("annotation %s = %q in the notification, want it rendered from %q", a, v, tmpl)
		}
	}
	if d := got.Annotations["description"]; !strings.Contains(d, netns) {
		t.Errorf("description %q does not name the namespace %s", d, netns)
	}
}
