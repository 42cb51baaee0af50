package kernels

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
)

// forEachInt8Tier runs f once per integer-product tier as a subtest named
// after it, with that tier selected; a tier this CPU cannot run is skipped
// with the reason ("tier X not run: ...", as forEachTier says it).
func forEachInt8Tier(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	forEachIn(t, Int8Tiers(), UseInt8, Int8Supported, f)
}

// int8Case is one shape and one way of filling the operands.
type int8Case struct {
	m, n, k  int
	lda, ldc int // 0: the row length
	fill     string
}

func int8Cases() []int8Case {
	var cs []int8Case
	// Shapes around every tier's register block (4, 6, 12 rows; 16, 32
	// columns), depths around the group of 4, and one depth past 65536/255
	// where int16 or naive int32 tricks would break.
	for _, m := range []int{1, 3, 4, 5, 6, 7, 12, 13, 25} {
		for _, n := range []int{1, 15, 16, 17, 32, 33, 130} {
			for _, k := range []int{1, 3, 4, 5, 64, 67} {
				cs = append(cs, int8Case{m: m, n: n, k: k, fill: "random"})
			}
		}
	}
	cs = append(cs,
		int8Case{m: 13, n: 33, k: 384, lda: 390, ldc: 40, fill: "random"},
		int8Case{m: 12, n: 32, k: 1536, fill: "random"},
		// Whole and partial 32×32 tiles of the amxint8 tier, several row
		// blocks, depths of whole 64-byte steps.
		int8Case{m: 70, n: 130, k: 384, fill: "random"},
		int8Case{m: 32, n: 32, k: 128, lda: 130, ldc: 40, fill: "random"},
		int8Case{m: 64, n: 64, k: 3072, fill: "max-"},
		// The extremes: every pair at the int16 bound of VPMADDUBSW's sum
		// (255·64 + 255·64 = 32640), positive and negative.
		int8Case{m: 12, n: 64, k: 3072, fill: "max+"},
		int8Case{m: 12, n: 64, k: 3072, fill: "max-"},
		int8Case{m: 7, n: 40, k: 1001, fill: "alternating"},
		int8Case{m: 5, n: 17, k: 65536, fill: "max+"},
	)
	return cs
}

// makeInt8Operands fills a (m×k, stride lda) and v (n×k) for a case.
func makeInt8Operands(r *rand.Rand, c int8Case, lda int) ([]uint8, []int8) {
	a := make([]uint8, (c.m-1)*lda+c.k)
	v := make([]int8, c.n*c.k)
	for i := range a {
		switch c.fill {
		case "max+", "max-":
			a[i] = 255
		case "alternating":
			a[i] = uint8(255 * (i % 2))
		default:
			a[i] = uint8(r.IntN(256))
		}
	}
	for i := range v {
		switch c.fill {
		case "max+":
			v[i] = WeightQMax
		case "max-":
			v[i] = -WeightQMax
		case "alternating":
			v[i] = int8(WeightQMax * (1 - 2*(i/3%2)))
		default:
			v[i] = int8(r.IntN(2*WeightQMax+1) - WeightQMax)
		}
	}
	return a, v
}

// TestGemmU8S8Exact checks every tier's integer sums against a plain int64
// loop, bit for bit, with guard bands around C's rows.
func TestGemmU8S8Exact(t *testing.T) {
	forEachInt8Tier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(20, 1))
		for _, c := range int8Cases() {
			if testing.Short() && c.k > 4096 {
				continue
			}
			lda, ldc := max(c.lda, c.k), max(c.ldc, c.n)
			a, v := makeInt8Operands(r, c, lda)
			scale := make([]float32, c.n)
			for j := range scale {
				scale[j] = 1
			}
			w, err := NewInt8Weights(v, scale, c.n, c.k, nil)
			if err != nil {
				t.Fatal(err)
			}
			const guard = -123456789
			out := make([]int32, c.m*ldc+8)
			for i := range out {
				out[i] = guard
			}
			GemmU8S8(c.m, a, lda, w, out, ldc)
			for i := range c.m {
				for j := range ldc {
					got := out[i*ldc+j]
					if j >= c.n {
						if got != guard {
							t.Fatalf("%+v: C[%d][%d] past the row was written: %d", c, i, j, got)
						}
						continue
					}
					var want int64
					for p := range c.k {
						want += int64(a[i*lda+p]) * int64(v[j*c.k+p])
					}
					if int64(got) != want {
						t.Fatalf("%+v: C[%d][%d] = %d, want %d", c, i, j, got, want)
					}
				}
			}
			for i := c.m * ldc; i < len(out); i++ {
				if out[i] != guard {
					t.Fatalf("%+v: element %d after C written", c, i)
				}
			}
		}
	})
}

// TestInt8LinearAgrees checks that Int8Linear gives the same float32 values
// bit for bit on every tier and thread count, equal to the scalar
// definition (QuantizeRow, the integer sum, the epilogue in Go).
func TestInt8LinearAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 1))
	shapes := []struct{ m, n, k int }{{1, 384, 384}, {13, 130, 67}, {29, 96, 1536}, {64, 1536, 384}, {3, 1, 1}}
	for _, s := range shapes {
		x := make([]float32, s.m*s.k)
		fillRandom(r, x)
		for i := range x {
			if i%97 == 0 {
				x[i] *= 20 // outliers, as transformer activations have
			}
		}
		wf := make([]float32, s.n*s.k)
		fillRandom(r, wf)
		bias := make([]float32, s.n)
		fillRandom(r, bias)
		w, err := QuantizeWeights(wf, s.n, s.k, bias)
		if err != nil {
			t.Fatal(err)
		}
		want := int8LinearRef(s.m, x, w)
		forEachInt8Tier(t, func(t *testing.T) {
			for _, nt := range []int{1, 2, 3} {
				prev := SetThreads(nt)
				y := make([]float32, s.m*s.n)
				Int8Linear(s.m, x, s.k, w, y, s.n)
				SetThreads(prev)
				for i := range y {
					if math.Float32bits(y[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%dx%dx%d, %d threads: y[%d] = %v, want %v (bit for bit)", s.m, s.n, s.k, nt, i, y[i], want[i])
					}
				}
			}
		})
	}
}

// int8LinearRef is Int8Linear written as its definition, one element at a
// time.
func int8LinearRef(m int, x []float32, w *Int8Weights) []float32 {
	v, sw := w.Values()
	bias := w.Bias()
	if bias == nil {
		bias = make([]float32, w.n)
	}
	y := make([]float32, m*w.n)
	q := make([]uint8, w.k)
	for i := range m {
		sa, za := quantizeRowGo(q, x[i*w.k:(i+1)*w.k])
		for j := range w.n {
			var acc, col int32
			for p := range w.k {
				acc += int32(q[p]) * int32(v[j*w.k+p])
				col += int32(v[j*w.k+p])
			}
			y[i*w.n+j] = dequant(acc, za, sa, col, sw[j], bias[j])
		}
	}
	return y
}

// quantizeRowGo is QuantizeRow on the generic tier's Go loops.
func quantizeRowGo(q []uint8, x []float32) (float32, int32) {
	scale, inv, zero := rowGrid(int8Reg.lookup("generic"), x)
	quantGo(q, 4, x, inv, zero)
	return scale, zero
}

// TestQuantKernels checks every tier's row quantizer against the Go loops,
// byte for byte, for contiguous and packed-panel strides, with guard bytes
// between the groups of 4 untouched.
func TestQuantKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(24, 1))
	forEachInt8Tier(t, func(t *testing.T) {
		tr := int8Reg.load()
		for n := 1; n <= 70; n++ {
			for _, stride := range []int{4, 16, 48} {
				x := make([]float32, n)
				fillRandom(r, x)
				if n%5 == 0 {
					x[n/2] = 0
				}
				if n%7 == 0 {
					for i := range x {
						x[i] = float32(math.Abs(float64(x[i]))) // all positive
					}
				}
				if n%11 == 0 {
					x[0] = 1e4 // one outlier
				}
				lo, hi := tr.minMax(x)
				glo, ghi := minMaxGo(x)
				if lo != glo || hi != ghi {
					t.Fatalf("n=%d: minMax %v %v, Go %v %v", n, lo, hi, glo, ghi)
				}
				_, inv, zero := rowGrid(tr, x)
				size := ((n+3)/4)*stride + 8
				got := make([]uint8, size)
				want := make([]uint8, size)
				for i := range got {
					got[i], want[i] = 0xA5, 0xA5
				}
				tr.quant(got, stride, x, inv, zero)
				quantGo(want, stride, x, inv, zero)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("n=%d stride=%d: byte %d is %#x, Go wrote %#x", n, stride, i, got[i], want[i])
					}
				}
			}
		}
	})
}

// TestInt8LinearError checks Int8Linear against the float64 product of the
// unquantized operands with the bound that quantization gives: each input
// is off by at most half its grid step (sa/2 for x, sw/2 for w), so
//
//	|y − ŷ| ≤ Σ_p (|x_p|·sw/2 + |w_p|·sa/2 + sa·sw/4) + float32 rounding.
//
// It also checks the error is not far below the bound's scale, so a kernel
// that ignored quantization (or the test's reference) would be noticed.
func TestInt8LinearError(t *testing.T) {
	r := rand.New(rand.NewPCG(22, 1))
	const m, n, k = 17, 70, 300
	x := make([]float32, m*k)
	fillRandom(r, x)
	wf := make([]float32, n*k)
	fillRandom(r, wf)
	w, err := QuantizeWeights(wf, n, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, sw := w.Values()
	y := make([]float32, m*n)
	Int8Linear(m, x, k, w, y, n)
	q := make([]uint8, k)
	var sumErr, sumBound float64
	for i := range m {
		sa, _ := QuantizeRow(q, x[i*k:(i+1)*k])
		for j := range n {
			var ref, bound float64
			for p := range k {
				xv, wv := float64(x[i*k+p]), float64(wf[j*k+p])
				ref += xv * wv
				bound += math.Abs(xv)*float64(sw[j])/2 + math.Abs(wv)*float64(sa)/2 + float64(sa)*float64(sw[j])/4
			}
			bound += 1e-5 * (math.Abs(ref) + bound)
			e := math.Abs(float64(y[i*n+j]) - ref)
			if e > bound {
				t.Fatalf("y[%d][%d] = %v, float64 reference %v: error %.3g above the quantization bound %.3g", i, j, y[i*n+j], ref, e, bound)
			}
			sumErr += e
			sumBound += bound
		}
	}
	// Rounding errors add up like a random walk, far below the worst case,
	// but not to nothing.
	if ratio := sumErr / sumBound; ratio < 1e-4 || ratio > 0.2 {
		t.Errorf("mean error is %.3g of the bound; expected a random-walk fraction (1e-4..0.2)", ratio)
	}
}

// TestInt8Domain checks that weights outside the scheme are refused with a
// message naming the value, before any packing.
func TestInt8Domain(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name string
		f    func() error
		want string
	}{
		{"value 65", func() error {
			_, err := NewInt8Weights([]int8{0, 65}, []float32{1}, 1, 2, nil)
			return err
		}, "row 0, column 1 is 65"},
		{"value -65", func() error {
			_, err := NewInt8Weights([]int8{-65, 0}, []float32{1}, 1, 2, nil)
			return err
		}, "outside [-64, 64]"},
		{"zero scale", func() error {
			_, err := NewInt8Weights([]int8{1}, []float32{0}, 1, 1, nil)
			return err
		}, "scale 0 is 0"},
		{"NaN bias", func() error {
			_, err := NewInt8Weights([]int8{1}, []float32{1}, 1, 1, []float32{nan})
			return err
		}, "bias 0 is NaN"},
		{"short values", func() error {
			_, err := NewInt8Weights([]int8{1}, []float32{1, 1}, 2, 1, nil)
			return err
		}, "1 values for a 2×1 matrix"},
		{"depth too large", func() error {
			_, err := NewInt8Weights(make([]int8, maxInt8Depth+1), []float32{1}, 1, maxInt8Depth+1, nil)
			return err
		}, "depth 65537"},
		{"NaN weight", func() error {
			_, err := QuantizeWeights([]float32{1, nan}, 1, 2, nil)
			return err
		}, "row 0, column 1 is NaN"},
		{"empty", func() error {
			_, err := QuantizeWeights(nil, 0, 3, nil)
			return err
		}, "both sides must be positive"},
	}
	for _, c := range cases {
		err := c.f()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// TestQuantizeRow checks the activation grid: values within half a step,
// zero exact, the extremes at 0 and 255.
func TestQuantizeRow(t *testing.T) {
	cases := [][]float32{
		{-1, 0, 1, 0.5},
		{3, 4, 5},       // all positive: the grid starts at 0
		{-7, -2, -0.25}, // all negative: the grid ends at 0
		{0, 0, 0},
		{1e-30, -1e-30},
		{65504, -3, 0.1},
		{1e-38, 0, 3e-39}, // subnormal: 255/(hi − lo) would overflow
	}
	for _, x := range cases {
		q := make([]uint8, len(x))
		s, z := QuantizeRow(q, x)
		if !(s > 0) || z < 0 || z > 255 {
			t.Fatalf("%v: scale %v zero %d", x, s, z)
		}
		lo, hi := 0, 0
		for p, v := range x {
			back := float64(s) * float64(int32(q[p])-z)
			if d := math.Abs(back - float64(v)); d > 0.5001*float64(s) {
				t.Errorf("%v: x[%d]=%v comes back as %v (step %v)", x, p, v, back, s)
			}
			if v == 0 && int32(q[p]) != z {
				t.Errorf("%v: zero quantized to %d, zero point %d", x, q[p], z)
			}
			lo, hi = min(lo, int(q[p])-int(z)), max(hi, int(q[p])-int(z))
		}
		if s != 1 && hi-lo != 255 {
			t.Errorf("%v: codes span %d steps, want the whole 255", x, hi-lo)
		}
	}
}

// TestInt8SaturationBound shows why weights stop at ±64: with a weight of
// 65 and activations of 255, VPMADDUBSW's int16 pair sum (33150) saturates,
// so the avx2 micro-kernel's sums differ from the exact ones. The public
// constructors refuse such weights (TestInt8Domain); this calls the
// micro-kernels directly.
func TestInt8SaturationBound(t *testing.T) {
	if ok, reason := Int8Supported("avx2"); !ok {
		t.Skipf("tier avx2 not run: %s", reason)
	}
	for _, wv := range []int8{64, 65} {
		const kg = 1
		a := make([]uint8, 4*4*kg)
		for i := range a {
			a[i] = 255
		}
		b := make([]int8, 64*kg)
		for i := range b {
			b[i] = wv
		}
		got := make([]int32, 4*16)
		want := make([]int32, 4*16)
		// Every tile is handed its weights' column sums (int8Task does).
		colSum := make([]int32, 16)
		for i := range colSum {
			colSum[i] = 4 * int32(wv)
		}
		int8Reg.lookup("avx2").micro(kg, a, b, 0, &int8Epilogue{ci: got, ldc: 16, colSum: colSum})
		int8MicroGeneric(kg, a, b, 0, &int8Epilogue{ci: want, ldc: 16, colSum: colSum})
		exact := int32(4 * 255 * int32(wv))
		if want[0] != exact {
			t.Fatalf("generic sum %d, want %d", want[0], exact)
		}
		if saturates := 2*255*int(wv) > math.MaxInt16; (got[0] != exact) != saturates {
			t.Errorf("weight %d: avx2 sum %d, exact %d; pair sum %d saturates: %v", wv, got[0], exact, 2*255*int(wv), saturates)
		}
	}
}

// TestInt8TierChoice checks the integer tier chosen at start-up: the best
// supported one, or generic under RRRA_KERNELS=generic (CI's emulated-CPU
// leg sets RRRA_EXPECT_INT8_TIER).
func TestInt8TierChoice(t *testing.T) {
	checkTierChoice(t, "RRRA_EXPECT_INT8_TIER", SelectedInt8(), Int8Tiers(), Int8Supported, EnvInt8Tier)
}

// checkTierChoice checks a registry's start-up choice: the tier named by
// the expectEnv variable when it is set, and the best supported tier
// unless an environment variable (forced, or RRRA_KERNELS) chose one.
func checkTierChoice(t *testing.T, expectEnv, selected string, names []string, supported func(string) (bool, string), forced string) {
	t.Helper()
	if exp := os.Getenv(expectEnv); exp != "" && selected != exp {
		t.Errorf("%s=%s but %s was selected", expectEnv, exp, selected)
	}
	if os.Getenv(forced) != "" || os.Getenv(EnvTier) != "" {
		t.Skipf("tier forced by the environment; chose %s", selected)
	}
	for _, name := range names {
		if ok, _ := supported(name); ok {
			if selected != name {
				t.Errorf("selected %s, but %s is the best supported", selected, name)
			}
			return
		}
	}
	t.Error("no tier supported")
}

// TestInt8StepFallback checks that a tier packing in steps (amxint8) runs
// the weights whose padded depth is a multiple of its step itself and
// hands the others to a supported tier packing in groups of 4.
func TestInt8StepFallback(t *testing.T) {
	ran := false
	for _, name := range Int8Tiers() {
		tr := int8Reg.lookup(name)
		if tr.step == 0 || !tr.supported {
			continue
		}
		ran = true
		for _, k := range []int{tr.step, 3 * tr.step, tr.step + 4, 7} {
			w, err := QuantizeWeights(make([]float32, 32*k), 32, k, nil)
			if err != nil {
				t.Fatal(err)
			}
			run := newInt8Run(tr, 1, w)
			got := run.t
			run.release()
			if whole := w.kp%tr.step == 0; whole && got != tr || !whole && (got == nil || got.step != 0 || !got.supported) {
				t.Errorf("%s, k = %d: the product ran on %v", name, k, got)
			}
		}
	}
	if !ran {
		t.Skip("no tier packing in steps is supported on this CPU")
	}
}

func BenchmarkInt8Linear(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{1024, 1024, 1024}, {512, 1536, 384}, {512, 384, 1536}} {
		r := rand.New(rand.NewPCG(23, 1))
		x := make([]float32, s.m*s.k)
		fillRandom(r, x)
		wf := make([]float32, s.n*s.k)
		fillRandom(r, wf)
		w, err := QuantizeWeights(wf, s.n, s.k, nil)
		if err != nil {
			b.Fatal(err)
		}
		y := make([]float32, s.m*s.n)
		for _, name := range Int8Tiers() {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", name, s.m, s.n, s.k), func(b *testing.B) {
				restore, ok := UseInt8(name)
				if !ok {
					b.Skip("not supported")
				}
				defer restore()
				for b.Loop() {
					Int8Linear(s.m, x, s.k, w, y, s.n)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
			})
		}
	}
}

// int8GoldenSHA256 is the SHA-256 of TestInt8Golden's outputs as the
// avx512vnni tier computed them on an Intel Xeon with AVX512-VNNI
// (2026-12-02). Every other tier and machine must give the same bytes: CI
// runs this test on the generic tier under qemu (x86-64 without AVX2, and
// arm64), so a model quantized on one machine multiplies identically on
// any other. If the scheme changes on purpose, recompute it on any tier
// (the test prints the hash it got).
const int8GoldenSHA256 = "1c6eb87d8eeaca6df9413e785ed068b426bf629d05ba5721f9c34c84531690e0"

// TestInt8Golden computes Int8Linear and GemmU8S8 on seeded inputs (whose
// generation is pure Go, the same on every GOARCH) and compares a hash of
// the results with the one recorded on another machine and tier.
func TestInt8Golden(t *testing.T) {
	r := rand.New(rand.NewPCG(40, 2))
	const m, n, k = 37, 70, 300
	x := make([]float32, m*k)
	for i := range x {
		x[i] = float32(r.NormFloat64())
		if i%53 == 0 {
			x[i] *= 30
		}
	}
	wf := make([]float32, n*k)
	for i := range wf {
		wf[i] = float32(r.NormFloat64()) * 0.05
	}
	bias := make([]float32, n)
	for i := range bias {
		bias[i] = float32(r.NormFloat64())
	}
	w, err := QuantizeWeights(wf, n, k, bias)
	if err != nil {
		t.Fatal(err)
	}
	a := make([]uint8, m*k)
	for i := range a {
		a[i] = uint8(r.IntN(256))
	}
	y := make([]float32, m*n)
	c := make([]int32, m*n)
	h := sha256.New()
	forEachInt8Tier(t, func(t *testing.T) {
		Int8Linear(m, x, k, w, y, n)
		GemmU8S8(m, a, k, w, c, n)
		h.Reset()
		v, s := w.Values()
		binary.Write(h, binary.LittleEndian, v)
		binary.Write(h, binary.LittleEndian, s)
		binary.Write(h, binary.LittleEndian, y)
		binary.Write(h, binary.LittleEndian, c)
		if got := hex.EncodeToString(h.Sum(nil)); got != int8GoldenSHA256 {
			t.Errorf("quantized weights and products hash to %s on tier %s (%s/%s), want %s as recorded on avx512vnni",
				got, SelectedInt8(), runtime.GOOS, runtime.GOARCH, int8GoldenSHA256)
		}
	})
}

// BenchmarkGemmU8S8 times the integer product alone (no quantization of the
// activations, no dequantization): what the int8 tiers' micro-kernels reach.
func BenchmarkGemmU8S8(b *testing.B) {
	const m, n, k = 1024, 1024, 1024
	r := rand.New(rand.NewPCG(41, 1))
	a := make([]uint8, m*k)
	for i := range a {
		a[i] = uint8(r.IntN(256))
	}
	v := make([]int8, n*k)
	for i := range v {
		v[i] = int8(r.IntN(2*WeightQMax+1) - WeightQMax)
	}
	scale := make([]float32, n)
	for i := range scale {
		scale[i] = 1
	}
	w, err := NewInt8Weights(v, scale, n, k, nil)
	if err != nil {
		b.Fatal(err)
	}
	c := make([]int32, m*n)
	for _, name := range Int8Tiers() {
		b.Run(fmt.Sprintf("%s/%dx%dx%d", name, m, n, k), func(b *testing.B) {
			restore, ok := UseInt8(name)
			if !ok {
				b.Skip("not supported")
			}
			defer restore()
			for b.Loop() {
				GemmU8S8(m, a, k, w, c, n)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
		})
	}
}
