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
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// countingRecorder counts the writes that reach the response.
type countingRecorder struct {
	*httptest.ResponseRecorder
	writes int
}

func (c *countingRecorder) Write(p []byte) (int, error) {
	c.writes++
	return c.ResponseRecorder.Write(p)
}

// A buffered response gets the whole body, status and headers, in writes
// of the buffer's size, however the handler writes: the text encoder
// writes 4 KiB at a time, or strings and bytes straight into a writer
// that has WriteString, WriteByte and WriteRune.
func TestBuffered(t *testing.T) {
	line := strings.Repeat("x", 99) + "\n"
	const lines = 20_000 // 2 MB, 31 buffers
	var want bytes.Buffer
	for range lines {
		want.WriteString(line)
	}
	writers := map[string]func(w io.Writer){
		"Write 4 KiB": func(w io.Writer) {
			b := want.Bytes()
			for len(b) > 0 {
				n := min(len(b), 4096)
				if _, err := w.Write(b[:n]); err != nil {
					t.Error(err)
				}
				b = b[n:]
			}
		},
		"WriteString and WriteByte": func(w io.Writer) {
			sw, ok := w.(interface {
				io.StringWriter
				io.ByteWriter
				WriteRune(rune) (int, error)
			})
			if !ok {
				t.Fatalf("the response is a %T, without WriteString, WriteByte and WriteRune", w)
			}
			for range lines {
				if _, err := sw.WriteString(line[:len(line)-1]); err != nil {
					t.Error(err)
				}
				if err := sw.WriteByte('\n'); err != nil {
					t.Error(err)
				}
			}
		},
	}
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			rec := &countingRecorder{ResponseRecorder: httptest.NewRecorder()}
			h := buffered(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(http.StatusTeapot)
				write(w)
			}))
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			if rec.Code != http.StatusTeapot || rec.Header().Get("Content-Type") != "text/plain" {
				t.Errorf("status %d, Content-Type %q; want %d, text/plain", rec.Code, rec.Header().Get("Content-Type"), http.StatusTeapot)
			}
			if !bytes.Equal(rec.Body.Bytes(), want.Bytes()) {
				t.Errorf("body of %d bytes, want the %d written", rec.Body.Len(), want.Len())
			}
			if max := want.Len()/responseBuffer + 1; rec.writes > max {
				t.Errorf("%d writes reached the response, want at most %d", rec.writes, max)
			}
		})
	}
}
