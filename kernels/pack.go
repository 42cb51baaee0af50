package kernels

import "sync"

// packA copies the mb×kb block of op(A) at rows ic.., depth pc.. into dst as
// micro-panels of mr rows: panel r holds, for each p < kb, the mr values
// op(A)[ic+r*mr+i, pc+p] at dst[r*mr*kb + p*mr + i]. Rows past mb are zero.
func packA(trans bool, a []float32, lda, ic, pc, mb, kb, mr int, dst []float32) {
	for r := 0; r < mb; r += mr {
		rows := min(mr, mb-r)
		d := dst[r*kb : r*kb+mr*kb]
		if trans {
			// op(A)[i, p] = a[p*lda+i]: each depth step is a contiguous run.
			for p := 0; p < kb; p++ {
				src := a[(pc+p)*lda+ic+r:]
				dp := d[p*mr : p*mr+mr]
				copy(dp, src[:rows])
				clear(dp[rows:])
			}
			continue
		}
		for i := 0; i < rows; i++ {
			src := a[(ic+r+i)*lda+pc:]
			src = src[:kb]
			for p, v := range src {
				d[p*mr+i] = v
			}
		}
		for i := rows; i < mr; i++ {
			for p := 0; p < kb; p++ {
				d[p*mr+i] = 0
			}
		}
	}
}

// packB copies micro-panels lo..hi-1 of the kb×nb block of op(B) at depth
// pc.., columns jc.. into dst: panel q holds, for each p < kb, the nr values
// op(B)[pc+p, jc+q*nr+j] at dst[q*nr*kb + p*nr + j]. Columns past nb are zero.
func packB(trans bool, b []float32, ldb, pc, jc, kb, nb, nr, lo, hi int, dst []float32) {
	for q := lo; q < hi; q++ {
		j0 := q * nr
		cols := min(nr, nb-j0)
		d := dst[j0*kb : j0*kb+nr*kb]
		if !trans {
			// op(B)[p, j] = b[p*ldb+j]: each depth step is a contiguous run.
			for p := 0; p < kb; p++ {
				dp := d[p*nr : p*nr+nr]
				copy(dp, b[(pc+p)*ldb+jc+j0:][:cols])
				clear(dp[cols:])
			}
			continue
		}
		for j := 0; j < cols; j++ {
			src := b[(jc+j0+j)*ldb+pc:]
			src = src[:kb]
			for p, v := range src {
				d[p*nr+j] = v
			}
		}
		for j := cols; j < nr; j++ {
			for p := 0; p < kb; p++ {
				d[p*nr+j] = 0
			}
		}
	}
}

// workspace holds one goroutine's packing buffers for one tier.
type workspace struct {
	a, b, tmp []float32
	bufs      [3]*[]float32
}

// panels pools packing buffers by length; a steady stream of same-shaped
// products allocates nothing.
var panels sync.Map // int -> *sync.Pool of *[]float32

func getPanel(n int) *[]float32 {
	pool, ok := panels.Load(n)
	if !ok {
		pool, _ = panels.LoadOrStore(n, &sync.Pool{New: func() any {
			s := make([]float32, n)
			return &s
		}})
	}
	return pool.(*sync.Pool).Get().(*[]float32)
}

func putPanel(s *[]float32) {
	if pool, ok := panels.Load(len(*s)); ok {
		pool.(*sync.Pool).Put(s)
	}
}

// getWorkspace returns buffers for tier t: a block of packed A, an mr×nr
// scratch tile and, unless B is shared, a block of packed B.
func getWorkspace(t *tier, sharedB bool) *workspace {
	w := wsPool.Get().(*workspace)
	w.bufs[0] = getPanel(t.mc * t.kc)
	w.bufs[2] = getPanel(t.mr * t.nr)
	w.a, w.tmp = *w.bufs[0], *w.bufs[2]
	if !sharedB {
		w.bufs[1] = getPanel(t.kc * t.nc)
		w.b = *w.bufs[1]
	}
	return w
}

func putWorkspace(w *workspace) {
	for i, b := range w.bufs {
		if b != nil {
			putPanel(b)
			w.bufs[i] = nil
		}
	}
	w.a, w.b, w.tmp = nil, nil, nil
	wsPool.Put(w)
}

var wsPool = sync.Pool{New: func() any { return new(workspace) }}

// barrier lets n goroutines wait for each other, repeatedly.
type barrier struct {
	mu    sync.Mutex
	cond  sync.Cond
	n     int
	count int
	gen   uint64
}

func newBarrier(n int) *barrier {
	b := &barrier{n: n}
	b.cond.L = &b.mu
	return b
}

// wait blocks until all n goroutines have called wait in this round.
func (b *barrier) wait() {
	b.mu.Lock()
	gen := b.gen
	b.count++
	if b.count == b.n {
		b.count = 0
		b.gen++
		b.cond.Broadcast()
		b.mu.Unlock()
		return
	}
	for gen == b.gen {
		b.cond.Wait()
	}
	b.mu.Unlock()
}
