package autograd

import (
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

// ffnRows is how many rows of the feed-forward's intermediate exist at
// once without gradients: 1,024 rows of a 3,072-wide intermediate (BERT-
// base's) are 12 MiB. Each block repacks the weights for the matrix
// products (a copy of each weight matrix per block), so blocks must not be
// small: at this size that costs about 2% of the block's arithmetic.
const ffnRows = 1024

// FeedForward returns Linear(GELU(Linear(x, w1, b1)), w2, b2), a
// transformer's position-wise feed-forward block. With gradients recorded
// it is exactly those three operations. Without (NoGrad) it is one
// operation that works through x's rows in blocks of ffnRows, so the wide
// intermediate is never whole in memory (at BERT-base's shape and 7,565
// tokens: 89 MiB for the intermediate and as much again for its GELU,
// against 12 MiB). The values are bit for bit those of the three
// operations when the intermediate width is a multiple of 8 (BERT's
// always is): the products compute each element the same way for any
// rows around it, and the bias and GELU are element-wise (with another
// width, the SIMD GELU's groups of eight fall differently and the last
// few elements of a block may round as the scalar path does).
func (t *Tape) FeedForward(x, w1, b1, w2, b2 *Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	if !t.noGrad {
		return t.Linear(t.GELU(t.Linear(x, w1, b1)), w2, b2)
	}
	xs, s1, s2 := x.Value.Shape, w1.Value.Shape, w2.Value.Shape
	if xs.Rank() == 0 || s1.Rank() != 2 || s2.Rank() != 2 || s1.Dim(1) != xs.Cols() || s2.Dim(1) != s1.Dim(0) ||
		b1.Value.Shape != tensor.S(s1.Dim(0)) || b2.Value.Shape != tensor.S(s2.Dim(0)) {
		return t.fail(opFeedForward, "%w: input %v, weights %v and %v, biases %v and %v (want [..., in], [f, in], [out, f], [f] and [out])",
			ErrShape, xs, s1, s2, b1.Value.Shape, b2.Value.Shape)
	}
	o := t.record(opFeedForward, xs.WithDim(-1, s2.Dim(0)), x, w1, b1, w2)
	in, f, out := s1.Dim(1), s1.Dim(0), s2.Dim(0)
	rows := xs.Rows()
	if cap(t.ffn) < min(rows, ffnRows)*f {
		t.ffn = make([]float32, min(rows, ffnRows)*f)
	}
	y := o.out.Value.Data
	o.phase = 0
	for r0 := 0; r0 < rows; r0 += ffnRows {
		n := min(ffnRows, rows-r0)
		h := t.ffn[:n*f]
		t.gemm(false, true, n, f, in, 1, x.Value.Data[r0*in:], in, w1.Value.Data, in, 0, h, f)
		t.addRows(h, nil, b1.Value.Data)
		o.buf[0] = h
		kernels.Parallel(blocks8(len(h)), elemGrain/8, o)
		yb := y[r0*out : (r0+n)*out]
		t.gemm(false, true, n, out, f, 1, h, f, w2.Value.Data, f, 0, yb, out)
		t.addRows(yb, nil, b2.Value.Data)
	}
	o.buf[0] = nil
	return o.out
}

// feedForwardRun applies GELU in place to 8-element blocks [lo, hi) of a
// FeedForward's current intermediate block (buf[0]).
func feedForwardRun(o *op, lo, hi int) {
	h := o.buf[0]
	lo, hi = span8(lo, hi, len(h))
	kernels.GELU(h[lo:hi], h[lo:hi])
}
