package bm25

import (
	"math"
	"math/bits"
	"testing"
)

// floor4 is the lossy length written differently: 24 plus the excess over
// 24 with all but its four most significant bits cleared.
func floor4(n int) int {
	if n < 24 {
		return n
	}
	m := uint64(n - 24)
	if drop := bits.Len64(m) - 4; drop > 0 {
		m = m >> drop << drop
	}
	return 24 + int(m)
}

func TestNormEncoding(t *testing.T) {
	if got := 255 - int4(math.MaxInt32); got != numFreeValues {
		t.Fatalf("255 - int4(MaxInt32) = %d, numFreeValues = %d", got, numFreeValues)
	}
	// Hand-worked encodings: below 24 + 16 lengths are exact; 40 = 24 + 0b10000 → shift 1, mantissa 000;
	// 100 = 24 + 0b1001100 → shift 3, mantissa 001 → 24 + 0b1001000 = 96.
	for _, tc := range []struct {
		n    int
		norm uint8
		dl   int
	}{
		{0, 0, 0}, {1, 1, 1}, {23, 23, 23}, {24, 24, 24}, {31, 31, 31},
		{32, 32, 32}, {39, 39, 39}, {40, 40, 40}, {41, 40, 40}, {42, 41, 42},
		{100, 57, 96}, {1000, 24 + 7<<3 | 7, 984}, {math.MaxInt32, 255, 24 + 0xF<<27},
	} {
		if got := lengthToNorm(tc.n); got != tc.norm {
			t.Errorf("lengthToNorm(%d) = %d, want %d", tc.n, got, tc.norm)
		}
		if got := normToLength(lengthToNorm(tc.n)); got != tc.dl {
			t.Errorf("decoded length of %d = %d, want %d", tc.n, got, tc.dl)
		}
	}
	prev := uint8(0)
	for n := 0; n < 1<<20; n++ {
		b := lengthToNorm(n)
		if b < prev {
			t.Fatalf("lengthToNorm(%d) = %d < lengthToNorm(%d) = %d", n, b, n-1, prev)
		}
		prev = b
		if got, want := normToLength(b), floor4(n); got != want {
			t.Fatalf("decoded length of %d = %d, want %d", n, got, want)
		}
	}
}
