package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/rrra/rrra/internal/benchenv"
)

// Benchmarks are named BenchmarkSgemm/<tier>/<NN|NT|TN>/<m>x<n>x<k>/t<threads>
// and report GFLOP/s (2mnk per product); compare them with the peers through
// bench/ (see bench/README.md).

var benchShapes = [][3]int{
	{64, 64, 64}, {128, 128, 128}, {256, 256, 256}, {512, 512, 512},
	{1024, 1024, 1024}, {2048, 2048, 2048},
	{4096, 256, 256}, {4096, 1024, 256}, {4096, 256, 1024},
}

func withThreads(b *testing.B, f func(b *testing.B)) {
	for _, th := range benchenv.Threads() {
		b.Run(fmt.Sprintf("t%d", th), func(b *testing.B) {
			prev := SetThreads(th)
			defer SetThreads(prev)
			f(b)
		})
	}
}

func BenchmarkSgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	forEachTier(b, func(b *testing.B) {
		for _, tr := range []string{"NN", "NT", "TN"} {
			b.Run(tr, func(b *testing.B) {
				for _, sh := range benchShapes {
					m, n, k := sh[0], sh[1], sh[2]
					transA, transB := tr == "TN", tr == "NT"
					lda, ldb := k, n
					if transA {
						lda = m
					}
					if transB {
						ldb = k
					}
					a, bm, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
					fillRandom(r, a)
					fillRandom(r, bm)
					b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
						withThreads(b, func(b *testing.B) {
							b.ReportAllocs()
							for b.Loop() {
								Sgemm(transA, transB, m, n, k, 1, a, lda, bm, ldb, 0, c, n)
							}
							b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
						})
					})
				}
			})
		}
	})
}

// BenchmarkSgemmBatched measures the attention products of one layer:
// 64 heads of QKᵀ (128×128×64, NT) and of P·V (128×64×128, NN), named
// BenchmarkSgemmBatched/<tier>/<NT|NN>/<batch>x<m>x<n>x<k>/t<threads>.
func BenchmarkSgemmBatched(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	forEachTier(b, func(b *testing.B) {
		for _, tc := range []struct {
			tr             string
			batch, m, n, k int
			lda, ldb       int
			transA, transB bool
		}{
			{"NT", 64, 128, 128, 64, 64, 64, false, true},
			{"NN", 64, 128, 64, 128, 128, 64, false, false},
		} {
			sa, sb, sc := tc.m*tc.k, tc.k*tc.n, tc.m*tc.n
			a, bm, c := make([]float32, tc.batch*sa), make([]float32, tc.batch*sb), make([]float32, tc.batch*sc)
			fillRandom(r, a)
			fillRandom(r, bm)
			b.Run(fmt.Sprintf("%s/%dx%dx%dx%d", tc.tr, tc.batch, tc.m, tc.n, tc.k), func(b *testing.B) {
				withThreads(b, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						SgemmBatched(tc.transA, tc.transB, tc.batch, tc.m, tc.n, tc.k, 1, a, tc.lda, sa, bm, tc.ldb, sb, 0, c, tc.n, sc)
					}
					flops := 2 * float64(tc.batch*tc.m*tc.n*tc.k)
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			})
		}
	})
}

// BenchmarkDot reports the bytes of x and y read per second.
func BenchmarkDot(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	forEachTier(b, func(b *testing.B) {
		for _, n := range []int{256, 4096, 32768, 1 << 20, 1 << 24} {
			x, y := make([]float32, n), make([]float32, n)
			fillRandom(r, x)
			fillRandom(r, y)
			b.Run(fmt.Sprint(n), func(b *testing.B) {
				var s float32
				for b.Loop() {
					s += Dot(x, y)
				}
				b.ReportMetric(8*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
				sinkF32 = s
			})
		}
	})
}

var sinkF32 float32

// BenchmarkScores scores nq queries against 100,000 documents of dimension
// d, reporting queries/s and the document bytes streamed per second.
func BenchmarkScores(b *testing.B) {
	r := rand.New(rand.NewPCG(4, 4))
	const n = 100000
	forEachTier(b, func(b *testing.B) {
		for _, d := range []int{128, 384} {
			docs := make([]float32, n*d)
			fillRandom(r, docs)
			for _, nq := range []int{1, 64} {
				q, out := make([]float32, nq*d), make([]float32, nq*n)
				fillRandom(r, q)
				b.Run(fmt.Sprintf("d%d/nq%d", d, nq), func(b *testing.B) {
					withThreads(b, func(b *testing.B) {
						for b.Loop() {
							Scores(nq, n, d, q, d, docs, d, out, n)
						}
						b.ReportMetric(float64(nq*b.N)/b.Elapsed().Seconds(), "queries/s")
						b.ReportMetric(4*float64(n*d)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
					})
				})
			}
		}
	})
}

// BenchmarkDotRowsU8 times the SQ8 scan kernel on rows of 384 bytes: a
// list of 1,000 (384 KB, in L2, as an IVF list is when probed) and
// 100,000 (38 MB, streamed from memory).
func BenchmarkDotRowsU8(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 5))
	const d = 384
	w := make([]float32, d)
	fillRandom(r, w)
	forEachTier(b, func(b *testing.B) {
		for _, n := range []int{1000, 100000} {
			codes := make([]uint8, n*d)
			for i := range codes {
				codes[i] = uint8(r.IntN(256))
			}
			out := make([]float32, n)
			b.Run(fmt.Sprintf("d%d/rows%d", d, n), func(b *testing.B) {
				for b.Loop() {
					DotRowsU8(w, codes, d, out)
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
				b.ReportMetric(float64(n*d)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	})
}

// BenchmarkMicroKernel runs each tier's SGEMM micro-kernel alone on panels
// that stay in L1 (depth 256): the ceiling the blocked driver can approach.
// On a CPU whose FMA units are all busy, GFLOP/s ÷ (FMA flops per cycle)
// bounds the clock from below.
func BenchmarkMicroKernel(b *testing.B) {
	forEachTier(b, func(b *testing.B) {
		t := current.Load()
		const k = 256
		a, bp, c := make([]float32, t.mr*k), make([]float32, t.nr*k), make([]float32, t.mr*t.nr)
		r := rand.New(rand.NewPCG(5, 5))
		fillRandom(r, a)
		fillRandom(r, bp)
		for b.Loop() {
			t.micro(k, a, bp, c, t.nr, 1, 0)
		}
		b.ReportMetric(2*float64(t.mr*t.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
