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
	row, ok := rowBroadcast(a.Value.Shape, b.Value.Shape)
	if !ok {
		return t.fail(opSub, "%w: %v and %v (b must match a or be one row of width %d)", ErrShape, a.Value.Shape, b.Value.Shape, a.Value.Shape.Cols())
	}
	o := t.record(opSub, a.Value.Shape, a, b)
	o.n[0] = b2i(row)
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
