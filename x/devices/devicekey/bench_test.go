package devicekey

import "testing"

// Reference figures for block-time budgeting; run with
// go test -run '^$' -bench . -benchmem ./x/devices/devicekey/
func BenchmarkVerify(b *testing.B) {
	msg := make([]byte, 256) // a typical reading envelope
	for _, algo := range Algos {
		k := mustKey(b, algo, 1)
		sig := mustSign(b, k, msg)
		pub := mustParse(b, algo, k.PublicKey())
		b.Run(string(algo), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := pub.Verify(msg, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
		if algo != Ed25519 {
			var r, s [32]byte
			copy(r[:], sig[:32])
			copy(s[:], sig[32:])
			der := appendDERSignature(nil, &r, &s)
			b.Run(string(algo)+"-der", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := pub.Verify(msg, der); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkParsePublicKey(b *testing.B) {
	for _, algo := range Algos {
		pub := mustKey(b, algo, 1).PublicKey()
		b.Run(string(algo), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParsePublicKey(algo, pub); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
