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
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

type merged []prometheus.TransactionalGatherer

// Merge returns a gatherer of the families of gs, sorted by name. Unlike
// prometheus.Gatherers, it neither checks nor sorts their series again:
// each of gs must make its own consistent and sorted, as
// prometheus.Registry and this package's gatherers do. Only that a family
// name comes from one of gs is checked: the family of a later one is left
// out, with an error. Wrap a registry with prometheus.ToTransactionalGatherer.
func Merge(gs ...prometheus.TransactionalGatherer) prometheus.TransactionalGatherer {
	return merged(gs)
}

// Gather implements prometheus.TransactionalGatherer. Its done func calls
// the done func of each of gs.
func (gs merged) Gather() ([]*dto.MetricFamily, func(), error) {
	var (
		all   []*dto.MetricFamily
		errs  prometheus.MultiError
		dones = make([]func(), 0, len(gs))
	)
	for _, g := range gs {
		mfs, done, err := g.Gather()
		dones = append(dones, done)
		if multi := (prometheus.MultiError{}); errors.As(err, &multi) {
			errs = append(errs, multi...)
		} else {
			errs.Append(err)
		}
		all = append(all, mfs...)
	}
	slices.SortStableFunc(all, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	all = slices.CompactFunc(all, func(a, b *dto.MetricFamily) bool {
		if a.GetName() != b.GetName() {
			return false
		}
		errs.Append(fmt.Errorf("collector: metric family %s gathered twice", b.GetName()))
		return true
	})
	done := func() {
		for _, d := range dones {
			d()
		}
	}
	return all, done, errs.MaybeUnwrap()
}
