package experiment

import (
	"fmt"
	"math"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/retrieval"
)

// topAUC is the depth of the pools over which plantedAUC also reports
// each score's ROC AUC (as top20_<score>).
const topAUC = 20

// plantedAUC scores the final model's mined negatives (top PoolK, known
// positives removed) and returns, per score, the ROC AUC of finding the
// planted (hidden) positives among them ("s_fn", "score", "simans",
// "bm25"), their R-precision ("rprec_" + score), the AUC among each
// query's first topAUC ("top20_" + score) and the planted documents in
// the pools ("in_pool"); also s_FN of every candidate and whether each is
// planted.
func (e *env) plantedAUC(qv, dv []float32, ts *retrieval.TokenStates, dim int, folds adapter.Folds, tau float32) (map[string]float64, []float64, []bool, error) {
	pool, err := retrieval.MineDense(e.td, qv, dv, dim, e.cfg.PoolK, 1/tau)
	if err != nil {
		return nil, nil, nil, err
	}
	var labels []bool
	var top []bool // whether each candidate is among its query's first topAUC
	scores := map[string][]float64{}
	var pairs []adapter.Pair
	for q, cands := range pool.Cands {
		best := math.Inf(-1)
		for _, s := range pool.PosScores[q] {
			best = math.Max(best, float64(s))
		}
		for i, c := range cands {
			labels = append(labels, e.hidden[q][c.Doc])
			top = append(top, i < topAUC)
			scores["score"] = append(scores["score"], float64(c.Score))
			scores["simans"] = append(scores["simans"], -(float64(c.Score)-best)*(float64(c.Score)-best))
			scores["bm25"] = append(scores["bm25"], float64(e.bm.Score(e.td.Queries[q], int(c.Doc))))
			pairs = append(pairs, adapter.Pair{Query: int32(q), Doc: c.Doc})
		}
	}
	sfn := make([]float64, len(pairs))
	for i, f := range folds.Score(e.td, qv, dv, ts, e.lex, dim, pairs) {
		sfn[i] = float64(f)
	}
	scores["s_fn"] = sfn
	// R-precision: precision at k = the number of planted documents in
	// the pools, the share of the k most suspect that are planted.
	planted := 0
	for _, l := range labels {
		if l {
			planted++
		}
	}
	out := map[string]float64{}
	for k, v := range scores {
		out[k] = adapter.ROCAUC(v, labels)
		out["rprec_"+k] = adapter.PrecisionAtK(v, labels, planted)
		// The same among the hardest candidates only, where hard
		// negative samplers draw.
		var tv []float64
		var tl []bool
		for i, in := range top {
			if in {
				tv, tl = append(tv, v[i]), append(tl, labels[i])
			}
		}
		out[fmt.Sprintf("top%d_%s", topAUC, k)] = adapter.ROCAUC(tv, tl)
	}
	out["in_pool"] = float64(planted)
	return out, sfn, labels, nil
}
