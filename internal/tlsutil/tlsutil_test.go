package tlsutil

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustCert(t *testing.T, hosts ...string) (certPEM, keyPEM, der []byte) {
	t.Helper()
	certPEM, keyPEM, err := GenerateSelfSigned(hosts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(certPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		t.Fatalf("certificate PEM has no CERTIFICATE block")
	}
	return certPEM, keyPEM, b.Bytes
}

func TestGenerateSelfSigned(t *testing.T) {
	certPEM, keyPEM, der := mustCert(t, "vpn.example.com", "192.0.2.1", "[2001:db8::1]")
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.DNSNames, ","); got != "vpn.example.com" {
		t.Errorf("DNSNames = %q", got)
	}
	var ips []string
	for _, ip := range c.IPAddresses {
		ips = append(ips, ip.String())
	}
	if got := strings.Join(ips, ","); got != "192.0.2.1,2001:db8::1" {
		t.Errorf("IPAddresses = %q", got)
	}
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key is %T, want ECDSA P-256", c.PublicKey)
	}
	if life := time.Until(c.NotAfter); life < Validity-2*time.Hour {
		t.Errorf("certificate valid for %v, want about 10 years", life)
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Errorf("cert and key do not form a pair: %v", err)
	}
	if err := c.VerifyHostname("192.0.2.1"); err != nil {
		t.Error(err)
	}
}

func TestGenerateSelfSignedDefaultHosts(t *testing.T) {
	_, _, der := mustCert(t)
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := c.VerifyHostname(h); err != nil {
			t.Errorf("default certificate: %v", err)
		}
	}
}

func TestParsePin(t *testing.T) {
	want := bytes.Repeat([]byte{0xab, 0x01}, 16)
	hexLower := hex.EncodeToString(want)
	var colon []string
	for _, b := range want {
		colon = append(colon, strings.ToUpper(hex.EncodeToString([]byte{b})))
	}
	colonUpper := strings.Join(colon, ":")
	ok := []string{
		hexLower,
		strings.ToUpper(hexLower),
		colonUpper,
		strings.ToLower(colonUpper),
		"sha256 Fingerprint=" + colonUpper,
		"SHA256 Fingerprint=" + colonUpper,
		"sha256:" + hexLower,
		"  " + hexLower + "\n",
	}
	for _, s := range ok {
		got, err := ParsePin(s)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ParsePin(%q) = %x, %v; want %x", s, got, err, want)
		}
	}
	bad := map[string]string{
		"":                            "empty",
		"abcd":                        "2 bytes",
		hexLower + "00":               "33 bytes",
		"zz" + hexLower[2:]:           "hex",
		"sha1 Fingerprint=AB:CD":      "SHA-256",
		hexLower[:63]:                 "hex",
		"md5 Fingerprint=" + hexLower: "SHA-256",
	}
	for s, msg := range bad {
		_, err := ParsePin(s)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParsePin(%q) error = %v, want one mentioning %q", s, err, msg)
		}
	}
}

func TestPinFromCertFile(t *testing.T) {
	certPEM, _, der := mustCert(t, "localhost")
	dir := t.TempDir()
	pemPath := filepath.Join(dir, "cert.pem")
	derPath := filepath.Join(dir, "cert.der")
	keyOnly := filepath.Join(dir, "key.pem")
	os.WriteFile(pemPath, certPEM, 0o644)
	os.WriteFile(derPath, der, 0o644)
	os.WriteFile(keyOnly, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600)
	for _, p := range []string{pemPath, derPath} {
		pin, err := PinFromCertFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(pin) != Fingerprint(der) {
			t.Errorf("%s: pin %x != fingerprint %s", p, pin, Fingerprint(der))
		}
	}
	if _, err := PinFromCertFile(keyOnly); err == nil || !strings.Contains(err.Error(), "no CERTIFICATE") {
		t.Errorf("key file: err = %v", err)
	}
	if _, err := PinFromCertFile(filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("missing file: no error")
	}
}

// TestFingerprintMatchesOpenSSL checks our pin against the tool users are
// told to use, when it is installed.
func TestFingerprintMatchesOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	certPEM, _, der := mustCert(t, "localhost")
	path := filepath.Join(t.TempDir(), "cert.pem")
	os.WriteFile(path, certPEM, 0o644)
	out, err := exec.Command("openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	pin, err := ParsePin(string(out))
	if err != nil {
		t.Fatalf("ParsePin(%q): %v", out, err)
	}
	if hex.EncodeToString(pin) != Fingerprint(der) {
		t.Errorf("openssl says %s, Fingerprint says %s", out, Fingerprint(der))
	}
}

// handshake runs a real TLS handshake over loopback TCP between a server
// using certPEM/keyPEM and a client that trusts only pin.
func handshake(t *testing.T, certPEM, keyPEM, pin []byte) error {
	t.Helper()
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.(*tls.Conn).Handshake() // error expected when the client rejects us
		c.Close()
	}()
	defer func() { <-done }()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", ln.Addr().String(), &tls.Config{
		InsecureSkipVerify:    true, // the pin replaces chain verification
		VerifyPeerCertificate: VerifyPin(pin),
	})
	if err != nil {
		return err
	}
	return conn.Close()
}

func TestVerifyPinHandshake(t *testing.T) {
	certPEM, keyPEM, der := mustCert(t, "127.0.0.1")
	good, _ := ParsePin(Fingerprint(der))
	if err := handshake(t, certPEM, keyPEM, good); err != nil {
		t.Fatalf("matching pin rejected: %v", err)
	}
	_, _, otherDER := mustCert(t, "127.0.0.1")
	bad, _ := ParsePin(Fingerprint(otherDER))
	err := handshake(t, certPEM, keyPEM, bad)
	want := "tls: server certificate fingerprint sha256:" + Fingerprint(der) + " does not match TLS_PIN"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("wrong pin: err = %v, want %q", err, want)
	}
}

func TestVerifyPinNoCert(t *testing.T) {
	if err := VerifyPin(make([]byte, 32))(nil, nil); err == nil {
		t.Fatal("no certificate accepted")
	}
}

func FuzzParsePin(f *testing.F) {
	for _, s := range []string{
		"", "ab", strings.Repeat("ab", 32), strings.Repeat("AB:", 31) + "AB",
		"sha256 Fingerprint=" + strings.Repeat("AB:", 31) + "AB", "sha256:" + strings.Repeat("0", 64),
		"=", "sha256=", "sha256:", "::::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pin, err := ParsePin(s)
		if err == nil && len(pin) != 32 {
			t.Fatalf("ParsePin(%q) = %d bytes without error", s, len(pin))
		}
		if err == nil {
			again, err := ParsePin(hex.EncodeToString(pin))
			if err != nil || !bytes.Equal(again, pin) {
				t.Fatalf("round trip of %x failed: %v", pin, err)
			}
		}
	})
}
