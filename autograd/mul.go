package autograd

// Mul returns a ⊙ b, element-wise, where b has a's shape or is one row of
// a's last dimension, broadcast over a's rows.
//
// Backward: da = dy ⊙ b; db = dy ⊙ a, summed over rows when b is broadcast.
func (t *Tape) Mul(a, b *Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	o, ok := t.broadcastOp(opMul, a, b)
	if !ok {
		return &t.dummy
	}
	row := o.n[0] == 1
	y, x, z := o.out.Value.Data, a.Value.Data, b.Value.Data
	c := len(z)
	if !row {
		c = len(x)
	}
	for r := 0; r < len(x); r += max(c, 1) {
		xr, yr, zr := x[r:r+c], y[r:r+c], z[:c]
		for j, v := range xr {
			yr[j] = v * zr[j]
		}
	}
	return o.out
}

func mulBackward(t *Tape, o *op) {
	a, b, dy := o.in[0], o.in[1], o.out.Grad
	x, z := a.Value.Data, b.Value.Data
	c := len(z)
	if a.needsGrad {
		da := t.grad(a)
		for r := 0; r < len(x); r += max(c, 1) {
			dr, gr, zr := da[r:r+c], dy[r:r+c], z[:c]
			for j, g := range gr {
				dr[j] += g * zr[j]
			}
		}
	}
	if b.needsGrad {
		db := t.grad(b)
		for r := 0; r < len(x); r += max(c, 1) {
			xr, gr := x[r:r+c], dy[r:r+c]
			for j, g := range gr {
				db[j] += g * xr[j]
			}
		}
	}
}
