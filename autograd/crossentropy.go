package autograd

import (
	"math"

	"github.com/rrra/rrra/tensor"
)

// CrossEntropy returns the mean over rows of −log softmax(logits)[target]:
// logits is [N, C], targets holds N class indices in [0, C). With the
// logits of a query against its group of documents, this is the InfoNCE
// loss.
//
// Backward: for row i with p = softmax(logits_i), dlogits_i = (p − e_target)·dy/N.
// The forward saves p.
func (t *Tape) CrossEntropy(logits *Var, targets []int32) *Var {
	if t.err != nil {
		return &t.dummy
	}
	ls := logits.Value.Shape
	if ls.Rank() != 2 || ls.Dim(0) != len(targets) || ls.Dim(0) == 0 {
		return t.fail(opCrossEntropy, "%w: logits %v with %d targets (want [N, C] and N ≥ 1 targets)", ErrShape, ls, len(targets))
	}
	n, c := ls.Dim(0), ls.Dim(1)
	for i, y := range targets {
		if y < 0 || int(y) >= c {
			return t.fail(opCrossEntropy, "target %d of row %d is outside [0, %d)", y, i, c)
		}
	}
	o := t.record(opCrossEntropy, tensor.S(), logits)
	o.ids = t.ints.copyOf(targets)
	p := t.arena.alloc(n * c)
	o.buf[0] = p
	o.n[0] = c
	var loss float64
	for i, y := range o.ids {
		pr := p[i*c : (i+1)*c]
		softmaxRow(true, logits.Value.Data[i*c:(i+1)*c], nil, pr) // log-probabilities
		loss -= float64(pr[y])
		for j, lp := range pr {
			pr[j] = float32(math.Exp(float64(lp)))
		}
	}
	o.out.Value.Data[0] = float32(loss / float64(n))
	return o.out
}

func crossEntropyBackward(t *Tape, o *op) {
	x := o.in[0]
	if !x.needsGrad {
		return
	}
	c := o.n[0]
	n := len(o.ids)
	g := o.out.Grad[0] / float32(n)
	dx, p := t.grad(x), o.buf[0]
	for i, y := range o.ids {
		pr, dr := p[i*c:(i+1)*c], dx[i*c:(i+1)*c]
		for j, v := range pr {
			dr[j] += g * v
		}
		dr[y] -= g
	}
}
