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

package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/common/promslog"

	"github.com/netlink-exporter/netlink_exporter/internal/scalesnap"
	"github.com/netlink-exporter/netlink_exporter/netlinkmon"
)

// A scaleSource serves the spec's scale.
type scaleSource struct {
	fakeSource
	snap netlinkmon.Snapshot
}

func (s *scaleSource) Snapshot() netlinkmon.Snapshot { return s.snap }

// BenchmarkHandler measures a whole scrape of /metrics at the spec's scale
// with the default flags, as each scraper asks for it: all of the
// exporter's families, the format's encoding and the compression.
func BenchmarkHandler(b *testing.B) {
	for _, bb := range []struct {
		name, accept, encoding string
	}{
		{"text", "", ""},
		{"text-gzip", "", "gzip"},
		{"prometheus3", acceptPrometheus3, ""},
		{"prometheus3-ct-gzip", acceptPrometheus3CT, "gzip"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			cfg, err := parseFlags(nil)
			if err != nil {
				b.Fatal(err)
			}
			h, err := newHandler(cfg, &scaleSource{snap: scalesnap.Snapshot()}, fakePodStats{}, promslog.NewNopLogger())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				req.Header.Set("Accept", bb.accept)
				req.Header.Set("Accept-Encoding", bb.encoding)
				rec := httptest.NewRecorder()
				rec.Body = nil
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
