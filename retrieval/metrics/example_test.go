package metrics_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/rrra/rrra/retrieval/metrics"
)

// Evaluate a TREC run against qrels with trec_eval's measures, and keep
// the per-query values for a paired test. By hand: q1 ranks d3 (gain 1)
// then d1 (gain 2), nDCG (1 + 2/log2 3)/(2 + 1/log2 3) = 0.8597; q2
// finds d2 second, 1/log2 3 = 0.6309; their mean is 0.7453.
func ExampleEvaluate() {
	qrels, err := metrics.ReadQrels(strings.NewReader("q1 0 d1 2\nq1 0 d3 1\nq2 0 d2 1\n"), "qrels.txt")
	if err != nil {
		log.Fatal(err)
	}
	run, err := metrics.ReadRun(strings.NewReader("q1 Q0 d3 1 9.5 bm25\nq1 Q0 d1 2 8.0 bm25\nq2 Q0 d9 1 3.0 bm25\nq2 Q0 d2 2 2.5 bm25\n"), "run.trec")
	if err != nil {
		log.Fatal(err)
	}
	rep, err := metrics.Evaluate(qrels, run, []string{"ndcg_cut_10", "recip_rank"}, metrics.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("nDCG@10 %.4f, MRR %.4f over %d queries; q2's reciprocal rank %.2f\n",
		rep.Mean["ndcg_cut_10"], rep.Mean["recip_rank"], rep.NumQueries, rep.PerQuery["q2"]["recip_rank"])
	// Output: nDCG@10 0.7453, MRR 0.7500 over 2 queries; q2's reciprocal rank 0.50
}
