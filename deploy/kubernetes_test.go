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

package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// The manifests are checked as the API server would read them: each object
// is decoded strictly into the Go type that the Kubernetes API (or the
// Prometheus Operator, for the ServiceMonitor) defines for its kind, so an
// unknown or misspelled field, or a value of the wrong type, fails. Then the
// properties the exporter needs are checked on the decoded objects, after
// kustomize has rendered them, as "kubectl apply -k" would.

const kubeDir = "kubernetes"

// manifests are the decoded objects of a rendering, by kind.
type manifests struct {
	daemonSets      []*appsv1.DaemonSet
	services        []*corev1.Service
	serviceMonitors []*monitoringv1.ServiceMonitor
	namespaces      []string // of every object, in order
}

// decodeStrict decodes one YAML document into the API type of its kind and
// adds it to m. A kind without a type here is an error: it would go
// unchecked.
func (m *manifests) decodeStrict(doc []byte) error {
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil {
		return err
	}
	var obj interface{ GetNamespace() string }
	switch gvk := gv.WithKind(tm.Kind); gvk {
	case appsv1.SchemeGroupVersion.WithKind("DaemonSet"):
		ds := &appsv1.DaemonSet{}
		m.daemonSets = append(m.daemonSets, ds)
		obj = ds
	case corev1.SchemeGroupVersion.WithKind("Service"):
		svc := &corev1.Service{}
		m.services = append(m.services, svc)
		obj = svc
	case monitoringv1.SchemeGroupVersion.WithKind(monitoringv1.ServiceMonitorsKind):
		sm := &monitoringv1.ServiceMonitor{}
		m.serviceMonitors = append(m.serviceMonitors, sm)
		obj = sm
	default:
		return fmt.Errorf("no API type to check %s against", gvk)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return fmt.Errorf("%s: %w", tm.Kind, err)
	}
	m.namespaces = append(m.namespaces, obj.GetNamespace())
	return nil
}

// splitYAML splits a multi-document YAML stream.
func splitYAML(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range bytes.Split(append([]byte("\n"), data...), []byte("\n---")) {
		if len(bytes.TrimSpace(stripComments(d))) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

func stripComments(d []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(d, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}

// render runs kustomize on the directory, as "kubectl apply -k" does, and
// decodes the result strictly.
func render(t *testing.T) manifests {
	t.Helper()
	return renderDir(t, kubeDir)
}

// renderDir is render of another kustomization, such as an overlay.
func renderDir(t *testing.T, dir string) manifests {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var m manifests
	for _, r := range resMap.Resources() {
		doc, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		if err := m.decodeStrict(doc); err != nil {
			t.Errorf("rendered %s: %v", r.CurId(), err)
		}
	}
	return m
}

// kustomization reads the kustomization as kustomize does, which rejects
// unknown fields.
func kustomization(t *testing.T) types.Kustomization {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(kubeDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		t.Fatal(err)
	}
	if errs := k.EnforceFields(); len(errs) > 0 {
		t.Fatalf("kustomization.yaml: %s", strings.Join(errs, "; "))
	}
	return k
}

// TestKubernetesFilesStrict decodes every manifest file on its own, so that
// an error names the file, and checks that the kustomization lists each of
// them: a file it leaves out would never be applied.
func TestKubernetesFilesStrict(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(kubeDir, "*.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	var manifestFiles []string
	for _, f := range files {
		name := filepath.Base(f)
		if name == "kustomization.yaml" || f == scrapeConfigFile {
			continue // not objects of the Kubernetes API
		}
		manifestFiles = append(manifestFiles, name)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs := splitYAML(data)
		if len(docs) == 0 {
			t.Errorf("%s: no document", f)
		}
		var m manifests
		for _, d := range docs {
			if err := m.decodeStrict(d); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	}
	listed := slices.Clone(kustomization(t).Resources)
	slices.Sort(listed)
	slices.Sort(manifestFiles)
	if !slices.Equal(listed, manifestFiles) {
		t.Errorf("kustomization.yaml resources %q, want every manifest file %q", listed, manifestFiles)
	}
}

// TestKubernetesStrictDecodeCatches shows that the check fails on the
// mistakes it is for: without it, each of these would be applied with the
// field silently dropped or rejected only by the API server.
func TestKubernetesStrictDecodeCatches(t *testing.T) {
	tests := []struct {
		name, doc string
	}{
		{"misspelled field", "apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  template:\n    spec:\n      hostNetwrok: true\n"},
		{"field at the wrong level", "apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  hostPID: true\n"},
		{"wrong type", "apiVersion: v1\nkind: Service\nspec:\n  ports:\n    - port: nine\n"},
		{"bad quantity", "apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  template:\n    spec:\n      containers:\n        - name: x\n          resources:\n            limits:\n              memory: lots\n"},
		{"misspelled ServiceMonitor field", "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nspec:\n  endpoint:\n    - port: metrics\n"},
		{"unknown kind", "apiVersion: v1\nkind: Sevrice\n"},
		{"wrong group", "apiVersion: extensions/v1beta1\nkind: DaemonSet\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m manifests
			if err := m.decodeStrict([]byte(tt.doc)); err == nil {
				t.Errorf("no error for:\n%s", tt.doc)
			}
		})
	}
}
