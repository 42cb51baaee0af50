package autograd

import "github.com/rrra/rrra/kernels"

// Scale returns s·x.
//
// Backward: dx = s·dy.
func (t *Tape) Scale(x *Var, s float32) *Var {
	if t.err != nil {
		return &t.dummy
	}
	o := t.record(opScale, x.Value.Shape, x)
	o.f[0] = s
	y := o.out.Value.Data
	for i, v := range x.Value.Data {
		y[i] = s * v
	}
	return o.out
}

func scaleBackward(t *Tape, o *op) {
	if x := o.in[0]; x.needsGrad {
		kernels.Axpy(o.f[0], o.out.Grad, t.grad(x))
	}
}
