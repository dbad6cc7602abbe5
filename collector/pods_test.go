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

package collector

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/netlink-exporter/netlink_exporter/pods"
)

type fakePodSource pods.Stats

func (f fakePodSource) Stats() pods.Stats { return pods.Stats(f) }

func TestCollectPods(t *testing.T) {
	calls := func(version, list, status uint64) map[string]uint64 {
		return map[string]uint64{"Version": version, "ListPodSandbox": list, "PodSandboxStatus": status}
	}
	tests := []struct {
		name  string
		stats pods.Stats
		want  string
	}{
		{
			name: "attributing",
			stats: pods.Stats{
				Endpoint: "/run/containerd/containerd.sock", RuntimeName: "containerd", RuntimeVersion: "1.6.20~ds1",
				Requests: calls(1, 12, 110), Errors: calls(0, 2, 0),
				Sandboxes: 111, Attributed: 110,
			},
			want: `
# HELP netlink_pods_cri_errors_total Calls to the CRI runtime that failed, by method. Failed calls are retried.
# TYPE netlink_pods_cri_errors_total counter
netlink_pods_cri_errors_total{method="ListPodSandbox"} 2
netlink_pods_cri_errors_total{method="PodSandboxStatus"} 0
netlink_pods_cri_errors_total{method="Version"} 0
# HELP netlink_pods_cri_requests_total Calls to the CRI runtime, by method.
# TYPE netlink_pods_cri_requests_total counter
netlink_pods_cri_requests_total{method="ListPodSandbox"} 12
netlink_pods_cri_requests_total{method="PodSandboxStatus"} 110
netlink_pods_cri_requests_total{method="Version"} 1
# HELP netlink_pods_runtime_info The CRI runtime that pods are attributed through, always 1. Absent while none answers.
# TYPE netlink_pods_runtime_info gauge
netlink_pods_runtime_info{endpoint="/run/containerd/containerd.sock",runtime="containerd",version="1.6.20~ds1"} 1
`,
		},
		{
			name:  "no runtime",
			stats: pods.Stats{Requests: calls(3, 0, 0), Errors: calls(0, 0, 0)},
			want: `
# HELP netlink_pods_cri_errors_total Calls to the CRI runtime that failed, by method. Failed calls are retried.
# TYPE netlink_pods_cri_errors_total counter
netlink_pods_cri_errors_total{method="ListPodSandbox"} 0
netlink_pods_cri_errors_total{method="PodSandboxStatus"} 0
netlink_pods_cri_errors_total{method="Version"} 0
# HELP netlink_pods_cri_requests_total Calls to the CRI runtime, by method.
# TYPE netlink_pods_cri_requests_total counter
netlink_pods_cri_requests_total{method="ListPodSandbox"} 0
netlink_pods_cri_requests_total{method="PodSandboxStatus"} 0
netlink_pods_cri_requests_total{method="Version"} 3
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(NewPods(fakePodSource(tt.stats)))
			expectGathered(t, prometheus.ToTransactionalGatherer(reg), tt.want)
		})
	}
}
