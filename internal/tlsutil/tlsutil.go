// Package tlsutil holds the small TLS helpers autovpn needs: a self-signed
// server certificate for `config init --tls`, and certificate pinning
// (TLS_PIN) so a client can trust exactly that certificate and nothing else.
package tlsutil

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"strings"
	"time"
)

// Validity is how long a generated self-signed certificate lasts.
const Validity = 10 * 365 * 24 * time.Hour

// GenerateSelfSigned returns a PEM certificate and PEM PKCS#8 ECDSA P-256
// private key valid for ten years. Each host becomes an IP or DNS subject
// alternative name (brackets around IPv6 literals are ignored). With no
// hosts, the certificate names localhost, 127.0.0.1 and ::1.
func GenerateSelfSigned(hosts []string) (certPEM, keyPEM []byte, err error) {
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate ECDSA key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("generate serial number: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "autovpn " + strings.Trim(hosts[0], "[]")},
		NotBefore:             now.Add(-time.Hour), // tolerate clocks slightly behind
		NotAfter:              now.Add(Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	addSANs(tmpl, hosts)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode private key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	return certPEM, keyPEM, nil
}

// addSANs adds each host as an IP or DNS subject alternative name.
func addSANs(tmpl *x509.Certificate, hosts []string) {
	for _, h := range hosts {
		h = strings.Trim(strings.TrimSpace(h), "[]")
		if h == "" {
			continue
		}
		if ip, err := netip.ParseAddr(h); err == nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip.WithZone("").AsSlice())
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
}

// Fingerprint is the lowercase hex SHA-256 of a DER certificate, without
// colons: the form TLS_PIN is written in.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// ParsePin decodes a SHA-256 certificate fingerprint. It accepts plain hex in
// either case, hex with colons or spaces between bytes, and the line openssl
// prints (`sha256 Fingerprint=AB:CD:...`), as well as a `sha256:` prefix.
func ParsePin(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '='); i >= 0 {
		label := strings.ToLower(strings.TrimSpace(s[:i]))
		if !strings.HasPrefix(label, "sha256") && !strings.HasPrefix(label, "sha2-256") {
			return nil, errors.New("not a SHA-256 fingerprint (openssl output must come from -sha256)")
		}
		s = s[i+1:]
	}
	if len(s) > 7 && strings.EqualFold(s[:7], "sha256:") {
		s = s[7:]
	}
	s = strings.NewReplacer(":", "", " ", "", "\t", "").Replace(s)
	if s == "" {
		return nil, errors.New("empty fingerprint")
	}
	pin, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("not a hex SHA-256 fingerprint (want 64 hex digits, colons optional)")
	}
	if len(pin) != sha256.Size {
		return nil, fmt.Errorf("fingerprint has %d bytes; a SHA-256 fingerprint has 32 (64 hex digits)", len(pin))
	}
	return pin, nil
}

// PinFromCertFile returns the SHA-256 of the first certificate in a PEM file
// (or of a raw DER file).
func PinFromCertFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	der, err := firstCertDER(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(der)
	return sum[:], nil
}

func firstCertDER(data []byte) ([]byte, error) {
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			return b.Bytes, nil
		}
	}
	if bytes.Contains(data, []byte("-----BEGIN")) {
		return nil, errors.New("no CERTIFICATE block in PEM file")
	}
	if _, err := x509.ParseCertificate(data); err != nil {
		return nil, fmt.Errorf("neither PEM nor a DER certificate: %w", err)
	}
	return data, nil
}

// ErrPinMismatch is wrapped by the errors of VerifyPin.
var ErrPinMismatch = errors.New("server certificate does not match TLS_PIN")

// pinError is a pin failure: its own text, errors.Is ErrPinMismatch.
type pinError string

func (e pinError) Error() string { return string(e) }
func (pinError) Unwrap() error   { return ErrPinMismatch }

// VerifyPin returns a tls.Config.VerifyPeerCertificate function that accepts
// the connection only if the leaf certificate's DER SHA-256 equals pin. Use
// it with InsecureSkipVerify: the pin replaces chain and name checks.
func VerifyPin(pin []byte) func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
	want := bytes.Clone(pin)
	return func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
		if len(rawCerts) == 0 {
			return pinError("tls: server sent no certificate to check against TLS_PIN")
		}
		got := sha256.Sum256(rawCerts[0])
		if subtle.ConstantTimeCompare(got[:], want) != 1 {
			return pinError("tls: server certificate fingerprint sha256:" + hex.EncodeToString(got[:]) + " does not match TLS_PIN")
		}
		return nil
	}
}
