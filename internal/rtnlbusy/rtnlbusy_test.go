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

package rtnlbusy_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/netlink-exporter/netlink_exporter/internal/rtnlbusy"
	"github.com/netlink-exporter/netlink_exporter/internal/testns"
)

// TestTeardown makes namespaces with bridges and deletes them, with Delete
// and with Remove.
func TestTeardown(t *testing.T) {
	testns.RequireRoot(t)
	t.Parallel()
	names := []string{testns.Name(t, "tnsr"), testns.Name(t, "tnsr")}
	td := rtnlbusy.New(names, 3, t.TempDir())
	t.Cleanup(td.Remove)
	for _, del := range []struct {
		name string
		do   func() error
	}{
		{"Delete", func() error { return td.Delete(t.Context()) }},
		{"Remove", func() error { td.Remove(); return nil }},
	} {
		if err := td.Create(t.Context()); err != nil {
			t.Fatal(err)
		}
		for _, ns := range names {
			for _, br := range []string{"br0", "br1", "br2"} {
				if !testns.LinkExists(br, ns) {
					t.Errorf("no %s in %s", br, ns)
				}
			}
		}
		if err := del.do(); err != nil {
			t.Fatalf("%s: %v", del.name, err)
		}
		for _, ns := range names {
			if _, err := os.Stat(filepath.Join("/run/netns", ns)); !os.IsNotExist(err) {
				t.Errorf("after %s, %s is still in /run/netns: %v", del.name, ns, err)
			}
		}
	}
}

// TestProbe checks that a probe returns, without an error, and says when.
func TestProbe(t *testing.T) {
	testns.RequireRoot(t)
	t.Parallel()
	p, err := rtnlbusy.StartProbe()
	if err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	if p.Pending() {
		t.Error("Pending after Done")
	}
	at, err := p.Returned()
	if err != nil || at.Before(p.Started) {
		t.Errorf("Returned() = %v, %v; want a time after %v and no error", at, err, p.Started)
	}
}
