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

// FuzzInt8 compares the selected integer tier with the generic one: the
// raw sums of GemmU8S8 and the dequantized Int8Linear must agree bit for
// bit (every tier's contract).
func FuzzInt8(f *testing.F) {
	f.Add(uint8(1), uint8(1), uint16(1), uint64(1))
	f.Add(uint8(7), uint8(33), uint16(77), uint64(2))
	f.Add(uint8(13), uint8(64), uint16(300), uint64(3))
	f.Fuzz(func(t *testing.T, m8, n8 uint8, k16 uint16, seed uint64) {
		m, n, k := int(m8%40)+1, int(n8%70)+1, int(k16%400)+1
		r := rand.New(rand.NewPCG(seed, 11))
		wf := make([]float32, n*k)
		fillRandom(r, wf)
		bias := make([]float32, n)
		fillRandom(r, bias)
		w, err := QuantizeWeights(wf, n, k, bias)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, m*k)
		fillRandom(r, x)
		a := make([]uint8, m*k)
		for i := range a {
			a[i] = uint8(r.IntN(256))
		}
		gotY, gotC := make([]float32, m*n), make([]int32, m*n)
		Int8Linear(m, x, k, w, gotY, n)
		GemmU8S8(m, a, k, w, gotC, n)
		restore, _ := UseInt8("generic")
		wantY, wantC := make([]float32, m*n), make([]int32, m*n)
		Int8Linear(m, x, k, w, wantY, n)
		GemmU8S8(m, a, k, w, wantC, n)
		restore()
		for i := range gotY {
			if math.Float32bits(gotY[i]) != math.Float32bits(wantY[i]) || gotC[i] != wantC[i] {
				t.Fatalf("%s vs generic, %d×%d×%d at %d: Int8Linear %v vs %v, GemmU8S8 %d vs %d",
					SelectedInt8(), m, n, k, i, gotY[i], wantY[i], gotC[i], wantC[i])
			}
		}
	})
}

// FuzzRowKernels compares the selected tier's row kernels (GELU and its
// backward pass, softmax, LayerNorm and its backward pass) with the
// generic tier's on rows of any length, offset and scale, within twice
// the bounds their tests hold each tier to against float64, widened by a
// float32 sum's n·2⁻²⁴ for long rows where a kernel sums a row.
func FuzzRowKernels(f *testing.F) {
	f.Add(uint16(0), uint8(0), uint8(1), uint64(1))
	f.Add(uint16(7), uint8(1), uint8(2), uint64(2))
	f.Add(uint16(384), uint8(3), uint8(0), uint64(3))
	f.Fuzz(func(t *testing.T, n16 uint16, off, scale8 uint8, seed uint64) {
		n, o := int(n16%700), int(off%4)
		scale := []float64{1e-3, 1, 4, 30}[scale8%4]
		r := rand.New(rand.NewPCG(seed, 13))
		buf := make([]float32, n+o)
		for i := range buf {
			buf[i] = float32(r.NormFloat64() * scale)
		}
		x := buf[o:]
		dy, gamma, beta := make([]float32, n), make([]float32, n), make([]float32, n)
		fillRandom(r, dy)
		fillRandom(r, gamma)
		fillRandom(r, beta)
		type out struct {
			gelu, dgelu, soft, ln, dln []float32
			mean, rstd                 float32
		}
		run := func() out {
			o := out{gelu: make([]float32, n), dgelu: make([]float32, n), soft: make([]float32, n), ln: make([]float32, n), dln: make([]float32, n)}
			GELU(o.gelu, x)
			copy(o.dgelu, dy)
			GELUBackward(o.dgelu, dy, x, true)
			SoftmaxRow(o.soft, x, nil)
			if n > 0 {
				o.mean, o.rstd = LayerNormRow(o.ln, x, gamma, beta, 1e-12)
				LayerNormRowBackward(o.dln, dy, x, gamma, o.mean, o.rstd, false)
			}
			return o
		}
		got := run()
		restore, _ := Use("generic")
		want := run()
		restore()
		near := func(what string, i int, g, w float32, tol float64) {
			if d := math.Abs(float64(g) - float64(w)); !(d <= tol) {
				t.Fatalf("%s vs generic, n=%d scale=%v: %s[%d] = %v vs %v (tolerance %.3g)", Selected(), n, scale, what, i, g, w, tol)
			}
		}
		// LayerNorm's error scales with its terms, not its result: the
		// backward pass cancels rstd·(g − mean(g) − x̂·mean(g·x̂)), terms as
		// large as rstd·|g|, and both passes add n float32 terms (the
		// assembly tiers sum in float32, generic in float64).
		var mg, mgx float64
		xh := make([]float64, n)
		for i, v := range x {
			xh[i] = (float64(v) - float64(want.mean)) * float64(want.rstd)
			g := float64(dy[i]) * float64(gamma[i])
			mg += g / float64(n)
			mgx += g * xh[i] / float64(n)
		}
		sumErr := 1e-6 + float64(n)*0x1p-24
		for i, v := range x {
			ax := math.Abs(float64(v))
			g := math.Abs(float64(dy[i]) * float64(gamma[i]))
			near("GELU", i, got.gelu[i], want.gelu[i], 2*(2e-7*ax+3e-7*math.Abs(float64(want.gelu[i])))+1e-37)
			near("GELUBackward", i, got.dgelu[i], want.dgelu[i], 2*(6e-7*(1+ax)*math.Abs(float64(dy[i]))+3e-7*math.Abs(float64(dy[i]))))
			// The normalising sum of n float32 terms, added in another
			// order, carries up to n·2⁻²⁴ of relative error.
			near("SoftmaxRow", i, got.soft[i], want.soft[i], 2*(sumErr*float64(want.soft[i])+1e-9))
			near("LayerNormRow", i, got.ln[i], want.ln[i], 4e-5*(1+math.Abs(float64(want.ln[i])))+
				2*sumErr*math.Abs(float64(gamma[i]))*(1+math.Abs(xh[i])))
			near("LayerNormRowBackward", i, got.dln[i], want.dln[i], 4e-5*(1+math.Abs(float64(want.dln[i])))+
				2*sumErr*float64(want.rstd)*(g+math.Abs(mg)+math.Abs(xh[i]*mgx)))
		}
	})
}
