package autograd

import (
	"math"

	"github.com/rrra/rrra/kernels"
)

// GELU returns the Gaussian error linear unit in its exact (erf) form, as
// BERT uses it: gelu(x) = x·Φ(x) = ½·x·(1 + erf(x/√2)).
//
// Backward: gelu'(x) = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π); dx = dy·gelu'(x).
func (t *Tape) GELU(x *Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	o := t.record(opGELU, x.Value.Shape, x)
	o.phase = 0
	kernels.Parallel(len(x.Value.Data), elemGrain, o)
	return o.out
}

// elemGrain is the fewest elements worth a goroutine in element-wise ops.
const elemGrain = 1 << 14

func geluRun(o *op, lo, hi int) {
	x := o.in[0].Value.Data[lo:hi]
	if o.phase == 0 {
		y := o.out.Value.Data[lo:hi]
		for i, v := range x {
			y[i] = float32(0.5 * float64(v) * (1 + math.Erf(float64(v)*math.Sqrt2/2)))
		}
		return
	}
	dy, dx := o.out.Grad[lo:hi], o.in[0].Grad[lo:hi]
	const invSqrt2Pi = 0.3989422804014327
	for i, v := range x {
		xv := float64(v)
		cdf := 0.5 * (1 + math.Erf(xv*math.Sqrt2/2))
		pdf := invSqrt2Pi * math.Exp(-0.5*xv*xv)
		dx[i] += dy[i] * float32(cdf+xv*pdf)
	}
}

func geluBackward(t *Tape, o *op) {
	if !o.in[0].needsGrad {
		return
	}
	t.grad(o.in[0])
	o.phase = 1
	kernels.Parallel(len(o.out.Grad), elemGrain, o)
}
