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
	"bufio"
	"net/http"
	"sync"
)

// responseBuffer is the size of a scrape's write buffer: a scrape of 1,000
// namespaces is about 1.1 MB of text.
const responseBuffer = 64 << 10

// buffered gives next's response body a buffer of responseBuffer.
// Without it the text encoder flushes its 4 KiB buffer into the response
// for every family, and net/http writes each 4 KiB to the socket: at
// 1,000 namespaces those write(2)s were 14% of a scrape's CPU.
func buffered(next http.Handler) http.Handler {
	pool := sync.Pool{New: func() any { return bufio.NewWriterSize(nil, responseBuffer) }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bw := pool.Get().(*bufio.Writer)
		bw.Reset(w)
		defer func() {
			// An error here is the client's connection, which the
			// encoder's own writes report as well.
			_ = bw.Flush()
			bw.Reset(nil)
			pool.Put(bw)
		}()
		next.ServeHTTP(bufferedResponse{w, bw}, r)
	})
}

// A bufferedResponse writes its body through a bufio.Writer. It has the
// WriteString, WriteByte and WriteRune of one, so that the text encoder
// writes straight into it rather than through a buffer of its own. It is
// no http.Flusher, and the status is sent with the first full buffer, not
// the first write: promhttp neither flushes nor changes the header once
// it writes the body.
type bufferedResponse struct {
	http.ResponseWriter
	*bufio.Writer
}

func (b bufferedResponse) Write(p []byte) (int, error) {
	return b.Writer.Write(p)
}
