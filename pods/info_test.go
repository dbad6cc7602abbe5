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

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// readInfo reads a fixture: the Info map of a verbose PodSandboxStatus, one
// file per key.
func readInfo(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := os.ReadDir(filepath.Join("testdata", dir))
	if err != nil {
		t.Fatal(err)
	}
	info := make(map[string]string)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("testdata", dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		info[f.Name()] = string(b)
	}
	return info
}

func TestParseInfo(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		want    netnsRef
	}{
		{"containerd-1.6", netnsRef{path: "/var/run/netns/cni-90d0c2f2-bd98-73e5-b893-700d09c6d9ae", pid: 19489}},
		{"containerd-1.6-hostnetwork", netnsRef{pid: 19533, none: true}},
		{"containerd-1.6-closed", netnsRef{path: "/var/run/netns/cni-90d0c2f2-bd98-73e5-b893-700d09c6d9ae", none: true}},
		{"cri-o", netnsRef{path: "/var/run/netns/4c5a2f1e-8d3b-4e6f-a1b2-c3d4e5f60718", pid: 4242}},
		{"cri-o-no-infra", netnsRef{path: "/var/run/netns/4c5a2f1e-8d3b-4e6f-a1b2-c3d4e5f60718"}},
		{"legacy", netnsRef{path: "/var/run/netns/4c5a2f1e-8d3b-4e6f-a1b2-c3d4e5f60718", pid: 4242}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			got, err := parseInfo(readInfo(t, tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("parseInfo = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseInfoEdges(t *testing.T) {
	for _, tc := range []struct {
		name    string
		info    map[string]string
		want    netnsRef
		wantErr error
	}{
		{name: "no info", info: nil, wantErr: errNoInfo},
		{name: "unrelated keys", info: map[string]string{"image": "pause"}, wantErr: errNoInfo},
		{name: "pid alone", info: map[string]string{"info": `{"pid": 7}`}, want: netnsRef{pid: 7}},
		{name: "legacy pid alone", info: map[string]string{"pid": "7"}, want: netnsRef{pid: 7}},
		{
			name: "a network entry without a path",
			info: map[string]string{"info": `{"pid": 7, "runtimeSpec": {"linux": {"namespaces": [{"type": "network"}]}}}`},
			want: netnsRef{pid: 7},
		},
		{
			name: "a spec without namespaces",
			info: map[string]string{"info": `{"pid": 7, "runtimeSpec": {"linux": {}}}`},
			want: netnsRef{pid: 7, none: true},
		},
		{name: "malformed info", info: map[string]string{"info": `{"pid": `}, wantErr: errAny},
		{name: "malformed legacy pid", info: map[string]string{"pid": "seven"}, wantErr: errAny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseInfo(tc.info)
			switch {
			case tc.wantErr == errAny && err != nil:
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("parseInfo = %+v, %v; want error %v", got, err, tc.wantErr)
			case tc.wantErr == nil && err != nil:
				t.Fatal(err)
			case got != tc.want:
				t.Errorf("parseInfo = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// errAny stands for any error in test tables.
var errAny = errors.New("any error")
