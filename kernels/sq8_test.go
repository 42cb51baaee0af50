package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDotRowsU8 checks every tier's SQ8 row kernel against a float64
// reference, for lengths around each loop's width, padded row strides and
// misaligned starts, with guard bands around the weights and the output
// and bytes at the extremes (0 and 255). The tier's result must also not
// depend on where a row starts.
func TestDotRowsU8(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(31, 32))
		for _, tc := range []struct{ n, d, pad, off int }{
			{1, 0, 0, 0}, {1, 1, 0, 0}, {3, 7, 1, 1}, {2, 8, 0, 3}, {5, 9, 2, 0}, {4, 31, 0, 5},
			{4, 32, 0, 0}, {3, 33, 1, 2}, {7, 63, 3, 1}, {2, 64, 0, 7}, {9, 127, 0, 0}, {5, 384, 8, 1},
			{3, 385, 0, 3}, {300, 96, 0, 0}, {17, 768, 5, 6},
		} {
			ldc := tc.d + tc.pad
			gw, gout := newGuarded(tc.d, 1), newGuarded(tc.n, 2)
			w, out := gw.s(), gout.s()
			fillRandom(r, w)
			buf := make([]uint8, tc.off+tc.n*ldc+8)
			for i := range buf {
				switch r.IntN(8) {
				case 0:
					buf[i] = 0
				case 1:
					buf[i] = 255
				default:
					buf[i] = uint8(r.IntN(256))
				}
			}
			codes := buf[tc.off : tc.off+tc.n*ldc]
			DotRowsU8(w, codes, ldc, out)
			for j := range tc.n {
				var want, mag float64
				for p, x := range w {
					c := float64(codes[j*ldc+p])
					want += float64(x) * c
					mag += math.Abs(float64(x) * c)
				}
				if d := math.Abs(float64(out[j]) - want); !(d <= gemmTol(tc.d, mag)) {
					t.Fatalf("%+v: out[%d] = %v, want %v", tc, j, out[j], want)
				}
				// The same row elsewhere in memory: the same bits.
				moved := append([]uint8{7}, codes[j*ldc:j*ldc+tc.d]...)
				one := []float32{0}
				DotRowsU8(w, moved[1:], tc.d, one)
				if math.Float32bits(one[0]) != math.Float32bits(out[j]) {
					t.Fatalf("%+v: row %d scores %v alone, %v in the matrix", tc, j, one[0], out[j])
				}
			}
			gw.check(t, "DotRowsU8 w")
			gout.check(t, "DotRowsU8 out")
		}
		// A row too short panics before touching memory.
		defer func() {
			if recover() == nil {
				t.Error("DotRowsU8 with too few bytes did not panic")
			}
		}()
		DotRowsU8(make([]float32, 8), make([]uint8, 15), 8, make([]float32, 2))
	})
}

// FuzzDotRowsU8 checks the selected tier against the generic one within
// float32 rounding.
func FuzzDotRowsU8(f *testing.F) {
	f.Add([]byte{1, 2, 3, 255, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 200, 100, 50}, uint8(5), int64(1))
	f.Fuzz(func(t *testing.T, codes []byte, d uint8, seed int64) {
		if d == 0 || len(codes) < int(d) {
			return
		}
		n := len(codes) / int(d)
		r := rand.New(rand.NewPCG(uint64(seed), 3))
		w := make([]float32, d)
		fillRandom(r, w)
		got, want := make([]float32, n), make([]float32, n)
		DotRowsU8(w, codes, int(d), got)
		dotRowsU8Generic(w, codes, int(d), want)
		for j := range got {
			var mag float64
			for p, x := range w {
				mag += math.Abs(float64(x) * float64(codes[j*int(d)+p]))
			}
			if diff := math.Abs(float64(got[j]) - float64(want[j])); !(diff <= 2*gemmTol(int(d), mag)) {
				t.Fatalf("row %d: %v, generic %v", j, got[j], want[j])
			}
		}
	})
}
