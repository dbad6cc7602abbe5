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

package pods

import "testing"

func TestParseEndpoint(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		wantErr  bool
	}{
		{in: "/run/containerd/containerd.sock", want: "/run/containerd/containerd.sock"},
		{in: "unix:///var/run/crio/crio.sock", want: "/var/run/crio/crio.sock"},
		{in: "unix:///run//k3s/containerd/../containerd/containerd.sock", want: "/run/k3s/containerd/containerd.sock"},
		{in: "run/containerd.sock", wantErr: true},
		{in: "unix://run/containerd.sock", wantErr: true},
		{in: "tcp://127.0.0.1:1234", wantErr: true},
		{in: "npipe:////./pipe/containerd-containerd", wantErr: true},
	} {
		got, err := ParseEndpoint(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseEndpoint(%q) = %q, %v; want %q, error: %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}
