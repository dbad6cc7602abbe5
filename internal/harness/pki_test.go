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

package harness

import (
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"testing"
)

func TestPKI(t *testing.T) {
	p, err := NewPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	file := func(name string) string { return filepath.Join(p.Dir, name) }
	pair, err := tls.LoadX509KeyPair(file("tls.crt"), file("tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	opts := x509.VerifyOptions{Roots: p.Pool, DNSName: "127.0.0.1", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if _, err := cert.Verify(opts); err != nil {
		t.Errorf("the server certificate does not verify against the pool for 127.0.0.1: %v", err)
	}
	if _, err := tls.LoadX509KeyPair(file("tls.crt"), file("other.key")); err == nil {
		t.Error("other.key matches the server certificate")
	}
	if _, err := tls.LoadX509KeyPair(file("ca.crt"), file("ca.key")); err != nil {
		t.Errorf("CA: %v", err)
	}
}
