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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// A PKI is a test CA and a server certificate for 127.0.0.1 that it signed,
// valid for an hour either side of its making, written as PEM files into
// Dir: ca.crt, tls.crt and tls.key, plus other.key, a key that matches no
// certificate. A web config in Dir can name them by these relative paths.
type PKI struct {
	Dir string
	// Pool holds only the CA: a client that trusts it trusts the server.
	Pool *x509.CertPool
}

// NewPKI makes a PKI in dir.
func NewPKI(dir string) (*PKI, error) {
	p := &PKI{Dir: dir, Pool: x509.NewCertPool()}
	now := time.Now()

	caKey, err := p.newKey("ca.key")
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "netlink_exporter e2e CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("harness: CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("harness: CA certificate: %w", err)
	}
	p.Pool.AddCert(ca)
	if err := p.writePEM("ca.crt", "CERTIFICATE", caDER); err != nil {
		return nil, err
	}

	srvKey, err := p.newKey("tls.key")
	if err != nil {
		return nil, err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, srvKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("harness: server certificate: %w", err)
	}
	if err := p.writePEM("tls.crt", "CERTIFICATE", srvDER); err != nil {
		return nil, err
	}
	if _, err := p.newKey("other.key"); err != nil {
		return nil, err
	}
	return p, nil
}

// newKey makes an ECDSA P-256 key and writes it as PKCS #8 PEM to name.
func (p *PKI) newKey(name string) (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("harness: key %s: %w", name, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("harness: key %s: %w", name, err)
	}
	return key, p.writePEM(name, "PRIVATE KEY", der)
}

func (p *PKI) writePEM(name, typ string, der []byte) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(filepath.Join(p.Dir, name), data, 0o600); err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	return nil
}
