package index

import (
	"slices"
	"sync"

	"github.com/rrra/rrra/kernels"
)

// ivfSearch is the state of one IVF.Search call.
type ivfSearch struct {
	x       *IVF
	queries []float32
	nq      int
	nprobe  int
	probes  []int32 // query q's lists at q*nprobe ..
	depth   int     // hits kept per query

	mu    sync.Mutex
	heaps []topk // per query, merged into under mu

	// byList: the current query block and, per list, its queries there.
	q0, qn  int
	byL     [][]int32
	touched []int32 // the lists with at least one query in the block
}

func (s *ivfSearch) heap(q int) *topk {
	if s.heaps == nil {
		s.heaps = make([]topk, s.nq)
		buf := make([]Hit, s.nq*s.depth)
		for i := range s.heaps {
			s.heaps[i] = newTopk(buf[i*s.depth : (i+1)*s.depth : (i+1)*s.depth])
		}
	}
	return &s.heaps[q]
}

// result returns query q's hits, sorted.
func (s *ivfSearch) result(q int) []Hit {
	h := s.heap(q)
	slices.SortFunc(h.hits, CompareHits)
	return h.hits
}

// mergeLocal merges a task's per-query heaps into the shared ones. The
// order in which tasks merge does not matter: the top depth of the union
// is unique in the package's order.
func (s *ivfSearch) mergeLocal(local map[int]*topk) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for q, h := range local {
		s.heap(q).merge(h.hits)
	}
}

// offerAny offers hits in any document order: unlike topk.offer, a score
// equal to the threshold is compared in full, since a lower document index
// may still rank before the root.
func offerAny(h *topk, scores []float32, docs []int32, thr float32) float32 {
	for j, v := range scores {
		if v < thr { // false for NaN v or NaN thr
			continue
		}
		thr = h.add(Hit{Doc: int(docs[j]), Score: v})
	}
	return thr
}

// byQuery scores each (query, probed list) pair on its own, the pairs split
// across threads.
func (s *ivfSearch) byQuery() {
	s.heap(0)
	units := s.nq * s.nprobe
	kernels.Parallel(units, 1, (*queryUnits)(s))
}

type queryUnits ivfSearch

// Run scores units [lo, hi), unit u being probe u%nprobe of query u/nprobe.
func (qu *queryUnits) Run(lo, hi int) {
	s := (*ivfSearch)(qu)
	x, d := s.x, s.x.q.d
	local := map[int]*topk{}
	thr := map[int]float32{}
	var scores []float32
	var qs []float32 // SQ8: the query's weights on the codes
	var base float32 // SQ8: Σ q·lo
	cur := -1
	for u := lo; u < hi; u++ {
		q := u / s.nprobe
		l := &x.lists[s.probes[u]]
		n := len(l.docs)
		if n == 0 {
			continue
		}
		h, ok := local[q]
		if !ok {
			hh := newTopk(make([]Hit, 0, s.depth))
			h = &hh
			local[q] = h
			thr[q] = noThreshold
		}
		query := s.queries[q*d : (q+1)*d]
		scores = slices.Grow(scores[:0], n)[:n]
		if x.q.sq8 {
			if q != cur {
				qs, base = x.q.queryWeights(qs, query)
				cur = q
			}
			kernels.DotRowsU8(qs, l.codes, d, scores)
			for j := range scores {
				scores[j] += base
			}
		} else {
			kernels.DotRows(query, l.vecs, d, scores)
		}
		thr[q] = offerAny(h, scores, l.docs, thr[q])
	}
	s.mergeLocal(local)
}

// listGemmMin is the fewest queries of a block probing one list for which
// the list is scored by one SGEMM product rather than by the row-dot
// kernel once per query: a product is as wide as the micro-kernel's
// columns (up to 32) whatever the number of queries, so a few queries
// scan faster one by one.
const listGemmMin = 8

// byList scores, per block of queries, each list once against all the
// block's queries that probe it (with SGEMM from listGemmMin queries on,
// else query by query with the row-dot kernel); lists split across
// threads.
func (s *ivfSearch) byList() {
	s.heap(0)
	nl := s.x.q.nlist
	s.byL = make([][]int32, nl)
	for s.q0 = 0; s.q0 < s.nq; s.q0 += maxQueryBlock {
		s.qn = min(maxQueryBlock, s.nq-s.q0)
		for l := range s.byL {
			s.byL[l] = s.byL[l][:0]
		}
		s.touched = s.touched[:0]
		for q := s.q0; q < s.q0+s.qn; q++ {
			for _, l := range s.probes[q*s.nprobe : (q+1)*s.nprobe] {
				if len(s.byL[l]) == 0 {
					s.touched = append(s.touched, l)
				}
				s.byL[l] = append(s.byL[l], int32(q))
			}
		}
		slices.Sort(s.touched)
		kernels.Parallel(len(s.touched), 1, (*listUnits)(s))
	}
}

type listUnits ivfSearch

// Run scores lists touched[lo:hi] against their queries.
func (lu *listUnits) Run(lo, hi int) {
	s := (*ivfSearch)(lu)
	x, d := s.x, s.x.q.d
	local := map[int]*topk{}
	thr := map[int]float32{}
	var qbuf, scores []float32
	for _, l := range s.touched[lo:hi] {
		list := &x.lists[l]
		n := len(list.docs)
		qs := s.byL[l]
		m := len(qs)
		if n == 0 {
			continue
		}
		qbuf = slices.Grow(qbuf[:0], m*d)[:m*d]
		for i, q := range qs {
			copy(qbuf[i*d:(i+1)*d], s.queries[int(q)*d:int(q+1)*d])
			if _, ok := local[int(q)]; !ok {
				h := newTopk(make([]Hit, 0, s.depth))
				local[int(q)] = &h
				thr[int(q)] = noThreshold
			}
		}
		if m < listGemmMin {
			// Too few queries for a product: each scans the list with
			// the row-dot kernel.
			scores = slices.Grow(scores[:0], n)[:n]
			for i, q := range qs {
				kernels.DotRows(qbuf[i*d:(i+1)*d], list.vecs, d, scores)
				thr[int(q)] = offerAny(local[int(q)], scores, list.docs, thr[int(q)])
			}
			continue
		}
		heaps := make([]*topk, m)
		th := make([]float32, m)
		for i, q := range qs {
			heaps[i], th[i] = local[int(q)], thr[int(q)]
		}
		scores = slices.Grow(scores[:0], gemmRows*m)[:gemmRows*m]
		for d0 := 0; d0 < n; d0 += gemmRows {
			r := min(gemmRows, n-d0)
			// Single-threaded, so it may run inside this parallel task.
			kernels.SgemmBatched(false, true, 1, r, m, d, 1, list.vecs[d0*d:], d, 0, qbuf, d, 0, 0, scores, m, 0)
			for j := range r {
				row := scores[j*m : (j+1)*m]
				doc := int(list.docs[d0+j])
				for i, v := range row {
					if v < th[i] { // false for NaN
						continue
					}
					th[i] = heaps[i].add(Hit{Doc: doc, Score: v})
				}
			}
		}
		for i, q := range qs {
			thr[int(q)] = th[i]
		}
	}
	s.mergeLocal(local)
}

// queryWeights returns the query's weights on the SQ8 codes, q·step, in
// buf, and its constant term Σ q·lo, so that a document scores
// base + Σ weights·code.
func (q *Quantizer) queryWeights(buf, query []float32) ([]float32, float32) {
	buf = slices.Grow(buf[:0], q.d)[:q.d]
	var base float32
	for t, v := range query {
		buf[t] = v * q.step[t]
		base += v * q.lo[t]
	}
	return buf, base
}
