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
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Labels that kubelet puts on every sandbox, besides its metadata.
const (
	labelPodName      = "io.kubernetes.pod.name"
	labelPodNamespace = "io.kubernetes.pod.namespace"
	labelPodUID       = "io.kubernetes.pod.uid"
)

// sync lists the sandboxes, learns the namespaces of those it has not seen
// and attaches them, and forgets the sandboxes that are gone. It stops at
// the first failed call, so that a runtime that hangs costs one timeout,
// not one per sandbox; the next sync goes on where it stopped.
func (r *Resolver) sync(ctx context.Context, attach AttachFunc) error {
	items, err := r.rt.list(ctx)
	if err != nil {
		return err
	}
	listed := make(map[string]bool, len(items))
	for _, item := range items {
		listed[item.GetId()] = true
		if _, known := r.sandboxes[item.GetId()]; known || item.GetState() != runtimeapi.PodSandboxState_SANDBOX_READY {
			// A sandbox that is not ready has no namespace, or one on
			// its way out: kubelet keeps stopped sandboxes for a while,
			// and they are not worth a call each.
			continue
		}
		sb, err := r.inspect(ctx, item)
		switch {
		case isNotFound(err):
			listed[item.GetId()] = false
			continue
		case err != nil:
			return err
		}
		r.sandboxes[sb.id] = sb
		if sb.inode != 0 {
			r.byInode[sb.inode] = sb
			delete(r.wanted, sb.inode)
			attach(sb.inode, sb.pod)
		}
	}
	attributed := 0
	for id, sb := range r.sandboxes {
		if !listed[id] {
			r.forget(sb)
		} else if sb.inode != 0 {
			attributed++
		}
	}
	r.mu.Lock()
	r.stats.Sandboxes, r.stats.Attributed = len(items), attributed
	r.mu.Unlock()
	return nil
}

func (r *Resolver) forget(sb *sandbox) {
	delete(r.sandboxes, sb.id)
	if r.byInode[sb.inode] == sb {
		delete(r.byInode, sb.inode)
	}
}

// inspect asks for a sandbox's verbose status and finds its network
// namespace. A sandbox whose namespace cannot be found is returned with
// none: it is not asked about again.
func (r *Resolver) inspect(ctx context.Context, item *runtimeapi.PodSandbox) (*sandbox, error) {
	sb := &sandbox{id: item.GetId(), pod: podOf(item)}
	resp, err := r.rt.status(ctx, sb.id)
	if err != nil {
		return nil, err
	}
	log := r.log.With("sandbox", sb.id, "namespace", sb.pod.Namespace, "pod", sb.pod.Name)
	if resp.GetStatus().GetLinux().GetNamespaces().GetOptions().GetNetwork() == runtimeapi.NamespaceMode_NODE {
		log.Debug("The pod shares the host's network namespace")
		return sb, nil
	}
	ref, err := parseInfo(resp.GetInfo())
	if err != nil {
		r.once(slog.LevelWarn, "The CRI runtime's verbose sandbox status does not say where the network namespace is; pods are not attributed",
			"endpoint", r.rt.socket, "sandbox", sb.id, "err", err)
		return sb, nil
	}
	if ref.none {
		log.Debug("The pod has no network namespace of its own")
		return sb, nil
	}
	ino, file, err := r.locate(ref)
	switch {
	case err != nil:
		// The exporter sees neither the runtime's bind mounts nor the
		// host's processes: a deployment without the mounts or hostPID.
		r.once(slog.LevelWarn, "Cannot find a pod sandbox's network namespace; are the runtime's netns directory or the host's /proc visible?",
			"sandbox", sb.id, "namespace", sb.pod.Namespace, "pod", sb.pod.Name, "err", err)
	case r.fs.host[ino]:
		log.Debug("The pod shares the host's network namespace", "inode", ino)
	default:
		sb.inode, sb.file = ino, file
	}
	return sb, nil
}

// locate returns the inode of the namespace that ref leads to, and the
// file it read: the bind mount first, then the sandbox's process, which
// only an exporter that shares the host's pid namespace sees.
func (r *Resolver) locate(ref netnsRef) (uint64, string, error) {
	var errs []error
	if ref.path != "" {
		files := []string{ref.path}
		// /var/run is /run on every current distribution, and an
		// exporter in a container may have only the latter mounted.
		if rest, ok := strings.CutPrefix(ref.path, "/var/run/"); ok {
			files = append(files, "/run/"+rest)
		}
		for _, file := range files {
			ino, err := r.fs.inode(file)
			if err == nil {
				return ino, file, nil
			}
			errs = append(errs, err)
		}
	}
	if ref.pid > 0 {
		file := filepath.Join(r.fs.proc, strconv.Itoa(ref.pid), "ns", "net")
		ino, err := r.fs.inode(file)
		if err == nil {
			return ino, file, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return 0, "", errors.New("the runtime gives neither a path nor a pid")
	}
	return 0, "", fmt.Errorf("pods: %w", errors.Join(errs...))
}

// podOf names a sandbox's pod by its metadata, and by kubelet's labels
// where the metadata says nothing.
func podOf(item *runtimeapi.PodSandbox) Pod {
	labels := item.GetLabels()
	p := Pod{
		Namespace: item.GetMetadata().GetNamespace(),
		Name:      item.GetMetadata().GetName(),
		UID:       item.GetMetadata().GetUid(),
	}
	if p.Namespace == "" {
		p.Namespace = labels[labelPodNamespace]
	}
	if p.Name == "" {
		p.Name = labels[labelPodName]
	}
	if p.UID == "" {
		p.UID = labels[labelPodUID]
	}
	return p
}
