package autograd

import "math"

// Tanh returns tanh(x), element-wise.
//
// Backward: tanh'(x) = 1 − tanh²(x) = 1 − y²; dx = dy·(1 − y²).
func (t *Tape) Tanh(x *Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	o := t.record(opTanh, x.Value.Shape, x)
	y := o.out.Value.Data
	for i, v := range x.Value.Data {
		y[i] = float32(math.Tanh(float64(v)))
	}
	return o.out
}

func tanhBackward(t *Tape, o *op) {
	x := o.in[0]
	if !x.needsGrad {
		return
	}
	dx, dy, y := t.grad(x), o.out.Grad, o.out.Value.Data
	for i, g := range dy {
		dx[i] += g * (1 - y[i]*y[i])
	}
}
