package autograd

import "github.com/rrra/rrra/kernels"

// Sub returns a − b, where b has a's shape or is one row of a's last
// dimension, broadcast over a's rows.
//
// Backward: da = dy; db = −dy, or, broadcast, minus the sum of dy over rows.
func (t *Tape) Sub(a, b *Var) *Var {
	if t.err != nil {
		return &t.dummy
	}
	o, ok := t.broadcastOp(opSub, a, b)
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
			yr[j] = v - zr[j]
		}
	}
	return o.out
}

func subBackward(t *Tape, o *op) {
	a, b, dy := o.in[0], o.in[1], o.out.Grad
	if a.needsGrad {
		kernels.Axpy(1, dy, t.grad(a))
	}
	if !b.needsGrad {
		return
	}
	db := t.grad(b)
	if o.n[0] == 0 {
		kernels.Axpy(-1, dy, db)
		return
	}
	c := len(db)
	for r := 0; r+c <= len(dy); r += c {
		for j, v := range dy[r : r+c] {
			db[j] -= v
		}
	}
}
