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

// Package eventstream serves the link events of a netlinkmon monitor over
// HTTP as a live stream of NDJSON lines: the "ip monitor all-nsid" of the
// exporter, for people. It is a plain http.Handler, so the server's TLS and
// basic auth guard it as they guard /metrics.
//
// A client that does not read fast enough never slows the monitor down: it
// has a buffer of its own, events that do not fit are dropped for it alone,
// and a {"type":"dropped"} line stands where they are missing. A stream ends
// when the client goes away, when the monitor stops, or when the server that
// serves it shuts down (the handler registers with the server's
// RegisterOnShutdown, since Shutdown would otherwise wait for it).
package eventstream
