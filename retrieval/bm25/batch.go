package bm25

import (
	"sync/atomic"

	"github.com/rrra/rrra/kernels"
)

// SearchBatch runs Search(queries[i], k) for every query and returns the
// results in query order. The queries run in parallel on up to
// kernels.Threads() goroutines, which take queries one at a time from a
// shared counter; each result is the same as a serial Search's, whatever
// the number of goroutines.
func (ix *Index) SearchBatch(queries []string, k int) [][]Hit {
	out := make([][]Hit, len(queries))
	if len(queries) == 0 {
		return out
	}
	task := &batchTask{ix: ix, queries: queries, k: k, out: out}
	workers := min(kernels.Threads(), len(queries))
	kernels.Parallel(workers, 1, task)
	return out
}

// A batchTask is a kernels.Task whose indices are workers.
type batchTask struct {
	ix      *Index
	queries []string
	k       int
	out     [][]Hit
	next    atomic.Int64
}

func (t *batchTask) Run(lo, hi int) {
	for range hi - lo {
		t.work()
	}
}

// work searches queries until none is left.
func (t *batchTask) work() {
	if t.k <= 0 {
		return
	}
	s := t.ix.getSearcher()
	defer t.ix.searchers.Put(s)
	for {
		i := int(t.next.Add(1)) - 1
		if i >= len(t.queries) {
			return
		}
		t.out[i] = s.search(t.queries[i], t.k)
	}
}
