package kernels

import "fmt"

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major matrices, where
// op(X) is X or Xᵀ as transA and transB say; op(A) is m×k, op(B) is k×n and C
// is m×n. lda, ldb and ldc are the row strides of A, B and C as stored (A is
// k×m when transA). As in BLAS, C is not read when beta is 0 (NaN or Inf in C
// do not leak into the result), and A and B are not read when alpha is 0 or k
// is 0. Its equivalent Go loop is
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < n; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += opA(i, p) * opB(p, j)
//			}
//			c[i*ldc+j] = alpha*s + beta*c[i*ldc+j] // beta == 0: alpha*s
//		}
//	}
//
// with opA(i, p) = a[i*lda+p] (a[p*lda+i] when transA) and
// opB(p, j) = b[p*ldb+j] (b[j*ldb+p] when transB).
//
// Sgemm panics if a dimension is negative, a stride is shorter than its row,
// or a slice is too short for the matrix it holds. The work is split across
// Threads() goroutines when it is large enough to pay for them.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	gemm(current.Load(), Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmSerial is Sgemm computed on the calling goroutine alone, for work
// that already runs its independent products on separate goroutines (a
// kernels.Parallel task that multiplies per attention head, say): the
// result is the same as Sgemm's, bit for bit, for any thread count.
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	gemm(current.Load(), 1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmBatched computes batch independent products
// C_s = alpha·op(A_s)·op(B_s) + beta·C_s for s < batch, where matrix s of X
// starts at x[s*strideX] and is laid out as for Sgemm. A stride of 0 reuses
// one matrix for every product (not allowed for C unless batch <= 1). The
// products are spread across Threads() goroutines, each computed
// single-threaded, so results do not depend on the thread count.
func SgemmBatched(transA, transB bool, batch, m, n, k int, alpha float32,
	a []float32, lda, strideA int, b []float32, ldb, strideB int,
	beta float32, c []float32, ldc, strideC int) {
	SgemmBatched2D(transA, transB, batch, 1, m, n, k, alpha, a, lda, strideA, 0, b, ldb, strideB, 0, beta, c, ldc, strideC, 0)
}

// SgemmBatched2D is SgemmBatched over a two-level grid of products: product
// (i, j), i < nb1, j < nb2, has X_ij starting at x[i*sx1 + j*sx2]. Attention
// heads stored inside rows use it: for Q of shape [B, T, H·D], head h of
// batch element b starts at b·T·H·D + h·D with row stride H·D. Two products
// must not share elements of C (unless there is only one).
func SgemmBatched2D(transA, transB bool, nb1, nb2, m, n, k int, alpha float32,
	a []float32, lda, sa1, sa2 int, b []float32, ldb, sb1, sb2 int,
	beta float32, c []float32, ldc, sc1, sc2 int) {
	if nb1 < 0 || nb2 < 0 || sa1 < 0 || sa2 < 0 || sb1 < 0 || sb2 < 0 || sc1 < 0 || sc2 < 0 {
		panic(fmt.Sprintf("kernels: SgemmBatched: negative count (%d, %d) or stride", nb1, nb2))
	}
	batch := nb1 * nb2
	if batch == 0 {
		return
	}
	if batch > 1 && ((nb1 > 1 && sc1 == 0) || (nb2 > 1 && sc2 == 0)) {
		panic("kernels: SgemmBatched: a stride of C is 0 for more than one product")
	}
	i, j := nb1-1, nb2-1
	checkGemm(transA, transB, m, n, k, a[min(i*sa1+j*sa2, len(a)):], lda, b[min(i*sb1+j*sb2, len(b)):], ldb, c[min(i*sc1+j*sc2, len(c)):], ldc)
	nt := min(Threads(), batch)
	if flops := 2 * float64(m) * float64(n) * float64(k) * float64(batch); flops < minParallelFlops {
		nt = 1
	}
	job := batchJobs.get()
	*job = batchJob{p: gemmProblem{t: current.Load(), transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc},
		nb2: nb2, sa1: sa1, sa2: sa2, sb1: sb1, sb2: sb2, sc1: sc1, sc2: sc2}
	parallelRun(nt, batch, job)
	*job = batchJob{}
	batchJobs.put(job)
}

// batchJob computes products [lo, hi) of a SgemmBatched2D call (product s
// is (s/nb2, s%nb2)), each on one goroutine; p holds the arguments with a, b
// and c at product (0, 0).
type batchJob struct {
	p                            gemmProblem
	nb2                          int
	sa1, sa2, sb1, sb2, sc1, sc2 int
}

var batchJobs freeList[batchJob]

func (j *batchJob) Run(lo, hi int) {
	p := &j.p
	for s := lo; s < hi; s++ {
		i, k := s/j.nb2, s%j.nb2
		gemm(p.t, 1, p.transA, p.transB, p.m, p.n, p.k, p.alpha,
			p.a[i*j.sa1+k*j.sa2:], p.lda, p.b[i*j.sb1+k*j.sb2:], p.ldb, p.beta, p.c[i*j.sc1+k*j.sc2:], p.ldc)
	}
}

// minParallelFlops is the least work (2mnk) worth a second goroutine.
const minParallelFlops = 4e6

// checkGemm panics unless the arguments describe matrices that fit their
// slices.
func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Sgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k // A as stored
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("A", ar, ac, a, lda)
	checkMatrix("B", br, bc, b, ldb)
	checkMatrix("C", m, n, c, ldc)
}

func checkMatrix(name string, rows, cols int, x []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("kernels: Sgemm: ld%s=%d is less than its %d columns", name, ld, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; len(x) < need {
		panic(fmt.Sprintf("kernels: Sgemm: %s has %d elements, a %d×%d matrix with stride %d needs %d", name, len(x), rows, cols, ld, need))
	}
}

// gemm runs the blocked algorithm of tier t on up to nt goroutines. Arguments
// have been checked.
func gemm(t *tier, nt int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		return
	}
	if 2*float64(m)*float64(n)*float64(k) < minParallelFlops {
		nt = 1
	}
	mt := (m + t.mr - 1) / t.mr // row tiles
	nTiles := (n + t.nr - 1) / t.nr
	p := gemmProblem{t: t, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc,
		directA: !transA && t.microA != nil && n <= directAMaxN && lda%512 != 0}
	if nt <= 1 {
		w := getWorkspace(t)
		p.run(w, 0, m, 0, n)
		putWorkspace(w)
		return
	}
	gemmParallel(p, nt, mt, nTiles)
}

// gemmParallel splits p across nt goroutines into blocks of whole tiles,
// each computed independently with its own packing buffers. Splitting by
// columns makes every goroutine pack all of A (nothing, when A is read in
// place); splitting by rows makes every goroutine pack all of B. The split
// that duplicates less packing wins. (Sharing one packed B behind a barrier
// measured slower on two cores than packing it twice.)
func gemmParallel(p gemmProblem, nt, mt, nTiles int) {
	dupA := p.m * p.k // packing duplicated by a column split
	if p.directA {
		dupA = 0
	}
	j := splitJobs.get()
	j.p = p
	j.byCols = nTiles >= nt && (dupA <= p.k*p.n || mt < nt)
	if j.byCols {
		j.nt = min(nt, nTiles)
		j.tiles = nTiles
	} else {
		j.nt = min(nt, mt)
		j.tiles = mt
	}
	parallelRun(j.nt, j.nt, j)
	*j = splitJob{}
	splitJobs.put(j)
}

// splitJob is one gemmParallel call: goroutine w computes block w of nt,
// a contiguous run of whole row or column tiles.
type splitJob struct {
	p         gemmProblem
	byCols    bool
	nt, tiles int
}

var splitJobs freeList[splitJob]

func (j *splitJob) Run(w, _ int) {
	t := j.p.t
	ws := getWorkspace(t)
	if j.byCols {
		lo, hi := w*j.tiles/j.nt*t.nr, min(j.p.n, (w+1)*j.tiles/j.nt*t.nr)
		j.p.run(ws, 0, j.p.m, lo, hi)
	} else {
		lo, hi := w*j.tiles/j.nt*t.mr, min(j.p.m, (w+1)*j.tiles/j.nt*t.mr)
		j.p.run(ws, lo, hi, 0, j.p.n)
	}
	putWorkspace(ws)
}

// directAMaxN is the widest C for which A is read in place rather than
// packed: a packed block of A is reused once per nr columns of C, so for
// narrow products packing costs more than it saves. Rows of A whose stride
// is a multiple of 2 KiB (lda%512 == 0) alias in the L1 cache and ran at
// half speed read in place (measured on Zen 4), so those are still packed.
var directAMaxN = 512

type gemmProblem struct {
	t              *tier
	transA, transB bool
	directA        bool // A is read in place by t.microA, except its last partial panel
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

// run computes rows [m0, m1) and columns [n0, n1) of C, whose boundaries are
// multiples of the tile sizes (except at the matrix edge), so every element
// sees the same tiles, and so the same operations, for any split.
func (p *gemmProblem) run(w *workspace, m0, m1, n0, n1 int) {
	t := p.t
	mr, nr := t.mr, t.nr
	bp := w.b
	ap := w.a
	tmp := w.tmp
	for jc := n0; jc < n1; jc += t.nc {
		nb := min(t.nc, n1-jc)
		for pc := 0; pc < p.k; pc += t.kc {
			kb := min(t.kc, p.k-pc)
			beta := p.beta
			if pc > 0 {
				beta = 1
			}
			packB(t, p.transB, p.b, p.ldb, pc, jc, kb, nb, nr, bp)
			for ic := m0; ic < m1; ic += t.mc {
				mb := min(t.mc, m1-ic)
				if !p.directA {
					packA(t, p.transA, p.a, p.lda, ic, pc, mb, kb, mr, ap)
				} else if full := mb / mr * mr; full < mb {
					packA(nil, false, p.a, p.lda, ic+full, pc, mb-full, kb, mr, ap[full*kb:])
				}
				for jr := 0; jr < nb; jr += nr {
					cols := min(nr, nb-jr)
					bpan := bp[jr*kb : jr*kb+nr*kb]
					for ir := 0; ir < mb; ir += mr {
						rows := min(mr, mb-ir)
						off := (ic+ir)*p.ldc + jc + jr
						if p.directA && rows == mr {
							arow := p.a[(ic+ir)*p.lda+pc:]
							if cols == nr {
								t.microA(kb, arow, p.lda, bpan, p.c[off:], p.ldc, p.alpha, beta)
								continue
							}
							t.microA(kb, arow, p.lda, bpan, tmp, nr, 1, 0)
							mergeTile(tmp, nr, p.c[off:], p.ldc, rows, cols, p.alpha, beta)
							continue
						}
						apan := ap[ir*kb : ir*kb+mr*kb]
						if rows == mr && cols == nr {
							t.micro(kb, apan, bpan, p.c[off:], p.ldc, p.alpha, beta)
							continue
						}
						t.micro(kb, apan, bpan, tmp, nr, 1, 0)
						mergeTile(tmp, nr, p.c[off:], p.ldc, rows, cols, p.alpha, beta)
					}
				}
			}
		}
	}
}

// mergeTile stores the rows×cols corner of an edge tile computed with alpha 1
// and beta 0, with the same rounding as the micro-kernels' own stores:
// c = float32(alpha·t) + float32(beta·c), and c = alpha·t when beta is 0.
func mergeTile(t []float32, ldt int, c []float32, ldc, rows, cols int, alpha, beta float32) {
	for i := 0; i < rows; i++ {
		tr := t[i*ldt : i*ldt+cols]
		cr := c[i*ldc : i*ldc+cols]
		if beta == 0 {
			for j, v := range tr {
				cr[j] = alpha * v
			}
			continue
		}
		for j, v := range tr {
			cr[j] = float32(alpha*v) + float32(beta*cr[j])
		}
	}
}

// scaleMatrix sets C = beta·C, or C = 0 without reading it when beta is 0.
func scaleMatrix(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}
