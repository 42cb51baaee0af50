package autograd

import (
	"math"

	"github.com/rrra/rrra/tensor"
)

// BCEWithLogits returns the mean over the N elements of x of
// w_i·(max(x_i, 0) − x_i·y_i + log(1 + exp(−|x_i|))), the binary
// cross-entropy of sigmoid(x_i) against targets y_i in [0, 1], computed
// stably from the logits, as PyTorch's BCEWithLogitsLoss(weight=w). weights
// may be nil (all 1); targets and weights must have N elements.
//
// Backward: dx_i = w_i·(σ(x_i) − y_i)·dy/N.
func (t *Tape) BCEWithLogits(x *Var, targets, weights *tensor.Tensor) *Var {
	if t.err != nil {
		return &t.dummy
	}
	n := len(x.Value.Data)
	if len(targets.Data) != n || (weights != nil && len(weights.Data) != n) || n == 0 {
		ws := tensor.Shape{}
		if weights != nil {
			ws = weights.Shape
		}
		return t.fail(opBCEWithLogits, "%w: logits %v, targets %v, weights %v (want the same number of elements, at least one)", ErrShape, x.Value.Shape, targets.Shape, ws)
	}
	o := t.record(opBCEWithLogits, tensor.S(), x)
	o.cst = t.arena.alloc(2 * n) // targets, then weights
	copy(o.cst[:n], targets.Data)
	w := o.cst[n:]
	if weights != nil {
		copy(w, weights.Data)
	} else {
		for i := range w {
			w[i] = 1
		}
	}
	var loss float64
	for i, v := range x.Value.Data {
		xv, yv := float64(v), float64(o.cst[i])
		loss += float64(w[i]) * (max(xv, 0) - xv*yv + math.Log1p(math.Exp(-math.Abs(xv))))
	}
	o.out.Value.Data[0] = float32(loss / float64(n))
	return o.out
}

func bceBackward(t *Tape, o *op) {
	x := o.in[0]
	if !x.needsGrad {
		return
	}
	n := len(x.Value.Data)
	g := float64(o.out.Grad[0]) / float64(n)
	dx := t.grad(x)
	y, w := o.cst[:n], o.cst[n:]
	for i, v := range x.Value.Data {
		s := 1 / (1 + math.Exp(-float64(v)))
		dx[i] += float32(float64(w[i]) * (s - float64(y[i])) * g)
	}
}
