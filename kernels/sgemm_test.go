package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

var testSizes = []int{0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 257}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	padA, padB     int // extra stride beyond the row length
	padC           int
	off            int // misalignment of every slice start, 0..3
	alpha, beta    float32
}

func (c gemmCase) String() string {
	tr := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s/%dx%dx%d/pad%d,%d,%d/off%d/a%g,b%g", tr(c.transA), tr(c.transB),
		c.m, c.n, c.k, c.padA, c.padB, c.padC, c.off, c.alpha, c.beta)
}

// runGemmCase runs one case on the selected tier and checks every element
// against the float64 reference, the guard bands, and that beta = 0 ignores
// NaN in C.
func runGemmCase(t *testing.T, r *rand.Rand, tc gemmCase) {
	t.Helper()
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc := max(1, ac+tc.padA), max(1, bc+tc.padB), max(1, tc.n+tc.padC)
	size := func(rows, ld int) int { return rows * ld }
	ga, gb, gc := newGuarded(size(ar, lda), tc.off), newGuarded(size(br, ldb), (tc.off+1)%4), newGuarded(size(tc.m, ldc), (tc.off+2)%4)
	a, b, c := ga.s(), gb.s(), gc.s()
	fillRandom(r, a)
	fillRandom(r, b)
	fillRandom(r, c)
	if tc.beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN())
		}
	}
	c0 := append([]float32(nil), c...)
	ref, mag := refGemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c0, ldc)
	Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	ga.check(t, tc.String()+" A")
	gb.check(t, tc.String()+" B")
	gc.check(t, tc.String()+" C")
	for i := 0; i < tc.m; i++ {
		for j := 0; j < ldc; j++ {
			got := c[i*ldc+j]
			if j >= tc.n {
				// Padding between rows of C must be left alone.
				if got != c0[i*ldc+j] && !(math.IsNaN(float64(got)) && math.IsNaN(float64(c0[i*ldc+j]))) {
					t.Fatalf("%v: C padding (%d,%d) changed from %v to %v", tc, i, j, c0[i*ldc+j], got)
				}
				continue
			}
			want := ref[i*tc.n+j]
			if d := math.Abs(float64(got) - want); !(d <= gemmTol(tc.k, mag[i*tc.n+j])) {
				t.Fatalf("%v: C[%d,%d] = %v, want %v (error %.3g > tolerance %.3g)", tc, i, j, got, want, d, gemmTol(tc.k, mag[i*tc.n+j]))
			}
		}
	}
}

var alphaBeta = [][2]float32{{0, 0}, {0, 1}, {0, 0.25}, {1, 0}, {1, 1}, {1, 0.25}, {-0.5, 0}, {-0.5, 1}, {-0.5, 0.25}}

func TestSgemmSizes(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for i, s := range testSizes {
			shapes := [][3]int{
				{s, s, s},
				{s, testSizes[(i+5)%len(testSizes)], testSizes[(i+11)%len(testSizes)]},
				{testSizes[(i+7)%len(testSizes)], s, testSizes[(i+3)%len(testSizes)]},
			}
			for si, sh := range shapes {
				for tr := 0; tr < 4; tr++ {
					abs := alphaBeta
					if sh[0]*sh[1]*sh[2] > 1<<18 {
						abs = [][2]float32{alphaBeta[(si+tr)%len(alphaBeta)], {-0.5, 0.25}}
					}
					for _, ab := range abs {
						runGemmCase(t, r, gemmCase{
							transA: tr&1 != 0, transB: tr&2 != 0,
							m: sh[0], n: sh[1], k: sh[2],
							padA: (i + tr) % 3 * 5, padB: (i + si) % 2 * 3, padC: tr % 2 * 7,
							off:   (i + tr + si) % 4,
							alpha: ab[0], beta: ab[1],
						})
					}
				}
			}
		}
	})
}

func TestSgemmRandomShapes(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		n := 300
		if testing.Short() {
			n = 60
		}
		for i := 0; i < n; i++ {
			ab := alphaBeta[r.IntN(len(alphaBeta))]
			runGemmCase(t, r, gemmCase{
				transA: r.IntN(2) == 1, transB: r.IntN(2) == 1,
				m: r.IntN(70), n: r.IntN(70), k: r.IntN(300),
				padA: r.IntN(4) * r.IntN(9), padB: r.IntN(4) * r.IntN(9), padC: r.IntN(3) * r.IntN(9),
				off:   r.IntN(4),
				alpha: ab[0], beta: ab[1],
			})
		}
	})
}

// TestSgemmLarge crosses every cache-block boundary (mc, kc, nc) and the
// parallel split on each tier.
func TestSgemmLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large shapes skipped in -short mode")
	}
	forEachTier(t, func(t *testing.T) {
		tr := current.Load()
		r := rand.New(rand.NewPCG(5, 6))
		m, n, k := 2*tr.mc+tr.mr+1, tr.nc+tr.nr+3, 2*tr.kc+5
		for _, tc := range []gemmCase{
			{m: m, n: n, k: k, alpha: 1, beta: 0, padA: 1, padC: 2},
			{transA: true, transB: true, m: m, n: 37, k: k, alpha: -0.5, beta: 0.25, off: 1},
			{transB: true, m: 5, n: n, k: k, alpha: 1, beta: 1, off: 3}, // column split
		} {
			runGemmCase(t, r, tc)
		}
	})
}

// TestSgemmThreadsSameBits checks that the result does not depend on the
// thread count: every element sees the same operations.
func TestSgemmThreadsSameBits(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, sh := range [][3]int{{301, 297, 519}, {7, 3001, 130}, {640, 48, 64}} {
			m, n, k := sh[0], sh[1], sh[2]
			a, b := make([]float32, m*k), make([]float32, k*n)
			fillRandom(r, a)
			fillRandom(r, b)
			var first []float32
			for _, th := range []int{1, 2, 3, 4} {
				prev := SetThreads(th)
				c := make([]float32, m*n)
				fillRandom(r, c)
				c0 := append([]float32(nil), c...)
				_ = c0
				for i := range c {
					c[i] = 0.5
				}
				Sgemm(false, true, m, n, k, 0.75, a, k, b, k, 0.5, c, n)
				SetThreads(prev)
				if first == nil {
					first = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
						t.Fatalf("%dx%dx%d: threads=%d differs from threads=1 at %d: %v vs %v", m, n, k, th, i, c[i], first[i])
					}
				}
			}
		}
	})
}

func TestSgemmBatched(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		const batch, m, n, k = 9, 33, 17, 65
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			sa, sb, sc := m*k+3, k*n+1, m*n+5
			a, b, c := make([]float32, batch*sa), make([]float32, batch*sb), make([]float32, batch*sc)
			fillRandom(r, a)
			fillRandom(r, b)
			fillRandom(r, c)
			c0 := append([]float32(nil), c...)
			lda, ldb := k, n
			if tr[0] {
				lda = m
			}
			if tr[1] {
				ldb = k
			}
			SgemmBatched(tr[0], tr[1], batch, m, n, k, 1.5, a, lda, sa, b, ldb, sb, 0.25, c, n, sc)
			for s := 0; s < batch; s++ {
				ref, mag := refGemm(tr[0], tr[1], m, n, k, 1.5, a[s*sa:], lda, b[s*sb:], ldb, 0.25, c0[s*sc:], n)
				for i := range ref {
					if d := math.Abs(float64(c[s*sc+i]) - ref[i]); !(d <= gemmTol(k, mag[i])) {
						t.Fatalf("trans %v batch %d element %d: got %v want %v", tr, s, i, c[s*sc+i], ref[i])
					}
				}
				for i := m * n; i < sc; i++ {
					if c[s*sc+i] != c0[s*sc+i] {
						t.Fatalf("batch %d: gap element %d between matrices changed", s, i)
					}
				}
			}
		}
	})
}

func TestSgemmPanics(t *testing.T) {
	a := make([]float32, 12)
	cases := []struct {
		name string
		f    func()
	}{
		{"negative m", func() { Sgemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) }},
		{"lda too small", func() { Sgemm(false, false, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) }},
		{"ldb too small (trans)", func() { Sgemm(false, true, 2, 2, 3, 1, a, 3, a, 2, 0, a, 2) }},
		{"C too short", func() { Sgemm(false, false, 4, 4, 1, 1, a, 1, a, 4, 0, a[:10], 4) }},
		{"A too short", func() { Sgemm(true, false, 3, 2, 5, 1, a, 3, a, 2, 0, a, 2) }},
		{"batched strideC 0", func() { SgemmBatched(false, false, 2, 1, 1, 1, 1, a, 1, 1, a, 1, 1, 0, a, 1, 0) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatalf("%s: no panic", c.name)
				}
			}()
			c.f()
		})
	}
}

// TestPackPanels checks each tier's assembly packing hooks against the Go
// loops (gatherRows, copyRuns): full A and B panels, gathered (depth steps
// strided in the source) or copied (depth steps contiguous), with guard
// bands around the panel (the assembly must not write past its end).
func TestPackPanels(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		tr := current.Load()
		gathers := []struct {
			name string
			f    func(src []float32, ld, kq int, dst []float32)
			w    int
		}{{"gatherA", tr.gatherA, tr.mr}, {"gatherB", tr.gatherB, tr.nr}}
		copies := []struct {
			name string
			f    func(dst, src []float32, ld, kb int)
			w    int
		}{{"copyA", tr.copyA, tr.mr}, {"copyB", tr.copyB, tr.nr}}
		r := rand.New(rand.NewPCG(21, 22))
		tested := 0
		for _, g := range gathers {
			if g.f == nil {
				continue
			}
			tested++
			q := tr.gatherQ
			for _, kq := range []int{q, 2 * q, 64, 256} {
				for _, ld := range []int{kq, kq + 1, kq + 13, 1024} {
					src := make([]float32, (g.w-1)*ld+kq)
					fillRandom(r, src)
					gd := newGuarded(g.w*kq, kq%4)
					g.f(src, ld, kq, gd.s())
					want := make([]float32, g.w*kq)
					gatherRows(want, g.w, src, ld, g.w, kq)
					for i, v := range gd.s() {
						if v != want[i] {
							t.Fatalf("%s kq=%d ld=%d: [%d] = %v, want %v", g.name, kq, ld, i, v, want[i])
						}
					}
					gd.check(t, g.name)
				}
			}
		}
		for _, c := range copies {
			if c.f == nil {
				continue
			}
			tested++
			for _, kb := range []int{1, 3, 64, 257} {
				for _, ld := range []int{c.w, c.w + 1, c.w + 13, 1024} {
					src := make([]float32, (kb-1)*ld+c.w)
					fillRandom(r, src)
					gd := newGuarded(c.w*kb, kb%4)
					c.f(gd.s(), src, ld, kb)
					want := make([]float32, c.w*kb)
					copyRuns(want, c.w, src, ld, c.w, kb)
					for i, v := range gd.s() {
						if v != want[i] {
							t.Fatalf("%s kb=%d ld=%d: [%d] = %v, want %v", c.name, kb, ld, i, v, want[i])
						}
					}
					gd.check(t, c.name)
				}
			}
		}
		if tested == 0 {
			t.Skipf("tier %s packs in Go", tr.name)
		}
	})
}

// TestSgemmNoAllocs checks that Sgemm, SgemmBatched and Scores allocate
// nothing once their buffers exist, single- and multi-threaded.
func TestSgemmNoAllocs(t *testing.T) {
	if testing.Short() && raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	forEachTier(t, func(t *testing.T) {
		const m, n, k = 200, 96, 64
		a, b, c := make([]float32, m*k), make([]float32, 8000), make([]float32, 20000)
		for _, th := range []int{1, 2} {
			prev := SetThreads(th)
			cases := map[string]func(){
				"Sgemm":        func() { Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) },
				"Sgemm wide":   func() { Sgemm(true, false, 8, 1000, 8, 1, a, 8, b, 1000, 0, c, 1000) },
				"SgemmBatched": func() { SgemmBatched(false, false, 4, 40, 24, 16, 1, a, 16, 640, b, 24, 384, 0, c, 24, 960) },
				"Scores":       func() { Scores(2, 500, 16, a, 16, b, 16, c, 500) },
			}
			for name, f := range cases {
				f() // warm the buffer pools
				if got := testing.AllocsPerRun(20, f); got != 0 {
					t.Errorf("%s, %d threads: %v allocations per call", name, th, got)
				}
			}
			SetThreads(prev)
		}
	})
}

// TestSgemmBatched2D checks the two-level grid against per-product Sgemm
// calls, with products interleaved inside rows as attention heads are.
func TestSgemmBatched2D(t *testing.T) {
	forEachTier(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(51, 52))
		const nb1, nb2, m, n, k = 3, 4, 5, 6, 7
		// A: [nb1, m, nb2·k] (head j at column j·k); B: [nb1, nb2, k, n];
		// C: [nb1, m, nb2·n].
		a, b, c := make([]float32, nb1*m*nb2*k), make([]float32, nb1*nb2*k*n), make([]float32, nb1*m*nb2*n)
		fillRandom(r, a)
		fillRandom(r, b)
		fillRandom(r, c)
		want := append([]float32(nil), c...)
		for i := 0; i < nb1; i++ {
			for j := 0; j < nb2; j++ {
				Sgemm(false, false, m, n, k, 0.5, a[i*m*nb2*k+j*k:], nb2*k, b[(i*nb2+j)*k*n:], n, 0.25, want[i*m*nb2*n+j*n:], nb2*n)
			}
		}
		SgemmBatched2D(false, false, nb1, nb2, m, n, k, 0.5, a, nb2*k, m*nb2*k, k, b, n, nb2*k*n, k*n, 0.25, c, nb2*n, m*nb2*n, n)
		for i := range c {
			if c[i] != want[i] {
				t.Fatalf("element %d: %v, want %v (per-product Sgemm)", i, c[i], want[i])
			}
		}
	})
}
