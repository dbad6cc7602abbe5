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

import "testing"

func TestRenderedFrom(t *testing.T) {
	const tmpl = `Links in namespace {{ $labels.netns }}{{ with printf "x{netns=%q}" $labels.netns | query }}{{ with . | first }} (pod {{ .Labels.namespace }}/{{ .Labels.pod }}){{ end }}{{ end }} on {{ $labels.instance }}.`
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"Links in namespace cni-1 (pod shop/web-0) on node1:9917.", true},
		{"Links in namespace host on node1:9917.", true},
		{"Links in namespace  on node1:9917.", false},
		{"Links of namespace host on node1:9917.", false},
		{"Links in namespace host on node1:9917", false},
	} {
		if got := renderedFrom(tmpl).MatchString(tc.text); got != tc.want {
			t.Errorf("%q matches: %v, want %v", tc.text, got, tc.want)
		}
	}
}
