package autograd

import "math"

// L2Normalize divides each row of x by its Euclidean norm, or by eps when
// the norm is smaller (as PyTorch's F.normalize): y = x / max(‖x‖, eps).
//
// Backward: with n = ‖x‖ > eps, ∂y_i/∂x_j = (δ_ij − y_i·y_j)/n, so
// dx = (dy − y·(y·dy))/n; with n ≤ eps, dx = dy/eps.
func (t *Tape) L2Normalize(x *Var, eps float32) *Var {
	if t.err != nil {
		return &t.dummy
	}
	xs := x.Value.Shape
	if xs.Rank() == 0 {
		return t.fail(opL2Normalize, "%w: a scalar has no rows", ErrShape)
	}
	o := t.record(opL2Normalize, xs, x)
	rows, c := xs.Rows(), xs.Cols()
	norms := t.arena.alloc(rows)
	o.buf[0] = norms
	o.n[0] = c
	o.f[0] = eps
	for r := 0; r < rows; r++ {
		xr, yr := x.Value.Data[r*c:(r+1)*c], o.out.Value.Data[r*c:(r+1)*c]
		var s float64
		for _, v := range xr {
			s += float64(v) * float64(v)
		}
		n := float32(math.Sqrt(s))
		norms[r] = n
		d := max(n, eps)
		for j, v := range xr {
			yr[j] = v / d
		}
	}
	return o.out
}

func l2NormalizeBackward(t *Tape, o *op) {
	x := o.in[0]
	if !x.needsGrad {
		return
	}
	c, eps := o.n[0], o.f[0]
	dx, dy, y := t.grad(x), o.out.Grad, o.out.Value.Data
	for r, n := range o.buf[0] {
		gr, yr, dr := dy[r*c:(r+1)*c], y[r*c:(r+1)*c], dx[r*c:(r+1)*c]
		if n <= eps {
			for j, g := range gr {
				dr[j] += g / eps
			}
			continue
		}
		var dot float64
		for j, g := range gr {
			dot += float64(g) * float64(yr[j])
		}
		d := float32(dot)
		for j, g := range gr {
			dr[j] += (g - yr[j]*d) / n
		}
	}
}
