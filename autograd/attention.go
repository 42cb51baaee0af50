package autograd

import (
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

// Attention is fused scaled-dot-product attention: for each batch b and
// head h, softmax(scale·Q·Kᵀ + mask)·V, with q [B, H, Tq, D], k and v
// [B, H, Tk, D], and mask nil or an additive [B, Tk] mask over keys (0 to
// keep, a large negative value or −Inf to drop); the result is
// [B, H, Tq, D]. scale is usually 1/√D. The products run as batched SGEMMs
// over all B·H heads; the softmax runs over rows in parallel.
//
// Backward, with P the saved probabilities and dO the output's gradient:
// dV = Pᵀ·dO; dP = dO·Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P)) (the softmax
// backward); dQ = scale·dS·K; dK = scale·dSᵀ·Q.
func (t *Tape) Attention(q, k, v *Var, mask *tensor.Tensor, scale float32) *Var {
	if t.err != nil {
		return &t.dummy
	}
	qs, ks, vs := q.Value.Shape, k.Value.Shape, v.Value.Shape
	if qs.Rank() != 4 || ks.Rank() != 4 || ks != vs || qs.Dim(0) != ks.Dim(0) || qs.Dim(1) != ks.Dim(1) || qs.Dim(3) != ks.Dim(3) {
		return t.fail(opAttention, "%w: q %v, k %v, v %v (want [B, H, Tq, D] and two [B, H, Tk, D])", ErrShape, qs, ks, vs)
	}
	b, h, tq, tk, d := qs.Dim(0), qs.Dim(1), qs.Dim(2), ks.Dim(2), qs.Dim(3)
	if mask != nil && (mask.Shape.Rank() != 2 || mask.Shape.Dim(0) != b || mask.Shape.Dim(1) != tk) {
		return t.fail(opAttention, "%w: mask %v for keys [%d %d]", ErrShape, mask.Shape, b, tk)
	}
	o := t.record(opAttention, qs, q, k, v)
	o.n = [6]int{b, h, tq, tk, d}
	o.f[0] = scale
	if mask != nil {
		o.cst = t.arena.alloc(len(mask.Data))
		copy(o.cst, mask.Data)
	}
	bh := b * h
	p := t.arena.alloc(bh * tq * tk)
	o.buf[0] = p
	kernels.SgemmBatched(false, true, bh, tq, tk, d, scale, q.Value.Data, d, tq*d, k.Value.Data, d, tk*d, 0, p, tk, tq*tk)
	o.phase = 0
	kernels.Parallel(bh*tq, rowGrain(tk), o)
	kernels.SgemmBatched(false, false, bh, tq, d, tk, 1, p, tk, tq*tk, v.Value.Data, d, tk*d, 0, o.out.Value.Data, d, tq*d)
	return o.out
}

// attentionRun computes rows [lo, hi) of the B·H·Tq score rows: the masked
// softmax in place (phase 0), or the softmax backward dS = P ⊙ (dP − Σ dP ⊙ P)
// in place in dP (phase 1).
func attentionRun(o *op, lo, hi int) {
	h, tq, tk := o.n[1], o.n[2], o.n[3]
	p := o.buf[0]
	for r := lo; r < hi; r++ {
		pr := p[r*tk : (r+1)*tk]
		if o.phase == 1 {
			softmaxGradInPlace(pr, o.buf[1][r*tk:(r+1)*tk])
			continue
		}
		var m []float32
		if o.cst != nil {
			b := r / (h * tq)
			m = o.cst[b*tk : (b+1)*tk]
		}
		softmaxRow(false, pr, m, pr)
	}
}

// softmaxGradInPlace turns dr, the gradient of a softmax row's output p,
// into the gradient of its input: dr = p ⊙ (dr − Σ dr ⊙ p), the sum in
// float64.
func softmaxGradInPlace(p, dr []float32) {
	var s float64
	for j, g := range dr {
		s += float64(g) * float64(p[j])
	}
	sf := float32(s)
	for j, g := range dr {
		dr[j] = p[j] * (g - sf)
	}
}

func attentionBackward(t *Tape, o *op) {
	q, k, v := o.in[0], o.in[1], o.in[2]
	b, h, tq, tk, d := o.n[0], o.n[1], o.n[2], o.n[3], o.n[4]
	scale := o.f[0]
	bh := b * h
	p, dO := o.buf[0], o.out.Grad
	dP := t.arena.alloc(bh * tq * tk)
	o.buf[1] = dP
	kernels.SgemmBatched(false, true, bh, tq, tk, d, 1, dO, d, tq*d, v.Value.Data, d, tk*d, 0, dP, tk, tq*tk)
	if v.needsGrad {
		dV, beta := t.gradBeta(v)
		kernels.SgemmBatched(true, false, bh, tk, d, tq, 1, p, tk, tq*tk, dO, d, tq*d, beta, dV, d, tk*d)
	}
	o.phase = 1
	kernels.Parallel(bh*tq, rowGrain(tk), o)
	if q.needsGrad {
		dQ, beta := t.gradBeta(q)
		kernels.SgemmBatched(false, false, bh, tq, d, tk, scale, dP, tk, tq*tk, k.Value.Data, d, tk*d, beta, dQ, d, tq*d)
	}
	if k.needsGrad {
		dK, beta := t.gradBeta(k)
		kernels.SgemmBatched(true, false, bh, tk, d, tq, scale, dP, tk, tq*tk, q.Value.Data, d, tq*d, beta, dK, d, tk*d)
	}
}
