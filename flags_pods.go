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
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/model"

	"github.com/netlink-exporter/netlink_exporter/pods"
)

// podFlags are the flags of the attribution of namespaces to pods.
type podFlags struct {
	enabled   *bool
	endpoints *[]string
	resync    *time.Duration
	labels    *bool
}

func addPodFlags(app *kingpin.Application) *podFlags {
	return &podFlags{
		enabled: app.Flag("pods",
			"Attribute network namespaces to Kubernetes pods (netlink_netns_pod_info) by asking the node's container runtime through CRI. Access to a CRI socket is root on the node: --no-pods leaves it alone.").
			Default("true").Bool(),
		endpoints: app.Flag("pods.runtime-endpoint",
			"CRI socket of the container runtime, as a path or a unix:// URL. Repeatable: the sockets are tried in turn and the first that answers is used; while none does, pods are not attributed, and the sockets are tried again every --pods.resync-interval. By default: "+strings.Join(pods.DefaultEndpoints(), ", ")+".").
			PlaceHolder("SOCKET").Strings(),
		resync: app.Flag("pods.resync-interval",
			"How often the runtime's pod sandboxes are listed again, besides whenever a new network namespace appears: it forgets removed sandboxes and finds pods whose namespaces were given up on.").
			Default(model.Duration(pods.DefaultResyncInterval).String()).Duration(),
		labels: app.Flag("pods.labels",
			"Also put the namespace and pod labels of netlink_netns_pod_info on every per-namespace series (empty for a namespace of no pod), for queries without joins. Makes every such series longer.").
			Bool(),
	}
}

// options returns the resolver's options, or nil with --no-pods.
func (f *podFlags) options() *pods.Options {
	if !*f.enabled {
		return nil
	}
	var endpoints []string
	for _, e := range *f.endpoints {
		if e != "" {
			endpoints = append(endpoints, e)
		}
	}
	return &pods.Options{Endpoints: endpoints, ResyncInterval: *f.resync}
}

// validatePods checks the pod flags' values.
func (c *config) validatePods() error {
	if c.pods == nil {
		if c.collector.PodLabels {
			return errors.New("--pods.labels: needs pod attribution, which --no-pods turns off")
		}
		return nil
	}
	for _, e := range c.pods.Endpoints {
		if _, err := pods.ParseEndpoint(e); err != nil {
			return fmt.Errorf("--pods.runtime-endpoint: %w", err)
		}
	}
	if d := c.pods.ResyncInterval; d <= 0 {
		return fmt.Errorf("--pods.resync-interval: must be positive, got %s", d)
	}
	return nil
}
