package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// FuzzSgemm compares the selected tier with the generic tier on shapes and
// data drawn from the fuzzer's input, within the K-scaled error bound.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(5), uint8(17), uint8(33), uint8(0), uint8(1), uint8(2), uint64(1))
	f.Add(uint8(1), uint8(1), uint8(1), uint8(3), uint8(0), uint8(0), uint64(2))
	f.Add(uint8(64), uint8(48), uint8(255), uint8(1), uint8(7), uint8(5), uint64(3))
	f.Fuzz(func(t *testing.T, m8, n8, k8, flags, padA, padB uint8, seed uint64) {
		m, n, k := int(m8%80), int(n8%80), int(k8)
		transA, transB := flags&1 != 0, flags&2 != 0
		ab := alphaBeta[int(flags>>2)%len(alphaBeta)]
		r := rand.New(rand.NewPCG(seed, 99))
		ar, ac := m, k
		if transA {
			ar, ac = k, m
		}
		br, bc := k, n
		if transB {
			br, bc = n, k
		}
		lda, ldb, ldc := max(1, ac+int(padA%5)), max(1, bc+int(padB%5)), max(1, n)
		a, b := make([]float32, ar*lda), make([]float32, br*ldb)
		fillRandom(r, a)
		fillRandom(r, b)
		c := make([]float32, m*ldc)
		fillRandom(r, c)
		want := append([]float32(nil), c...)
		Sgemm(transA, transB, m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
		restore, _ := Use("generic")
		Sgemm(transA, transB, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
		restore()
		_, mag := refGemm(transA, transB, m, n, k, ab[0], a, lda, b, ldb, ab[1], append([]float32(nil), c...), ldc)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				d := math.Abs(float64(c[i*ldc+j]) - float64(want[i*ldc+j]))
				// Both sides carry the bound's error.
				if !(d <= 2*gemmTol(k, mag[i*n+j])) {
					t.Fatalf("%s vs generic: C[%d,%d] = %v vs %v", Selected(), i, j, c[i*ldc+j], want[i*ldc+j])
				}
			}
		}
	})
}

// FuzzDot compares the selected tier's Dot with the generic tier's.
func FuzzDot(f *testing.F) {
	f.Add(uint16(0), uint8(0), uint64(1))
	f.Add(uint16(33), uint8(3), uint64(2))
	f.Add(uint16(4099), uint8(1), uint64(3))
	f.Fuzz(func(t *testing.T, n16 uint16, off uint8, seed uint64) {
		n, o := int(n16%5000), int(off%4)
		r := rand.New(rand.NewPCG(seed, 7))
		x, y := make([]float32, n+o), make([]float32, n+o)
		fillRandom(r, x)
		fillRandom(r, y)
		got := Dot(x[o:], y[o:])
		restore, _ := Use("generic")
		want := Dot(x[o:], y[o:])
		restore()
		_, mag := refDot(x[o:], y[o:])
		if d := math.Abs(float64(got) - float64(want)); !(d <= 2*gemmTol(n, mag)) {
			t.Fatalf("%s vs generic: n=%d Dot = %v vs %v", Selected(), n, got, want)
		}
	})
}
