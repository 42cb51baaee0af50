package autograd

import (
	"errors"
	"math"
	"testing"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

func int8Weights(t *testing.T, g *tensor.RNG, out, in int) *kernels.Int8Weights {
	t.Helper()
	w := tensor.New(tensor.S(out, in))
	g.Normal(w, 0, 0.05)
	b := tensor.New(tensor.S(out))
	g.Normal(b, 0, 0.1)
	q, err := kernels.QuantizeWeights(w.Data, out, in, b.Data)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestLinearInt8 checks the op against the kernel it wraps, and
// FeedForwardInt8 against LinearInt8, GELU, LinearInt8, bit for bit, over
// more rows than one block of the feed-forward.
func TestLinearInt8(t *testing.T) {
	g := tensor.NewRNG(7)
	const in, f, out = 48, 64, 40
	rows := ffnRows + 37
	w1, w2 := int8Weights(t, g, f, in), int8Weights(t, g, out, f)
	x := tensor.New(tensor.S(rows, in))
	g.Normal(x, 0, 1)

	tp := NewTape(1)
	tp.NoGrad(true)
	xv := tp.Const(x)
	y := tp.LinearInt8(xv, w1)
	want := make([]float32, rows*f)
	kernels.Int8Linear(rows, x.Data, in, w1, want, f)
	if tp.Err() != nil {
		t.Fatal(tp.Err())
	}
	for i, v := range y.Data() {
		if math.Float32bits(v) != math.Float32bits(want[i]) {
			t.Fatalf("LinearInt8[%d] = %v, kernel %v", i, v, want[i])
		}
	}
	composed := tp.LinearInt8(tp.GELU(y), w2)
	fused := tp.FeedForwardInt8(xv, w1, w2)
	if tp.Err() != nil {
		t.Fatal(tp.Err())
	}
	if fused.Shape() != tensor.S(rows, out) {
		t.Fatalf("shape %v", fused.Shape())
	}
	for i, v := range fused.Data() {
		if math.Float32bits(v) != math.Float32bits(composed.Data()[i]) {
			t.Fatalf("FeedForwardInt8[%d] = %v, composed %v", i, v, composed.Data()[i])
		}
	}
}

// TestLinearInt8Refuses checks that int8 ops fail a recording tape and
// name shape mismatches.
func TestLinearInt8Refuses(t *testing.T) {
	g := tensor.NewRNG(8)
	w := int8Weights(t, g, 8, 16)
	x := tensor.New(tensor.S(3, 16))

	tp := NewTape(1)
	tp.LinearInt8(tp.Const(x), w)
	if !errors.Is(tp.Err(), ErrInt8Grad) {
		t.Errorf("recording tape: %v, want ErrInt8Grad", tp.Err())
	}
	tp = NewTape(1)
	tp.FeedForwardInt8(tp.Const(x), w, w)
	if !errors.Is(tp.Err(), ErrInt8Grad) {
		t.Errorf("recording tape, feed-forward: %v, want ErrInt8Grad", tp.Err())
	}
	tp = NewTape(1)
	tp.NoGrad(true)
	tp.LinearInt8(tp.Const(tensor.New(tensor.S(3, 15))), w)
	if !errors.Is(tp.Err(), ErrShape) {
		t.Errorf("15 inputs for 16: %v, want ErrShape", tp.Err())
	}
	tp = NewTape(1)
	tp.NoGrad(true)
	tp.FeedForwardInt8(tp.Const(x), w, w) // 16→8, then 16→8: 8 ≠ 16
	if !errors.Is(tp.Err(), ErrShape) {
		t.Errorf("mismatched feed-forward: %v, want ErrShape", tp.Err())
	}
}
