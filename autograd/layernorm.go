package autograd

import "github.com/rrra/rrra/kernels"

// LayerNorm normalises each row of x (its last dimension, width C) to zero
// mean and unit variance, then scales by gamma and shifts by beta (both [C]):
// y = (x − μ)·r·γ + β with r = 1/√(σ² + eps), σ² the biased variance, as
// PyTorch and BERT (eps from the model's config, 1e-12 for BERT).
//
// Backward, with x̂ = (x − μ)·r and g = dy ⊙ γ: dγ = Σ_rows dy ⊙ x̂,
// dβ = Σ_rows dy, dx = r·(g − mean(g) − x̂·mean(g ⊙ x̂)). The forward saves μ
// and r per row. Rows run in kernels.LayerNormRow and LayerNormRowBackward.
func (t *Tape) LayerNorm(x, gamma, beta *Var, eps float32) *Var {
	if t.err != nil {
		return &t.dummy
	}
	xs := x.Value.Shape
	c := xs.Cols()
	if xs.Rank() == 0 || len(gamma.Value.Data) != c || len(beta.Value.Data) != c || gamma.Value.Shape.Rank() != 1 || beta.Value.Shape.Rank() != 1 {
		return t.fail(opLayerNorm, "%w: input %v with gamma %v and beta %v (want [%d] each)", ErrShape, xs, gamma.Value.Shape, beta.Value.Shape, c)
	}
	o := t.record(opLayerNorm, xs, x, gamma, beta)
	rows := xs.Rows()
	o.buf[0], o.buf[1] = t.arena.alloc(rows), t.arena.alloc(rows)
	o.n[0] = c
	o.f[0] = eps
	o.phase = 0
	kernels.Parallel(rows, rowGrain(c), o)
	return o.out
}

func layerNormRun(o *op, lo, hi int) {
	c := o.n[0]
	x, gamma, beta := o.in[0].Value.Data, o.in[1].Value.Data, o.in[2].Value.Data
	mean, rstd := o.buf[0], o.buf[1]
	for r := lo; r < hi; r++ {
		xr := x[r*c : (r+1)*c]
		if o.phase == 1 {
			kernels.LayerNormRowBackward(o.in[0].Grad[r*c:(r+1)*c], o.out.Grad[r*c:(r+1)*c], xr, gamma,
				mean[r], rstd[r], o.n[1] == 0)
			continue
		}
		mean[r], rstd[r] = kernels.LayerNormRow(o.out.Value.Data[r*c:(r+1)*c], xr, gamma, beta, o.f[0])
	}
}

func layerNormBackward(t *Tape, o *op) {
	x, gamma, beta := o.in[0], o.in[1], o.in[2]
	c, dy := o.n[0], o.out.Grad
	if gamma.needsGrad || beta.needsGrad {
		// Column sums over rows, split by columns: each column is summed
		// in row order whatever the thread count.
		ct := colTask{g: dy, cols: c}
		if beta.needsGrad {
			ct.dst = t.grad(beta)
		}
		if gamma.needsGrad {
			ct.dst2, ct.x, ct.mean, ct.rs = t.grad(gamma), x.Value.Data, o.buf[0], o.buf[1]
		}
		t.colSums(ct)
	}
	if x.needsGrad {
		o.n[1] = 0
		if x.Grad == nil {
			t.newGrad(x)
			o.n[1] = 1
		}
		o.phase = 1
		kernels.Parallel(x.Value.Shape.Rows(), rowGrain(c), o)
	}
}
