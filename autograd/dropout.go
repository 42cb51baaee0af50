package autograd

// Dropout zeroes each element of x with probability p and scales the rest by
// 1/(1−p), drawing from the tape's seeded generator, when the tape is in
// training mode; otherwise, or with p = 0, it returns x itself.
//
// Backward: dx = dy ⊙ mask, the saved mask holding 0 or 1/(1−p).
func (t *Tape) Dropout(x *Var, p float32) *Var {
	if t.err != nil {
		return &t.dummy
	}
	if !t.train || p == 0 {
		return x
	}
	if p < 0 || p >= 1 {
		return t.fail(opDropout, "probability %v is outside [0, 1)", p)
	}
	o := t.record(opDropout, x.Value.Shape, x)
	mask := t.arena.alloc(len(x.Value.Data))
	o.buf[0] = mask
	keep := 1 / (1 - p)
	y := o.out.Value.Data
	for i, v := range x.Value.Data {
		if t.rng.Float32() < p {
			mask[i], y[i] = 0, 0
		} else {
			mask[i], y[i] = keep, v*keep
		}
	}
	return o.out
}

func dropoutBackward(t *Tape, o *op) {
	x := o.in[0]
	if !x.needsGrad {
		return
	}
	dx, dy, mask := t.grad(x), o.out.Grad, o.buf[0]
	for i, g := range dy {
		dx[i] += g * mask[i]
	}
}
