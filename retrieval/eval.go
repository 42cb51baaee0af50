package retrieval

import (
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/bm25"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/retrieval/metrics"
)

// DenseSearch returns the top k documents of ix for each query vector
// (nq×dim values) as a run keyed by the given query ids.
func DenseSearch(ix index.Index, qids []string, queryVecs []float32, k int) metrics.Run {
	return runOf(qids, ix.Search(queryVecs, len(qids), k), ix.ID)
}

// BM25Search returns the top k BM25 documents of ix for each query text
// as a run keyed by the given query ids.
func BM25Search(ix *bm25.Index, qids, texts []string, k int) metrics.Run {
	return runOf(qids, ix.SearchBatch(texts, k), ix.ID)
}

// HitsRun turns each query's hits (hits[i] for qids[i], from any first
// stage and reranking) into a run, naming documents with id.
func HitsRun(qids []string, hits [][]index.Hit, id func(int) string) metrics.Run {
	return runOf(qids, hits, id)
}

// runOf turns each query's hits (index's or bm25's, which have the same
// fields) into a run, naming documents with id.
func runOf[H ~struct {
	Doc   int
	Score float32
}](qids []string, hits [][]H, id func(int) string) metrics.Run {
	run := make(metrics.Run, len(qids))
	for i, qid := range qids {
		rs := make([]metrics.Result, len(hits[i]))
		for j, x := range hits[i] {
			h := index.Hit(x)
			rs[j] = metrics.Result{DocID: id(h.Doc), Score: float64(h.Score)}
		}
		run[qid] = rs
	}
	return run
}

// QueryTexts returns the ids and texts of queries, in order.
func QueryTexts(queries []beir.Query) (qids, texts []string) {
	qids, texts = make([]string, len(queries)), make([]string, len(queries))
	for i, q := range queries {
		qids[i], texts[i] = q.ID, q.Text
	}
	return qids, texts
}

// DenseEvaluator returns an Evaluator that encodes the corpus and the
// queries judged in qrels, retrieves the top k exactly and reports the
// given trec_eval measures (the first is the one to watch).
func DenseEvaluator(td *TrainData, queries []beir.Query, qrels beir.Qrels, measures []string, k int) Evaluator {
	return func(enc *Encoder, step int) ([]Figure, error) {
		dv, err := enc.Docs(td.Docs, nil)
		if err != nil {
			return nil, err
		}
		qids, texts := QueryTexts(queries)
		qv, err := enc.Queries(texts, nil)
		if err != nil {
			return nil, err
		}
		ix := index.New(enc.Dim())
		if err := ix.Add(td.DocIDs, dv); err != nil {
			return nil, err
		}
		rep, err := metrics.Evaluate(metrics.Qrels(qrels), DenseSearch(ix, qids, qv, k), measures, metrics.Options{Complete: true})
		if err != nil {
			return nil, err
		}
		figs := make([]Figure, len(measures))
		for i, m := range measures {
			figs[i] = Figure{m, rep.Mean[m]}
		}
		return figs, nil
	}
}
