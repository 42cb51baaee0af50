package autograd

import (
	"math"
	"testing"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

// TestLinearBF16 checks that SetBF16 routes Linear's forward product and
// both backward products through kernels.SgemmBF16 (bit for bit against
// calling it directly), and that the result stays within bfloat16's error
// of the float32 tape's while differing from it.
func TestLinearBF16(t *testing.T) {
	g := tensor.NewRNG(11)
	const rows, in, out = 37, 48, 40
	x := tensor.New(tensor.S(rows, in))
	w := tensor.New(tensor.S(out, in))
	b := tensor.New(tensor.S(out))
	dy := tensor.New(tensor.S(rows, out))
	for _, v := range []*tensor.Tensor{x, w, b, dy} {
		g.Normal(v, 0, 1)
	}
	run := func(bf16 bool) (y, dx, dw []float32) {
		tp := NewTape(1)
		tp.SetBF16(bf16)
		xv, wv, bv := tp.Leaf(x), tp.Leaf(w), tp.Leaf(b)
		yv := tp.Linear(xv, wv, bv)
		if err := tp.BackwardFrom(yv, dy.Data); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), yv.Data()...), append([]float32(nil), xv.Grad...), append([]float32(nil), wv.Grad...)
	}
	y, dx, dw := run(true)
	y32, dx32, dw32 := run(false)

	wantY := make([]float32, rows*out)
	for i := range rows {
		copy(wantY[i*out:], b.Data)
	}
	kernels.SgemmBF16(false, true, rows, out, in, 1, x.Data, in, w.Data, in, 1, wantY, out)
	wantDx := make([]float32, rows*in)
	kernels.SgemmBF16(false, false, rows, in, out, 1, dy.Data, out, w.Data, in, 0, wantDx, in)
	wantDw := make([]float32, out*in)
	kernels.SgemmBF16(true, false, out, in, rows, 1, dy.Data, out, x.Data, in, 0, wantDw, in)
	for _, c := range []struct {
		name      string
		got, want []float32
		f32       []float32
	}{{"y", y, wantY, y32}, {"dx", dx, wantDx, dx32}, {"dW", dw, wantDw, dw32}} {
		same := true
		for i := range c.got {
			if d := math.Abs(float64(c.got[i] - c.want[i])); d > 1e-5*(1+math.Abs(float64(c.want[i]))) {
				t.Fatalf("%s[%d] = %v under SetBF16, SgemmBF16 gives %v", c.name, i, c.got[i], c.want[i])
			}
			if c.got[i] != c.f32[i] {
				same = false
			}
			if d := math.Abs(float64(c.got[i] - c.f32[i])); d > 0.1*(1+math.Abs(float64(c.f32[i]))) {
				t.Fatalf("%s[%d] = %v in bfloat16, %v in float32: too far apart", c.name, i, c.got[i], c.f32[i])
			}
		}
		if same {
			t.Errorf("%s: the bfloat16 tape gave float32's values exactly; the products were not rounded", c.name)
		}
	}
}

// TestAttentionVarLenBF16 checks MultiHeadAttentionVarLen under SetBF16:
// its output and its input's gradient stay within bfloat16's error of the
// float32 tape's while differing from them (the products were rounded),
// and they are the same bits for one kernel thread and for two.
func TestAttentionVarLenBF16(t *testing.T) {
	g := tensor.NewRNG(12)
	const heads, d = 2, 32
	offsets := []int{0, 45, 52, 120}
	n, c := offsets[len(offsets)-1], heads*d
	qkv := tensor.New(tensor.S(n, 3*c))
	dy := tensor.New(tensor.S(n, c))
	g.Normal(qkv, 0, 1)
	g.Normal(dy, 0, 1)
	run := func(bf16 bool, threads int) (y, dx []float32) {
		defer kernels.SetThreads(kernels.SetThreads(threads))
		tp := NewTape(1)
		tp.SetBF16(bf16)
		xv := tp.Leaf(qkv)
		yv := tp.MultiHeadAttentionVarLen(xv, offsets, heads, 1/float32(math.Sqrt(d)), 0)
		if err := tp.BackwardFrom(yv, dy.Data); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), yv.Data()...), append([]float32(nil), xv.Grad...)
	}
	y, dx := run(true, 2)
	y1, dx1 := run(true, 1)
	y32, dx32 := run(false, 2)
	for _, c := range []struct {
		name         string
		got, one, fp []float32
	}{{"output", y, y1, y32}, {"gradient", dx, dx1, dx32}} {
		var maxErr, maxMag float64
		same := true
		for i := range c.got {
			if math.Float32bits(c.got[i]) != math.Float32bits(c.one[i]) {
				t.Fatalf("%s[%d]: %v with two threads, %v with one", c.name, i, c.got[i], c.one[i])
			}
			same = same && c.got[i] == c.fp[i]
			maxErr = max(maxErr, math.Abs(float64(c.got[i]-c.fp[i])))
			maxMag = max(maxMag, math.Abs(float64(c.fp[i])))
		}
		if same {
			t.Errorf("%s: the bfloat16 tape gave float32's values exactly; the products were not rounded", c.name)
		}
		if maxErr > 0.03*maxMag {
			t.Errorf("%s: largest difference from float32 %.3g against largest value %.3g: beyond bfloat16's error", c.name, maxErr, maxMag)
		}
	}
}
