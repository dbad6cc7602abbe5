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
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// netnsDir is where ip netns add bind-mounts the namespaces it names.
const netnsDir = "/run/netns"

// A naming gives every namespace and host link of one run a name with the
// run's random id, so that cleanup can sweep them all by prefix without a
// list, and concurrent runs never collide.
type naming struct {
	id string
}

func newNaming() (naming, error) {
	b := make([]byte, 2)
	if _, err := rand.Read(b); err != nil {
		return naming{}, fmt.Errorf("run id: %w", err)
	}
	return naming{id: hex.EncodeToString(b)}, nil
}

// netnsPrefix starts the names of the run's namespaces of a stage ("" for
// all of them).
func (n naming) netnsPrefix(stage string) string { return "nlb-" + n.id + "-" + stage }

func (n naming) netns(stage string, i int) string {
	return fmt.Sprintf("%s%d", n.netnsPrefix(stage), i)
}

// linkPrefix starts the names of the run's links in the host namespace:
// short, as interface names have 15 bytes at most.
func (n naming) linkPrefix(stage string) string { return "nlb" + n.id + stage }

func (n naming) link(stage string, i int) string {
	return fmt.Sprintf("%s%d", n.linkPrefix(stage), i)
}

// hostLinks lists the host namespace's links whose names start with prefix.
func hostLinks(prefix string) ([]string, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list host links: %w", err)
	}
	var out []string
	for _, i := range ifs {
		if strings.HasPrefix(i.Name, prefix) {
			out = append(out, i.Name)
		}
	}
	return out, nil
}

// namedNetns lists the namespaces in netnsDir whose names start with prefix.
func namedNetns(prefix string) ([]string, error) {
	ents, err := os.ReadDir(netnsDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// deleteNetns deletes the named namespaces with one ip -batch.
func deleteNetns(ctx context.Context, dir string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	f, err := writeBatch(dir, "netns-del", delLines(names))
	if err != nil {
		return err
	}
	return ipBatch(ctx, f, "-force")
}

// cleanup deletes every namespace and host link of the run. It is safe to
// call more than once and after a failure at any point.
func (n naming) cleanup(ctx context.Context, dir string) error {
	var errs []error
	if ns, err := namedNetns(n.netnsPrefix("")); err != nil {
		errs = append(errs, err)
	} else if err := deleteNetns(ctx, dir, ns); err != nil {
		errs = append(errs, err)
	}
	// Host ends of veths go with their peer's namespace, a moment after
	// it; delete what remains (a stage interrupted half way).
	var links []string
	deadline := time.Now().Add(2 * time.Second)
	for {
		var err error
		links, err = hostLinks(n.linkPrefix(""))
		if err != nil {
			errs = append(errs, err)
		}
		if len(links) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(links) > 0 {
		lines := make([]string, len(links))
		for i, l := range links {
			lines[i] = "link del " + l
		}
		f, err := writeBatch(dir, "link-del", lines)
		if err == nil {
			err = ipBatch(ctx, f, "-force")
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	return nil
}
