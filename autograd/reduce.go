package autograd

import "github.com/rrra/rrra/tensor"

// Sum returns the sum of all elements of x, accumulated in float64.
//
// Backward: dx = dy everywhere.
func (t *Tape) Sum(x *Var) *Var {
	return t.reduce(opSum, x)
}

// Mean returns the mean of all elements of x, accumulated in float64.
//
// Backward: dx = dy/N everywhere.
func (t *Tape) Mean(x *Var) *Var {
	return t.reduce(opMean, x)
}

func (t *Tape) reduce(kind opKind, x *Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	n := len(x.Value.Data)
	if n == 0 && kind == opMean {
		return t.fail(kind, "%w: the mean of an empty tensor %v", ErrShape, x.Value.Shape)
	}
	o := t.record(kind, tensor.S(), x)
	var s float64
	for _, v := range x.Value.Data {
		s += float64(v)
	}
	if kind == opMean {
		s /= float64(n)
	}
	o.out.Value.Data[0] = float32(s)
	return o.out
}

func sumBackward(t *Tape, o *op) { spread(t, o, o.out.Grad[0]) }

func meanBackward(t *Tape, o *op) {
	spread(t, o, o.out.Grad[0]/float32(len(o.in[0].Value.Data)))
}

func spread(t *Tape, o *op, g float32) {
	if x := o.in[0]; x.needsGrad {
		dx := t.grad(x)
		for i := range dx {
			dx[i] += g
		}
	}
}
