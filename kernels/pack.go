package kernels

import "sync"

// packA copies the mb×kb block of op(A) at rows ic.., depth pc.. into dst as
// micro-panels of mr rows: panel r holds, for each p < kb, the mr values
// op(A)[ic+r*mr+i, pc+p] at dst[r*mr*kb + p*mr + i]. Rows past mb are zero.
// t's packing hooks (gatherA, copyA; nil t: none) do full panels.
func packA(t *tier, trans bool, a []float32, lda, ic, pc, mb, kb, mr int, dst []float32) {
	for r := 0; r < mb; r += mr {
		rows := min(mr, mb-r)
		d := dst[r*kb : r*kb+mr*kb]
		if trans {
			// op(A)[i, p] = a[p*lda+i]: each depth step is a contiguous run.
			src := a[pc*lda+ic+r:]
			if t != nil && t.copyA != nil && rows == mr && kb > 0 {
				t.copyA(d, src, lda, kb)
				continue
			}
			copyRuns(d, mr, src, lda, rows, kb)
			continue
		}
		src := a[(ic+r)*lda+pc:]
		if t != nil && t.gatherA != nil && rows == mr && kb >= t.gatherQ {
			kq := kb - kb%t.gatherQ
			t.gatherA(src, lda, kq, d)
			if kq < kb {
				gatherRows(d[mr*kq:], mr, src[kq:], lda, mr, kb-kq)
			}
			continue
		}
		gatherRows(d, mr, src, lda, rows, kb)
	}
}

// packB copies the kb×nb block of op(B) at depth pc.., columns jc.. into
// dst as micro-panels of nr columns: panel q holds, for each p < kb, the nr values
// op(B)[pc+p, jc+q*nr+j] at dst[q*nr*kb + p*nr + j]. Columns past nb are zero.
//
// t's packing hooks (copyB, gatherB) do full panels.
func packB(t *tier, trans bool, b []float32, ldb, pc, jc, kb, nb, nr int, dst []float32) {
	for j0 := 0; j0 < nb; j0 += nr {
		cols := min(nr, nb-j0)
		d := dst[j0*kb : j0*kb+nr*kb]
		if !trans {
			// op(B)[p, j] = b[p*ldb+j]: each depth step is a contiguous run.
			src := b[pc*ldb+jc+j0:]
			if t.copyB != nil && cols == nr && kb > 0 {
				t.copyB(d, src, ldb, kb)
				continue
			}
			copyRuns(d, nr, src, ldb, cols, kb)
			continue
		}
		src := b[(jc+j0)*ldb+pc:]
		if t.gatherB != nil && cols == nr && kb >= t.gatherQ {
			kq := kb - kb%t.gatherQ
			t.gatherB(src, ldb, kq, d)
			if kq < kb {
				gatherRows(d[nr*kq:], nr, src[kq:], ldb, nr, kb-kq)
			}
			continue
		}
		gatherRows(d, nr, src, ldb, cols, kb)
	}
}

// copyRuns sets d[p*w : p*w+n] = src[p*ld : p*ld+n] for p < kb and zeroes
// d[p*w+n : p*w+w]: a panel whose depth steps are contiguous in the source.
func copyRuns(d []float32, w int, src []float32, ld, n, kb int) {
	d = d[:w*kb]
	switch {
	case n == 16 && w == 16:
		for p := 0; p < kb; p++ {
			*(*[16]float32)(d[p*16:]) = *(*[16]float32)(src[p*ld:])
		}
	case n == 6 && w == 6:
		for p := 0; p < kb; p++ {
			*(*[6]float32)(d[p*6:]) = *(*[6]float32)(src[p*ld:])
		}
	case n == 12 && w == 12: // the neon tier's B panels (arm64): three LDP/STP pairs
		for p := 0; p < kb; p++ {
			*(*[12]float32)(d[p*12:]) = *(*[12]float32)(src[p*ld:])
		}
	case n == 8 && w == 8: // the neon tier's transposed A panels
		for p := 0; p < kb; p++ {
			*(*[8]float32)(d[p*8:]) = *(*[8]float32)(src[p*ld:])
		}

	default:
		for p := 0; p < kb; p++ {
			dp := d[p*w : p*w+w]
			copy(dp, src[p*ld:p*ld+n])
			clear(dp[n:])
		}
	}
}

// gatherRows sets d[p*w+i] = src[i*ld+p] for i < n, p < kb, and zeroes
// d[p*w+i] for n <= i < w: a panel whose depth steps are strided in the
// source, so the block is transposed while it is copied.
func gatherRows(d []float32, w int, src []float32, ld, n, kb int) {
	d = d[:w*kb]
	if n == 6 && w == 6 {
		// The avx2 tier's A panel: six read streams, one write stream.
		r0 := src[:kb]
		r1 := src[ld : ld+kb]
		r2 := src[2*ld : 2*ld+kb]
		r3 := src[3*ld : 3*ld+kb]
		r4 := src[4*ld : 4*ld+kb]
		r5 := src[5*ld : 5*ld+kb]
		r1, r2, r3, r4, r5 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)], r4[:len(r0)], r5[:len(r0)]
		for p, v := range r0 {
			dp := (*[6]float32)(d[p*6 : p*6+6])
			dp[0], dp[1], dp[2], dp[3], dp[4], dp[5] = v, r1[p], r2[p], r3[p], r4[p], r5[p]
		}
		return
	}
	i := 0
	// Four source rows at a time: four read streams, one write stream.
	for ; i+4 <= n; i += 4 {
		r0 := src[i*ld : i*ld+kb]
		r1 := src[(i+1)*ld : (i+1)*ld+kb]
		r2 := src[(i+2)*ld : (i+2)*ld+kb]
		r3 := src[(i+3)*ld : (i+3)*ld+kb]
		r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
		for p, v := range r0 {
			dp := d[p*w+i : p*w+i+4 : p*w+i+4]
			dp[0], dp[1], dp[2], dp[3] = v, r1[p], r2[p], r3[p]
		}
	}
	for ; i < n; i++ {
		r := src[i*ld : i*ld+kb]
		for p, v := range r {
			d[p*w+i] = v
		}
	}
	for ; i < w; i++ {
		for p := 0; p < kb; p++ {
			d[p*w+i] = 0
		}
	}
}

// workspace holds one goroutine's packing buffers for one tier.
type workspace struct {
	a, b, tmp []float32
	bufs      [3]*[]float32
}

// panels keeps packing buffers by length; a steady stream of same-shaped
// products allocates nothing.
var panels sync.Map // int -> *freeList[[]float32]

func getPanel(n int) *[]float32 {
	list, ok := panels.Load(n)
	if !ok {
		list, _ = panels.LoadOrStore(n, &freeList[[]float32]{make: func() *[]float32 {
			s := make([]float32, n)
			return &s
		}})
	}
	return list.(*freeList[[]float32]).get()
}

func putPanel(s *[]float32) {
	if list, ok := panels.Load(len(*s)); ok {
		list.(*freeList[[]float32]).put(s)
	}
}

// getWorkspace returns buffers for tier t: a block of packed A, a block of
// packed B and an mr×nr scratch tile.
func getWorkspace(t *tier) *workspace {
	w := workspaces.get()
	w.bufs[0] = getPanel(t.mc * t.kc)
	w.bufs[1] = getPanel(t.kc * t.nc)
	w.bufs[2] = getPanel(t.mr * t.nr)
	w.a, w.b, w.tmp = *w.bufs[0], *w.bufs[1], *w.bufs[2]
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
	workspaces.put(w)
}

var workspaces freeList[workspace]
