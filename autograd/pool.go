package autograd

import "github.com/rrra/rrra/tensor"

// MeanPool averages x [B, T, C] over the tokens that mask [B, T] marks with
// non-zero weights: y[b] = Σ_t m[b,t]·x[b,t] / Σ_t m[b,t], giving [B, C]. A
// sequence whose weights sum to zero is an error.
//
// Backward: dx[b,t] = m[b,t]·dy[b] / Σ_t m[b,t].
func (t *Tape) MeanPool(x *Var, mask *tensor.Tensor) *Var {
	if t.err != nil {
		return &t.dummy
	}
	xs := x.Value.Shape
	if xs.Rank() != 3 || mask.Shape.Rank() != 2 || mask.Shape.Dim(0) != xs.Dim(0) || mask.Shape.Dim(1) != xs.Dim(1) {
		return t.fail(opMeanPool, "%w: input %v with mask %v (want [B, T, C] and [B, T])", ErrShape, xs, mask.Shape)
	}
	b, tt, c := xs.Dim(0), xs.Dim(1), xs.Dim(2)
	for bi := 0; bi < b; bi++ {
		var s float32
		for _, m := range mask.Data[bi*tt : (bi+1)*tt] {
			s += m
		}
		if s == 0 {
			return t.fail(opMeanPool, "sequence %d has no token to pool (its mask sums to zero)", bi)
		}
	}
	o := t.record(opMeanPool, tensor.S(b, c), x)
	o.cst = t.arena.alloc(b * tt)
	copy(o.cst, mask.Data) // saved as weights / Σ weights
	o.n = [6]int{b, tt, c}
	y := o.out.Value.Data
	clear(y)
	for bi := 0; bi < b; bi++ {
		w := o.cst[bi*tt : (bi+1)*tt]
		var s float32
		for _, m := range w {
			s += m
		}
		yr := y[bi*c : (bi+1)*c]
		for ti, m := range w {
			w[ti] = m / s
			if m == 0 {
				continue
			}
			xr := x.Value.Data[(bi*tt+ti)*c : (bi*tt+ti+1)*c]
			for j, v := range xr {
				yr[j] += w[ti] * v
			}
		}
	}
	return o.out
}

func meanPoolBackward(t *Tape, o *op) {
	x := o.in[0]
	if !x.needsGrad {
		return
	}
	b, tt, c := o.n[0], o.n[1], o.n[2]
	dx, dy := t.grad(x), o.out.Grad
	for bi := 0; bi < b; bi++ {
		gr := dy[bi*c : (bi+1)*c]
		for ti, w := range o.cst[bi*tt : (bi+1)*tt] {
			if w == 0 {
				continue
			}
			dr := dx[(bi*tt+ti)*c : (bi*tt+ti+1)*c]
			for j, g := range gr {
				dr[j] += w * g
			}
		}
	}
}

// CLSPool returns the first token of each sequence: x [B, T, C] → [B, C].
//
// Backward: dx[b, 0] = dy[b]; other tokens get nothing.
func (t *Tape) CLSPool(x *Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	xs := x.Value.Shape
	if xs.Rank() != 3 || xs.Dim(1) == 0 {
		return t.fail(opCLSPool, "%w: input %v (want [B, T, C] with T ≥ 1)", ErrShape, xs)
	}
	b, tt, c := xs.Dim(0), xs.Dim(1), xs.Dim(2)
	o := t.record(opCLSPool, tensor.S(b, c), x)
	o.n = [6]int{b, tt, c}
	for bi := 0; bi < b; bi++ {
		copy(o.out.Value.Data[bi*c:(bi+1)*c], x.Value.Data[bi*tt*c:bi*tt*c+c])
	}
	return o.out
}

func clsPoolBackward(t *Tape, o *op) {
	x := o.in[0]
	if !x.needsGrad {
		return
	}
	b, tt, c := o.n[0], o.n[1], o.n[2]
	dx, dy := t.grad(x), o.out.Grad
	for bi := 0; bi < b; bi++ {
		dr := dx[bi*tt*c : bi*tt*c+c]
		for j, g := range dy[bi*c : (bi+1)*c] {
			dr[j] += g
		}
	}
}
