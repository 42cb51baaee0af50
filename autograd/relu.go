package autograd

// ReLU returns max(x, 0), element-wise.
//
// Backward: dx = dy where x > 0, else 0 (the subgradient 0 at x = 0, as
// PyTorch).
func (t *Tape) ReLU(x *Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	o := t.record(opReLU, x.Value.Shape, x)
	y := o.out.Value.Data
	for i, v := range x.Value.Data {
		y[i] = max(v, 0)
	}
	return o.out
}

func reluBackward(t *Tape, o *op) {
	x := o.in[0]
	if !x.needsGrad {
		return
	}
	dx, dy := t.grad(x), o.out.Grad
	for i, v := range x.Value.Data {
		if v > 0 {
			dx[i] += dy[i]
		}
	}
}
