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
	"time"
)

func TestClient(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); ok && (u != "user" || p != "secret") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		// What the request carried, one header a line.
		for _, h := range []string{"Accept", "Accept-Encoding", "Authorization"} {
			fmt.Fprintf(w, "%s: %s\n", h, r.Header.Get(h))
		}
	}))
	defer ts.Close()
	c := newClient(strings.TrimPrefix(ts.URL, "http://"), nil, 5*time.Second)
	if c.URL != ts.URL {
		t.Errorf("URL %s, want %s", c.URL, ts.URL)
	}
	auth := c
	auth.User, auth.Password = "user", "secret"
	gzip := c
	gzip.Header = http.Header{"Accept-Encoding": {"gzip"}}
	wrong := auth
	wrong.Password = "wrong"
	tests := []struct {
		name   string
		c      Client
		code   int
		header string // a line the body must hold
	}{
		// The transport asks for no compression by itself.
		{"plain", c, 200, "Accept-Encoding: \n"},
		{"accept", c, 200, "Accept: text/plain;version=0.0.4\n"},
		{"auth", auth, 200, "Authorization: Basic dXNlcjpzZWNyZXQ=\n"},
		{"wrong-password", wrong, 401, ""},
		{"header", gzip, 200, "Accept-Encoding: gzip\n"},
	}
	for _, tt := range tests {
		code, body, err := tt.c.Get(t.Context(), "/metrics")
		if err != nil || code != tt.code || !strings.Contains(string(body), tt.header) {
			t.Errorf("%s: Get = %d, %q, %v; want %d with %q", tt.name, code, body, err, tt.code, tt.header)
		}
	}
	if _, err := wrong.Scrape(t.Context()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Scrape with a wrong password: %v, want a 401 error", err)
	}
}
