package autograd

import (
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/tensor"
)

// MultiHeadAttention is Attention on inputs laid out as a transformer makes
// them: q [B, Tq, H·D], k and v [B, Tk, H·D], head h being columns
// h·D..h·D+D−1; the result is [B, Tq, H·D] in the same layout. It equals
// MergeHeads(Attention(SplitHeads(q), SplitHeads(k), SplitHeads(v), mask,
// scale)) without the copies: each head's matrices are read and written in
// place through strides (kernels.SgemmBatched2D over batch elements and
// heads, rows H·D apart, heads D apart). mask is nil or an additive [B, Tk]
// key mask. In training mode, dropout > 0 zeroes attention probabilities
// with that probability (scaling the rest by 1/(1−dropout)), as BERT's
// attention_probs_dropout_prob, drawing from the tape's generator.
//
// Backward as Attention's, through the dropout mask M when there is one
// (P̃ = P ⊙ M): dV = P̃ᵀ·dO, dP = (dO·Vᵀ) ⊙ M, dS = P ⊙ (dP − rowsum(dP ⊙ P)),
// dQ = scale·dS·K, dK = scale·dSᵀ·Q, per batch element and head.
func (t *Tape) MultiHeadAttention(q, k, v *Var, heads int, mask *tensor.Tensor, scale, dropout float32) *Var {
	if t.err != nil {
		return &t.dummy
	}
	qs, ks, vs := q.Value.Shape, k.Value.Shape, v.Value.Shape
	if qs.Rank() != 3 || ks.Rank() != 3 || ks != vs || qs.Dim(0) != ks.Dim(0) || qs.Dim(2) != ks.Dim(2) ||
		heads <= 0 || qs.Dim(2)%heads != 0 {
		return t.fail(opMultiHeadAttention, "%w: q %v, k %v, v %v with %d heads (want [B, Tq, H·D] and two [B, Tk, H·D])", ErrShape, qs, ks, vs, heads)
	}
	if dropout < 0 || dropout >= 1 {
		return t.fail(opMultiHeadAttention, "dropout probability %v is outside [0, 1)", dropout)
	}
	b, tq, tk, c := qs.Dim(0), qs.Dim(1), ks.Dim(1), qs.Dim(2)
	d := c / heads
	if mask != nil && (mask.Shape.Rank() != 2 || mask.Shape.Dim(0) != b || mask.Shape.Dim(1) != tk) {
		return t.fail(opMultiHeadAttention, "%w: mask %v for keys [%d %d]", ErrShape, mask.Shape, b, tk)
	}
	o := t.record(opMultiHeadAttention, qs, q, k, v)
	o.n = [6]int{b, heads, tq, tk, d}
	o.f[0] = scale
	if mask != nil {
		o.cst = t.arena.alloc(len(mask.Data))
		copy(o.cst, mask.Data)
	}
	p := t.arena.alloc(b * heads * tq * tk)
	o.buf[0] = p
	hp := tq * tk // one head's probabilities
	kernels.SgemmBatched2D(false, true, b, heads, tq, tk, d, scale, q.Value.Data, c, tq*c, d,
		k.Value.Data, c, tk*c, d, 0, p, tk, heads*hp, hp)
	o.phase = 0
	kernels.Parallel(b*heads*tq, rowGrain(tk), o)
	pv := p // the probabilities that multiply V
	if t.train && dropout > 0 {
		// M (buf[2]) holds 0 or 1/(1−dropout); P̃ = P ⊙ M is computed into
		// the space that backward later uses for dP (buf[1]).
		m, pd := t.arena.alloc(len(p)), t.arena.alloc(len(p))
		keep := 1 / (1 - dropout)
		for i, x := range p {
			if t.rng.Float32() < dropout {
				m[i], pd[i] = 0, 0
			} else {
				m[i], pd[i] = keep, x*keep
			}
		}
		o.buf[1], o.buf[2], pv = pd, m, pd
	}
	kernels.SgemmBatched2D(false, false, b, heads, tq, d, tk, 1, pv, tk, heads*hp, hp,
		v.Value.Data, c, tk*c, d, 0, o.out.Value.Data, c, tq*c, d)
	return o.out
}

func multiHeadAttentionBackward(t *Tape, o *op) {
	q, k, v := o.in[0], o.in[1], o.in[2]
	b, h, tq, tk, d := o.n[0], o.n[1], o.n[2], o.n[3], o.n[4]
	c, hp, scale := h*d, tq*tk, o.f[0]
	p, dO := o.buf[0], o.out.Grad
	pv, m := p, o.buf[2] // with dropout, V was multiplied by P̃ (buf[1]) and M is buf[2]
	if m != nil {
		pv = o.buf[1]
	}
	var dQ, dK, dV []float32
	var bq, bk, bv float32
	if v.needsGrad {
		dV, bv = t.gradBeta(v)
		kernels.SgemmBatched2D(true, false, b, h, tk, d, tq, 1, pv, tk, h*hp, hp,
			dO, c, tq*c, d, bv, dV, c, tk*c, d)
	}
	dP := t.arena.alloc(b * h * hp)
	o.buf[1] = dP
	kernels.SgemmBatched2D(false, true, b, h, tq, tk, d, 1, dO, c, tq*c, d,
		v.Value.Data, c, tk*c, d, 0, dP, tk, h*hp, hp)
	if m != nil {
		for i, x := range m {
			dP[i] *= x
		}
	}
	o.phase = 1
	kernels.Parallel(b*h*tq, rowGrain(tk), o)
	if q.needsGrad {
		dQ, bq = t.gradBeta(q)
		kernels.SgemmBatched2D(false, false, b, h, tq, d, tk, scale, dP, tk, h*hp, hp,
			k.Value.Data, c, tk*c, d, bq, dQ, c, tq*c, d)
	}
	if k.needsGrad {
		dK, bk = t.gradBeta(k)
		kernels.SgemmBatched2D(true, false, b, h, tk, d, tq, scale, dP, tk, h*hp, hp,
			q.Value.Data, c, tq*c, d, bk, dK, c, tk*c, d)
	}
}
