package autograd

import "github.com/rrra/rrra/kernels"

// Element-wise and column-wise helpers that split their work across the
// kernels' goroutines. Each is a task struct owned by the Tape (one tape is
// used by one goroutine at a time), so splitting allocates nothing, and
// each element's arithmetic does not depend on the split: same bits for
// any thread count.

// vecTask is dst = src (copy), dst += src (add), or dst = a + src (sum), on
// 8-element blocks.
type vecTask struct {
	dst, a, src []float32
	mode        int
}

const (
	vecCopy = iota
	vecAdd
	vecSum
)

func (v *vecTask) Run(lo, hi int) {
	lo, hi = span8(lo, hi, len(v.dst))
	switch v.mode {
	case vecCopy:
		copy(v.dst[lo:hi], v.src[lo:hi])
	case vecAdd:
		kernels.Axpy(1, v.src[lo:hi], v.dst[lo:hi])
	case vecSum:
		copy(v.dst[lo:hi], v.a[lo:hi])
		kernels.Axpy(1, v.src[lo:hi], v.dst[lo:hi])
	}
}

func (t *Tape) vec(mode int, dst, a, src []float32) {
	t.vt = vecTask{dst: dst, a: a, src: src, mode: mode}
	kernels.Parallel(blocks8(len(dst)), elemGrain/8, &t.vt)
	t.vt = vecTask{}
}

// rowTask is y = x + b for every row of width len(b) (a bias), or y += b
// when x is nil, on rows.
type rowTask struct{ y, x, b []float32 }

func (r *rowTask) Run(lo, hi int) {
	c := len(r.b)
	for i := lo; i < hi; i++ {
		yr := r.y[i*c : (i+1)*c]
		if r.x != nil {
			copy(yr, r.x[i*c:(i+1)*c])
		}
		kernels.Axpy(1, r.b, yr)
	}
}

func (t *Tape) addRows(y, x, b []float32) {
	if len(b) == 0 {
		return
	}
	t.rt = rowTask{y: y, x: x, b: b}
	kernels.Parallel(len(y)/len(b), rowGrain(len(b)), &t.rt)
	t.rt = rowTask{}
}

// colTask adds the column sums of the rows×cols matrix g into dst (and, for
// LayerNorm, the sums of g ⊙ x̂ into dst2), split over blocks of columns;
// every column is summed over rows in order.
type colTask struct {
	dst, g, dst2 []float32
	x, mean, rs  []float32 // LayerNorm: x̂ = (x − mean[r])·rs[r]
	cols         int
}

func (c *colTask) Run(lo, hi int) {
	lo, hi = lo*8, min(hi*8, c.cols)
	rows := len(c.g) / c.cols
	for r := 0; r < rows; r++ {
		gr := c.g[r*c.cols+lo : r*c.cols+hi]
		if c.dst != nil {
			kernels.Axpy(1, gr, c.dst[lo:hi])
		}
		if c.dst2 != nil {
			xr, d2 := c.x[r*c.cols+lo:r*c.cols+hi], c.dst2[lo:hi]
			mu, rs := c.mean[r], c.rs[r]
			for j, g := range gr {
				d2[j] += g * (xr[j] - mu) * rs
			}
		}
	}
}

func (t *Tape) colSums(ct colTask) {
	if ct.cols == 0 {
		return
	}
	t.ct = ct
	// Columns in blocks of 8; the grain keeps a goroutine's share of the
	// matrix above elemGrain elements.
	rows := len(ct.g) / ct.cols
	kernels.Parallel(blocks8(ct.cols), max(1, elemGrain/max(8*rows, 1)), &t.ct)
	t.ct = colTask{}
}
