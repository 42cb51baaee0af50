package autograd

// Linear returns x·Wᵀ + b, the fully connected layer in Hugging Face's
// layout: x is [..., in] (any rank ≥ 1, taken as rows), w is [out, in], b is
// [out] or nil. It is MatMul(x, w, false, true) followed by Add(·, b), fused:
// the result's rows start as copies of b and one SGEMM adds x·Wᵀ into them.
//
// Backward: dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy.
func (t *Tape) Linear(x, w, b *Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	xs, ws := x.Value.Shape, w.Value.Shape
	if xs.Rank() == 0 || ws.Rank() != 2 || ws.Dim(1) != xs.Cols() {
		return t.fail(opLinear, "%w: input %v and weight %v (want [..., in] and [out, in])", ErrShape, xs, ws)
	}
	out, in := ws.Dim(0), ws.Dim(1)
	if b != nil && (b.Value.Shape.Rank() != 1 || b.Value.Shape.Dim(0) != out) {
		return t.fail(opLinear, "%w: bias %v for %d outputs", ErrShape, b.Value.Shape, out)
	}
	var o *op
	if b != nil {
		o = t.record(opLinear, xs.WithDim(-1, out), x, w, b)
	} else {
		o = t.record(opLinear, xs.WithDim(-1, out), x, w)
	}
	rows := xs.Rows()
	y := o.out.Value.Data
	o.n[0], o.n[1], o.n[2] = rows, out, in
	t.gemm(false, true, rows, out, in, 1, x.Value.Data, in, w.Value.Data, in, 0, y, out)
	if b != nil {
		t.addRows(y, nil, b.Value.Data) // in place
	}
	return o.out
}

func linearBackward(t *Tape, o *op) {
	x, w, b := o.in[0], o.in[1], o.in[2]
	rows, out, in := o.n[0], o.n[1], o.n[2]
	dy := o.out.Grad
	if x.needsGrad {
		dx, beta := t.gradBeta(x)
		t.gemm(false, false, rows, in, out, 1, dy, out, w.Value.Data, in, beta, dx, in)
	}
	if w.needsGrad {
		dw, beta := t.gradBeta(w)
		t.gemm(true, false, out, in, rows, 1, dy, out, x.Value.Data, in, beta, dw, in)
	}
	if b != nil && b.needsGrad {
		t.colSums(colTask{dst: t.grad(b), g: dy, cols: out})
	}
}
