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
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// A Client talks to an exporter over HTTP. It is a value: copy it to ask
// with other credentials, another header or another HTTP client.
type Client struct {
	// URL is the exporter's base URL, such as http://127.0.0.1:9100.
	URL string
	// HTTP sends the requests.
	HTTP *http.Client
	// User and Password are sent as basic auth if User is set.
	User, Password string
	// Header is added to every request, such as Accept-Encoding: gzip,
	// which then leaves the body compressed.
	Header http.Header
}

// newClient returns a client of the exporter at addr, over HTTPS if tlsConfig
// is set. Its transport does not ask for compressed bodies by itself, so
// that a scrape reads the text format as the exporter writes it.
func newClient(addr string, tlsConfig *tls.Config, timeout time.Duration) Client {
	scheme := "http://"
	if tlsConfig != nil {
		scheme = "https://"
	}
	return Client{
		URL: scheme + addr,
		HTTP: &http.Client{
			Transport: &http.Transport{TLSClientConfig: tlsConfig, DisableCompression: true},
			Timeout:   timeout,
		},
	}
}

// Get fetches path and returns the status code and the body.
func (c Client) Get(ctx context.Context, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL+path, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("harness: GET %s: %w", path, err)
	}
	// The text format, which every version of the exporter serves.
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	for k, vs := range c.Header {
		req.Header[k] = vs
	}
	if c.User != "" {
		req.SetBasicAuth(c.User, c.Password)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("harness: GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, body, fmt.Errorf("harness: GET %s: read body: %w", path, err)
	}
	return resp.StatusCode, body, nil
}

// Scrape fetches /metrics and returns the body. Any status but 200 is an
// error.
func (c Client) Scrape(ctx context.Context) ([]byte, error) {
	code, body, err := c.Get(ctx, "/metrics")
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("harness: GET /metrics: %d %s: %s", code, http.StatusText(code), firstLines(string(body), 5))
	}
	return body, nil
}

// answers reports whether path answers 200.
func (c Client) answers(ctx context.Context, path string) bool {
	code, _, err := c.Get(ctx, path)
	return err == nil && code == http.StatusOK
}

// firstLines returns the first n lines of s, joined by " / ".
func firstLines(s string, n int) string {
	lines := strings.SplitN(strings.TrimSpace(s), "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, " / ")
}
