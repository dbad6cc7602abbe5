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
	"encoding/json"
	"errors"
	"fmt"
)

// A netnsRef says where a sandbox's network namespace can be found.
type netnsRef struct {
	// path is the namespace's bind mount, from the runtime spec, or "".
	path string
	// pid is the sandbox's process, or 0 if the runtime gave none.
	pid int
	// none is true for a sandbox that has no network namespace of its
	// own (hostNetwork), and for one whose namespace the runtime has
	// already closed.
	none bool
}

// verboseInfo is the part of a verbose PodSandboxStatus that locates the
// network namespace. Runtimes put it under Info["info"] as one JSON object
// (containerd 1.6 and later, CRI-O 1.18 and later), or, before, each key at
// the top level of Info with a JSON value.
type verboseInfo struct {
	Pid         int          `json:"pid"`
	RuntimeSpec *runtimeSpec `json:"runtimeSpec"`
	// NetNamespaceClosed is containerd's: true once the namespace is torn
	// down, though its path stays in the spec.
	NetNamespaceClosed bool `json:"netNamespaceClosed"`
}

// runtimeSpec is the part of an OCI runtime spec that names namespaces.
type runtimeSpec struct {
	Linux *struct {
		Namespaces []struct {
			Type string `json:"type"`
			Path string `json:"path"`
		} `json:"namespaces"`
	} `json:"linux"`
}

// errNoInfo is returned for a status without verbose info: the runtime
// ignored Verbose, or knows nothing of the sandbox's process.
var errNoInfo = errors.New("no verbose info")

// parseInfo locates the network namespace in the Info map of a verbose
// PodSandboxStatusResponse.
func parseInfo(info map[string]string) (netnsRef, error) {
	var v verboseInfo
	if s, ok := info["info"]; ok {
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return netnsRef{}, fmt.Errorf("info: %w", err)
		}
	} else {
		for key, dst := range map[string]any{"pid": &v.Pid, "runtimeSpec": &v.RuntimeSpec} {
			s, ok := info[key]
			if !ok {
				continue
			}
			if err := json.Unmarshal([]byte(s), dst); err != nil {
				return netnsRef{}, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	return v.ref()
}

func (v *verboseInfo) ref() (netnsRef, error) {
	ref := netnsRef{pid: v.Pid, none: v.NetNamespaceClosed}
	if v.RuntimeSpec == nil || v.RuntimeSpec.Linux == nil {
		if v.Pid <= 0 {
			return netnsRef{}, errNoInfo
		}
		// Without a spec there is no telling a hostNetwork sandbox from
		// the process alone; its namespace's inode will tell.
		return ref, nil
	}
	for _, ns := range v.RuntimeSpec.Linux.Namespaces {
		if ns.Type == "network" {
			// An entry without a path asks for a new namespace, which
			// only the process can lead to.
			ref.path = ns.Path
			return ref, nil
		}
	}
	// A spec that asks for no network namespace shares the host's.
	ref.none = true
	return ref, nil
}
