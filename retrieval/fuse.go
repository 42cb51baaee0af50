package retrieval

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/rrra/rrra/retrieval/metrics"
)

// FuseRRF combines runs by reciprocal rank fusion (Cormack et al., 2009):
// a document's fused score is Σ 1/(k + rank) over the runs that retrieved
// it, with rank from 1 in each run's trec_eval order (score descending,
// then document id descending). k = 60 is the usual choice. Each query
// keeps its depth best fused documents. k must be finite and > 0 and
// depth ≥ 0.
func FuseRRF(runs []metrics.Run, k float64, depth int) (metrics.Run, error) {
	if !(k > 0) || math.IsInf(k, 0) || depth < 0 {
		return nil, fmt.Errorf("retrieval: reciprocal rank fusion with k=%g and depth %d: want k finite and > 0, depth ≥ 0", k, depth)
	}
	fused := make(map[string]map[string]float64)
	for _, run := range runs {
		for qid, rs := range run {
			ranked := slices.Clone(rs)
			slices.SortFunc(ranked, trecOrder)
			acc := fused[qid]
			if acc == nil {
				acc = make(map[string]float64)
				fused[qid] = acc
			}
			for r, x := range ranked {
				acc[x.DocID] += 1 / (k + float64(r+1))
			}
		}
	}
	out := make(metrics.Run, len(fused))
	for qid, acc := range fused {
		rs := make([]metrics.Result, 0, len(acc))
		for id, s := range acc {
			rs = append(rs, metrics.Result{DocID: id, Score: s})
		}
		slices.SortFunc(rs, trecOrder)
		out[qid] = rs[:min(len(rs), depth)]
	}
	return out, nil
}

// trecOrder sorts results as trec_eval ranks them.
func trecOrder(a, b metrics.Result) int {
	switch {
	case a.Score > b.Score:
		return -1
	case a.Score < b.Score:
		return 1
	}
	return -strings.Compare(a.DocID, b.DocID)
}
