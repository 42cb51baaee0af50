package adapter

import (
	"fmt"

	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/retrieval/metrics"
)

// tuneLambda is Reranker.TuneLambda over adapters with cfg.
func tuneLambda(adapters []*Adapter, ix index.Index, td *retrieval.TrainData, qv []float32, grid []float64, cfg RerankConfig) (float64, []float64, float64, error) {
	if len(grid) == 0 {
		return 0, nil, 0, fmt.Errorf("adapter: TuneLambda: empty grid")
	}
	d := ix.Dim()
	qrels := metrics.Qrels{}
	for q, pos := range td.Positives {
		rel := map[string]int{}
		for _, p := range pos {
			rel[td.DocIDs[p]] = 1
		}
		qrels[td.QueryIDs[q]] = rel
	}
	runs := make([]metrics.Run, len(grid))
	for i := range runs {
		runs[i] = metrics.Run{}
	}
	hits := ix.Search(qv, len(td.Queries), cfg.depth())
	for q, top := range hits {
		a := adapters[foldOf(int32(q), len(adapters))]
		rel := prel([]*Adapter{a}, ix, td.Queries[q], qv[q*d:(q+1)*d], top, cfg)
		for i, lambda := range grid {
			c := cfg
			c.Lambda = lambda
			for _, x := range combine(top, rel, c) {
				runs[i][td.QueryIDs[q]] = append(runs[i][td.QueryIDs[q]], metrics.Result{DocID: ix.ID(x.Doc), Score: float64(x.Score)})
			}
		}
	}
	scores := make([]float64, len(grid))
	perQuery := make([]map[string]float64, len(grid))
	best, zero := -1, -1
	for i, run := range runs {
		rep, err := metrics.Evaluate(qrels, run, []string{"ndcg_cut_10"}, metrics.Options{Complete: true})
		if err != nil {
			return 0, nil, 0, fmt.Errorf("adapter: TuneLambda: %w", err)
		}
		scores[i] = rep.Mean["ndcg_cut_10"]
		perQuery[i] = map[string]float64{}
		for q, v := range rep.PerQuery {
			perQuery[i][q] = v["ndcg_cut_10"]
		}
		if best < 0 || scores[i] > scores[best] || (scores[i] == scores[best] && grid[i] < grid[best]) {
			best = i
		}
		if grid[i] == 0 {
			zero = i
		}
	}
	if grid[best] == 0 {
		return 0, scores, 1, nil
	}
	if zero < 0 { // no "do nothing" to beat
		return grid[best], scores, 0, nil
	}
	p, err := metrics.RandomizationTest(perQuery[best], perQuery[zero], 10000, 1)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("adapter: TuneLambda: %w", err)
	}
	if p >= 0.05 {
		return 0, scores, p, nil
	}
	return grid[best], scores, p, nil
}
