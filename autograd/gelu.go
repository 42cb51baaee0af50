package autograd

import "github.com/rrra/rrra/kernels"

// GELU returns the Gaussian error linear unit in its exact (erf) form, as
// BERT uses it: gelu(x) = x·Φ(x) = ½·x·(1 + erf(x/√2)), computed by
// kernels.GELU.
//
// Backward: gelu'(x) = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π); dx = dy·gelu'(x)
// (kernels.GELUBackward).
func (t *Tape) GELU(x *Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	o := t.record(opGELU, x.Value.Shape, x)
	o.phase = 0
	kernels.Parallel(blocks8(len(x.Value.Data)), elemGrain/8, o)
	return o.out
}

// elemGrain is the fewest elements worth a goroutine in element-wise ops.
const elemGrain = 1 << 14

// blocks8 is the number of 8-element blocks covering n elements. Element-wise
// ops split work on these blocks, so a SIMD kernel sees the same groups of
// eight, and gives the same bits, whatever the thread count.
func blocks8(n int) int { return (n + 7) / 8 }

// span8 maps blocks [lo, hi) to elements, the last block cut at n.
func span8(lo, hi, n int) (int, int) { return lo * 8, min(hi*8, n) }

func geluRun(o *op, lo, hi int) {
	x := o.in[0].Value.Data
	lo, hi = span8(lo, hi, len(x))
	if o.phase == 0 {
		kernels.GELU(o.out.Value.Data[lo:hi], x[lo:hi])
		return
	}
	kernels.GELUBackward(o.in[0].Grad[lo:hi], o.out.Grad[lo:hi], x[lo:hi], o.n[0] == 0)
}

func geluBackward(t *Tape, o *op) {
	x := o.in[0]
	if !x.needsGrad {
		return
	}
	o.n[0] = 0 // add into an existing gradient
	if x.Grad == nil {
		t.newGrad(x) // written, not added: no need to zero
		o.n[0] = 1
	}
	o.phase = 1
	kernels.Parallel(blocks8(len(o.out.Grad)), elemGrain/8, o)
}
