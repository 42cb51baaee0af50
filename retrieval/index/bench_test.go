package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rrra/rrra/internal/benchenv"
	"github.com/rrra/rrra/kernels"
)

// unitVecs returns n random unit vectors of dimension d.
func unitVecs(r *rand.Rand, n, d int) []float32 {
	v := randVecs(r, n, d)
	for i := range n {
		row := v[i*d : (i+1)*d]
		var s float64
		for _, x := range row {
			s += float64(x) * float64(x)
		}
		inv := float32(1 / math.Sqrt(s))
		for j := range row {
			row[j] *= inv
		}
	}
	return v
}

// BenchmarkSearch searches 100,000 random unit vectors with nq random
// unit queries per call, reporting queries per second and, for one query,
// the document matrix streamed in GB/s. bench/search.sh compares it with
// FAISS's IndexFlatIP.
func BenchmarkSearch(b *testing.B) {
	const n = 100000
	for _, d := range []int{128, 384} {
		var f *Flat
		index := func(b *testing.B) *Flat { // built once, when first needed
			if f == nil {
				f = newFlat(b, d, unitVecs(rand.New(rand.NewPCG(1, uint64(d))), n, d))
			}
			return f
		}
		for _, nq := range []int{1, 64} {
			queries := unitVecs(rand.New(rand.NewPCG(2, uint64(d))), nq, d)
			for _, k := range []int{10, 100} {
				for _, th := range benchenv.Threads() {
					b.Run(fmt.Sprintf("d%d/nq%d/k%d/t%d", d, nq, k, th), func(b *testing.B) {
						f := index(b)
						defer kernels.SetThreads(kernels.SetThreads(th))
						for b.Loop() {
							f.Search(queries, nq, k)
						}
						sec := b.Elapsed().Seconds()
						b.ReportMetric(float64(nq*b.N)/sec, "q/s")
						if nq == 1 {
							b.ReportMetric(4*float64(n*d)*float64(b.N)/sec/1e9, "GB/s")
						}
					})
				}
			}
		}
	}
}

// BenchmarkStream sums a 400 MB float32 array (kernels.Dot of 1 KiB
// pieces with a vector of ones that stays in L1), reporting GB/s: the
// memory bandwidth that bounds a one-query search, which must stream the
// whole document matrix. (With 16 KiB pieces it measured a third slower
// on Zen 4: the ones then take half the L1 cache from the stream.)
func BenchmarkStream(b *testing.B) {
	const size, piece = 100 << 20, 256 // floats
	var data []float32
	for _, th := range benchenv.Threads() {
		b.Run(fmt.Sprintf("t%d", th), func(b *testing.B) {
			if data == nil {
				data = make([]float32, size)
				for i := range data {
					data[i] = float32(i % 7)
				}
			}
			defer kernels.SetThreads(kernels.SetThreads(th))
			s := &streamSum{data: data, ones: make([]float32, piece), sums: make([]float32, size/piece)}
			for i := range s.ones {
				s.ones[i] = 1
			}
			for b.Loop() {
				kernels.Parallel(len(s.sums), 1, s)
			}
			b.ReportMetric(4*float64(size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

// streamSum sums pieces [lo, hi) of data.
type streamSum struct {
	data, ones, sums []float32
}

func (s *streamSum) Run(lo, hi int) {
	p := len(s.ones)
	for i := lo; i < hi; i++ {
		s.sums[i] = kernels.Dot(s.data[i*p:(i+1)*p], s.ones)
	}
}

// BenchmarkScoring times only the scoring of Search, without the heaps,
// and its alternatives (reporting q/s and, for one query, GB/s of
// documents streamed):
//
//   - scores: kernels.Scores, 16384 documents at a time; Search's scoring
//     of one query;
//   - dqt: for 64 queries, Search's scoring: D·Qᵀ by SGEMM, one
//     single-threaded product per 384 documents, the threads taking
//     contiguous segments;
//   - dot: for one query, kernels.Dot once per document, which streams
//     the matrix faster than kernels.Scores' four-row kernel.
func BenchmarkScoring(b *testing.B) {
	const n = 100000
	for _, d := range []int{128, 384} {
		var f *Flat
		for _, nq := range []int{1, 64} {
			queries := unitVecs(rand.New(rand.NewPCG(2, uint64(d))), nq, d)
			methods := []string{"scores", "dot"}
			if nq > 1 {
				methods = []string{"scores", "dqt"}
			}
			for _, m := range methods {
				for _, th := range benchenv.Threads() {
					b.Run(fmt.Sprintf("%s/d%d/nq%d/t%d", m, d, nq, th), func(b *testing.B) {
						if f == nil {
							f = newFlat(b, d, unitVecs(rand.New(rand.NewPCG(1, uint64(d))), n, d))
						}
						defer kernels.SetThreads(kernels.SetThreads(th))
						out := make([]float32, nq*max(rowBlock, th*gemmRows))
						dots := &rowDots{f: f, q: queries, out: out}
						dqt := &dqtProducts{f: f, q: queries, nq: nq, out: out, segs: th}
						for b.Loop() {
							switch m {
							case "scores":
								for d0 := 0; d0 < n; d0 += rowBlock {
									dn := min(rowBlock, n-d0)
									kernels.Scores(nq, dn, d, queries, d, f.vecs[d0*d:], d, out, dn)
								}
							case "dot":
								kernels.Parallel(n, 1024, dots)
							case "dqt":
								kernels.Parallel(th, 1, dqt)
							}
						}
						sec := b.Elapsed().Seconds()
						b.ReportMetric(float64(nq*b.N)/sec, "q/s")
						if nq == 1 {
							b.ReportMetric(4*float64(n*d)*float64(b.N)/sec/1e9, "GB/s")
						}
					})
				}
			}
		}
	}
}

// rowDots scores documents [lo, hi) against one query with kernels.Dot,
// keeping the scores of the last rowBlock.
type rowDots struct {
	f   *Flat
	q   []float32
	out []float32
}

func (r *rowDots) Run(lo, hi int) {
	d := r.f.d
	for j := lo; j < hi; j++ {
		r.out[j%rowBlock] = kernels.Dot(r.q, r.f.vecs[j*d:(j+1)*d])
	}
}

// dqtProducts scores segments [lo, hi) of segs as Search does with SGEMM.
type dqtProducts struct {
	f        *Flat
	q        []float32
	nq, segs int
	out      []float32
}

func (p *dqtProducts) Run(lo, hi int) {
	d, n := p.f.d, p.f.Len()
	products := (n + gemmRows - 1) / gemmRows
	for g := lo; g < hi; g++ {
		out := p.out[g*gemmRows*p.nq:]
		for i := g * products / p.segs; i < (g+1)*products/p.segs; i++ {
			m := min(gemmRows, n-i*gemmRows)
			kernels.SgemmBatched(false, true, 1, m, p.nq, d, 1, p.f.vecs[i*gemmRows*d:], d, 0, p.q, d, 0, 0, out, p.nq, 0)
		}
	}
}

// BenchmarkIVFAdd times adding 300,000 Gaussian vectors of dimension 384
// to an IVF-Flat index of 512 lists (quantizer trained beforehand, not
// timed): the assignment SGEMM, the copies into the lists and the checks.
// docs/ivf.md profiles it with -cpuprofile.
func BenchmarkIVFAdd(b *testing.B) {
	const n, d, nlist = 300000, 384, 512
	r := rand.New(rand.NewPCG(1, 2))
	v := randVecs(r, n, d)
	q, err := TrainQuantizer(v, n, d, IVFConfig{NList: nlist, Iterations: 2, Sample: 20000})
	if err != nil {
		b.Fatal(err)
	}
	ids := seqIDs(0, n)
	for b.Loop() {
		x := NewIVF(q, false)
		if err := x.Add(ids, v); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "vectors/s")
}
