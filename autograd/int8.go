package autograd

import (
	"errors"

	"github.com/rrra/rrra/kernels"
)

// ErrInt8Grad is wrapped by the error an int8 operation records on a tape
// that records gradients: quantized layers have no backward pass.
var ErrInt8Grad = errors.New("int8 layers are for inference only (no gradients); train the float32 model")

// LinearInt8 returns x·Wᵀ + b for weights quantized to int8 per output
// channel (w holds the bias, if any): x's rows are quantized per row and
// multiplied in integers (kernels.Int8Linear), so each row's result depends
// on that row alone, bit for bit the same on every integer tier and thread
// count. x is [..., w.K()]. It is for inference: on a tape that records
// gradients it fails with ErrInt8Grad.
func (t *Tape) LinearInt8(x *Var, w *kernels.Int8Weights) *Var {
	if t.err != nil {
		return &t.dummy
	}
	if !t.noGrad {
		return t.fail(opLinearInt8, "%w", ErrInt8Grad)
	}
	xs := x.Value.Shape
	if xs.Rank() == 0 || w == nil || xs.Cols() != w.K() {
		return t.fail(opLinearInt8, "%w: input %v for int8 weights of %d inputs (want [..., in])", ErrShape, xs, kIn(w))
	}
	o := t.record(opLinearInt8, xs.WithDim(-1, w.N()), x)
	kernels.Int8Linear(xs.Rows(), x.Value.Data, w.K(), w, o.out.Value.Data, w.N())
	return o.out
}

func kIn(w *kernels.Int8Weights) int {
	if w == nil {
		return 0
	}
	return w.K()
}

// FeedForwardInt8 is FeedForward with both products in int8:
// LinearInt8(GELU(LinearInt8(x, w1)), w2), through x's rows in blocks as
// FeedForward does without gradients. For inference only (ErrInt8Grad
// otherwise).
func (t *Tape) FeedForwardInt8(x *Var, w1, w2 *kernels.Int8Weights) *Var {
	if t.err != nil {
		return &t.dummy
	}
	if !t.noGrad {
		return t.fail(opFeedForwardInt8, "%w", ErrInt8Grad)
	}
	xs := x.Value.Shape
	if xs.Rank() == 0 || w1 == nil || w2 == nil || xs.Cols() != w1.K() || w2.K() != w1.N() {
		return t.fail(opFeedForwardInt8, "%w: input %v, int8 weights of %d→%d and %d→%d (want [..., in], in→f, f→out)",
			ErrShape, xs, kIn(w1), nOut(w1), kIn(w2), nOut(w2))
	}
	in, f, out := w1.K(), w1.N(), w2.N()
	o := t.record(opFeedForwardInt8, xs.WithDim(-1, out), x)
	rows := xs.Rows()
	if cap(t.ffn) < min(rows, ffnRows)*f {
		t.ffn = make([]float32, min(rows, ffnRows)*f)
	}
	y := o.out.Value.Data
	o.phase = 0
	for r0 := 0; r0 < rows; r0 += ffnRows {
		n := min(ffnRows, rows-r0)
		h := t.ffn[:n*f]
		kernels.Int8Linear(n, x.Value.Data[r0*in:], in, w1, h, f)
		o.buf[0] = h
		kernels.Parallel(blocks8(len(h)), elemGrain/8, o)
		kernels.Int8Linear(n, h, f, w2, y[r0*out:(r0+n)*out], out)
	}
	o.buf[0] = nil
	return o.out
}

func nOut(w *kernels.Int8Weights) int {
	if w == nil {
		return 0
	}
	return w.N()
}
