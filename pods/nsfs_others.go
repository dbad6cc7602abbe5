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

//go:build !linux

package pods

import "errors"

// nsfs finds namespaces' inodes; there are none but on Linux.
type nsfs struct {
	host map[uint64]bool
	proc string
}

func openNSFS() (*nsfs, error) {
	return nil, errors.New("pods: network namespaces need Linux")
}

func (*nsfs) inode(string) (uint64, error) {
	return 0, errors.New("pods: network namespaces need Linux")
}
