package tunnel

import (
	"crypto/aes"
	"crypto/cipher"
	"testing"
)

// BenchmarkRecordCrypto measures the part of wss's cost that no code of ours
// can remove: sealing and opening full 16 KiB TLS 1.3 records with
// AES-128-GCM, the suite crypto/tls picks on a CPU with AES instructions.
// Every byte of a wss download is sealed once (server) and opened once
// (client), so CPU s/GiB for the crypto alone is 2^30/seal + 2^30/open.
// docs/benchmarks.md ("What is left") uses it as the floor under wss CPU.
func BenchmarkRecordCrypto(b *testing.B) {
	block, err := aes.NewCipher(make([]byte, 16))
	if err != nil {
		b.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		b.Fatal(err)
	}
	const record = 16 << 10
	nonce := make([]byte, aead.NonceSize())
	ad := []byte{23, 3, 3, 0x40, 0x11} // a TLS 1.3 record header
	plain := make([]byte, record+1)    // payload + inner content type
	sealed := aead.Seal(nil, nonce, plain, ad)
	buf := make([]byte, 0, len(sealed))
	b.Run("seal", func(b *testing.B) {
		b.SetBytes(record)
		for b.Loop() {
			buf = aead.Seal(buf[:0], nonce, plain, ad)
		}
	})
	b.Run("open", func(b *testing.B) {
		b.SetBytes(record)
		for b.Loop() {
			if _, err := aead.Open(buf[:0], nonce, sealed, ad); err != nil {
				b.Fatal(err)
			}
		}
	})
}
