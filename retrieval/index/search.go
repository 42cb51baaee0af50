package index

import (
	"fmt"
	"slices"

	"github.com/rrra/rrra/kernels"
)

// Search sizes. Scores are computed for a block of at most maxQueryBlock
// queries and a block of documents at a time, so a call needs scratch for
// 2·rowBlock scores, or Threads()·gemmRows·maxQueryBlock, besides its
// results and heaps, whatever n is.
const (
	maxQueryBlock = 256
	// gemmQueries is the query count from which a block is scored with
	// SGEMM (as kernels.Scores does) rather than with a row-dot kernel.
	gemmQueries = 3
	// gemmRows is the number of documents of one SGEMM product: a
	// multiple of the micro-kernels' row tiles (6 and 12) whose scores
	// (gemmRows × 256 queries at most) stay in the L2 cache.
	gemmRows = 384
	// rowBlock is the number of documents scored at a time for one or two
	// queries.
	rowBlock = 16384
	// minSegment is the fewest documents of a block one heap takes when
	// the documents of one or two queries are split across threads.
	minSegment = 1024
	// minSelectWork is the fewest scores worth handing to another thread.
	minSelectWork = 4096
)

// Search returns the k documents with the highest inner product with each
// of nq queries, stored row-major in queries (nq·Dim() values), best first
// in the package's order: score descending, ties by lower document index,
// NaN scores last. A query gets min(k, Len()) hits. Search panics if
// len(queries) < nq·Dim() or nq or k is negative.
//
// The documents are split into contiguous segments, each with one bounded
// heap per query, and the heaps of a query are merged at the end. Queries
// are taken in blocks of up to 256. One or two queries are scored
// with [kernels.Scores] (a row-dot kernel that splits the documents across
// threads itself), 16384 documents at a time, and their heaps then fed in
// parallel. Three or more are scored by SGEMM as D·Qᵀ, one
// single-threaded product ([kernels.SgemmBatched] of one) per 384
// documents, each thread taking a segment and feeding its heaps as it goes,
// while the scores are in cache. (D·Qᵀ reads the documents in place, where
// kernels.Scores' Q·Dᵀ transposes every document block while packing it.)
// Up to [kernels.Threads] goroutines work, and the result is the same for
// every thread count.
func (f *Flat) Search(queries []float32, nq, k int) [][]Hit {
	d, n := f.d, f.Len()
	if nq < 0 || k < 0 {
		panic(fmt.Sprintf("index: Search: negative nq=%d or k=%d", nq, k))
	}
	if len(queries) < nq*d {
		panic(fmt.Sprintf("index: Search: %d values for %d queries of dimension %d", len(queries), nq, d))
	}
	k = min(k, n)
	out := make([][]Hit, nq)
	backing := make([]Hit, nq*k)
	for q := range out {
		out[q] = backing[q*k : q*k : (q+1)*k]
	}
	if nq == 0 || k == 0 {
		return out
	}

	s := &search{f: f, queries: queries, nq: nq}
	// Query blocks of balanced sizes: with nq >= gemmQueries every block
	// has at least that many, so every query is scored the same way.
	nqb := (nq + maxQueryBlock - 1) / maxQueryBlock
	qmax := (nq + nqb - 1) / nqb
	nt := kernels.Threads()
	s.gemm = qmax >= gemmQueries
	if s.gemm {
		s.segs = max(1, min(nt, (n+gemmRows-1)/gemmRows))
		s.scores = make([]float32, s.segs*gemmRows*qmax)
	} else {
		s.db = min(rowBlock, n)
		s.segs = max(1, min((nt+nq-1)/nq, s.db/minSegment))
		s.scores = make([]float32, qmax*s.db)
	}
	s.heaps = make([]topk, s.segs*nq)
	s.thr = make([]float32, len(s.heaps))
	if s.segs == 1 {
		for q := range out {
			s.heaps[q] = newTopk(out[q])
		}
	} else {
		buf := make([]Hit, len(s.heaps)*k)
		for i := range s.heaps {
			s.heaps[i] = newTopk(buf[i*k : (i+1)*k : (i+1)*k])
		}
	}
	for i := range s.thr {
		s.thr[i] = noThreshold
	}

	for b := range nqb {
		s.q0, s.qn = b*nq/nqb, (b+1)*nq/nqb-b*nq/nqb
		if s.gemm {
			kernels.Parallel(s.segs, 1, (*gemmSegments)(s))
			continue
		}
		for s.d0 = 0; s.d0 < n; s.d0 += s.db {
			s.dn = min(s.db, n-s.d0)
			s.scoreRows()
		}
	}

	fin := &finish{s: s, out: out}
	kernels.Parallel(nq, max(1, minSelectWork/(k*s.segs)), fin)
	return out
}

// SearchOne is Search for the single query q.
func (f *Flat) SearchOne(q []float32, k int) []Hit {
	return f.Search(q, 1, k)[0]
}

// search is the state of one Search call.
type search struct {
	f       *Flat
	queries []float32
	nq      int
	gemm    bool // score with SGEMM, else with kernels.Scores
	segs    int  // document segments, each with its own heaps
	db      int  // documents per block of kernels.Scores
	// heaps holds the heap of segment g and query q at g*nq+q; thr its
	// threshold (see topk).
	heaps []topk
	thr   []float32
	// scores is scratch: for kernels.Scores, score(i, j) of query q0+i
	// and document d0+j at i*dn+j; for SGEMM, gemmRows·qn per segment.
	scores []float32

	q0, qn int // the current query block
	d0, dn int // the current document block of kernels.Scores
}

// scoreRows scores the current block with kernels.Scores and feeds its
// heaps, splitting each query's documents into segs segments.
func (s *search) scoreRows() {
	d := s.f.d
	kernels.Scores(s.qn, s.dn, d, s.queries[s.q0*d:], d, s.f.vecs[s.d0*d:], d, s.scores, s.dn)
	units := s.qn * s.segs
	kernels.Parallel(units, max(1, minSelectWork*s.segs/s.dn), s)
}

// Run feeds units [lo, hi) of the current kernels.Scores block to their
// heaps, unit u being segment u%segs of query u/segs.
func (s *search) Run(lo, hi int) {
	for u := lo; u < hi; u++ {
		i, g := u/s.segs, u%s.segs
		a, b := g*s.dn/s.segs, (g+1)*s.dn/s.segs
		h := g*s.nq + s.q0 + i
		row := s.scores[i*s.dn : (i+1)*s.dn]
		s.thr[h] = s.heaps[h].offer(row[a:b], s.d0+a, s.thr[h])
	}
}

// gemmSegments is a search whose Run scores and selects whole segments
// with SGEMM.
type gemmSegments search

// Run scores segments [lo, hi) of the documents against the current query
// block, a product of gemmRows documents at a time, and feeds the scores
// to the segments' heaps.
func (gs *gemmSegments) Run(lo, hi int) {
	s := (*search)(gs)
	d, n, qn := s.f.d, s.f.Len(), s.qn
	q := s.queries[s.q0*d:]
	products := (n + gemmRows - 1) / gemmRows
	for g := lo; g < hi; g++ {
		scores := s.scores[g*gemmRows*qn : (g+1)*gemmRows*qn]
		heaps := s.heaps[g*s.nq+s.q0 : g*s.nq+s.q0+qn]
		thr := s.thr[g*s.nq+s.q0 : g*s.nq+s.q0+qn]
		for p := g * products / s.segs; p < (g+1)*products/s.segs; p++ {
			d0 := p * gemmRows
			m := min(gemmRows, n-d0)
			// One product: single-threaded, so it may run here, inside
			// a parallel task.
			kernels.SgemmBatched(false, true, 1, m, qn, d, 1, s.f.vecs[d0*d:], d, 0, q, d, 0, 0, scores, qn, 0)
			for j := range m {
				row := scores[j*qn : (j+1)*qn]
				thr := thr[:len(row)]
				for i, v := range row {
					if v <= thr[i] { // false for NaN
						continue
					}
					thr[i] = heaps[i].add(Hit{Doc: d0 + j, Score: v})
				}
			}
		}
	}
}

// finish merges each query's segment heaps into its result and sorts it.
type finish struct {
	s   *search
	out [][]Hit
}

func (fin *finish) Run(lo, hi int) {
	s := fin.s
	for q := lo; q < hi; q++ {
		h := s.heaps[q]
		if s.segs > 1 {
			h = newTopk(fin.out[q])
			for g := range s.segs {
				h.merge(s.heaps[g*s.nq+q].hits)
			}
		}
		slices.SortFunc(h.hits, CompareHits)
		fin.out[q] = h.hits
	}
}
