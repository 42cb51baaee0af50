package retrieval_test

import (
	"fmt"
	"log"

	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/metrics"
)

// Load a model directory, encode and index a collection, and search it.
// The model here is a small one trained on Cranfield; any directory that
// rrra train writes, or a Hugging Face BERT directory, loads the same way.
func Example() {
	enc, err := retrieval.LoadEncoder("testdata/mini-model", retrieval.EncoderOptions{QueryLen: 32, DocLen: 64})
	if err != nil {
		log.Fatal(err)
	}
	d, err := beir.Read("cranfield", beir.Options{}) // or a BEIR folder's path
	if err != nil {
		log.Fatal(err)
	}
	corpus := retrieval.NewCorpusData(d)
	ix, err := retrieval.IndexCorpus(enc, corpus, nil)
	if err != nil {
		log.Fatal(err)
	}
	// A document's own text, as a query, finds that document first.
	hits, err := retrieval.Search(enc, ix, []string{corpus.Docs[41]}, 10)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d documents of dimension %d; top hit %s (document %s)\n", ix.Len(), ix.Dim(), ix.ID(hits[0][0].Doc), corpus.DocIDs[41])
	// Output: 1400 documents of dimension 64; top hit 42 (document 42)
}

// Search the test queries of a collection with BM25 and evaluate the run
// against its qrels with trec_eval's measures.
func ExampleBM25Search() {
	d, err := beir.Read("cranfield", beir.Options{})
	if err != nil {
		log.Fatal(err)
	}
	qrels, _, err := d.Qrels("test")
	if err != nil {
		log.Fatal(err)
	}
	qids, texts := retrieval.QueryTexts(d.SplitQueries(qrels))
	run := retrieval.BM25Search(retrieval.BuildBM25(retrieval.NewCorpusData(d)), qids, texts, 100)
	rep, err := metrics.Evaluate(metrics.Qrels(qrels), run, []string{"ndcg_cut_10", "recall_100"}, metrics.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("BM25 on %d queries: nDCG@10 %.3f, recall@100 %.3f\n", rep.NumQueries, rep.Mean["ndcg_cut_10"], rep.Mean["recall_100"])
	// Output: BM25 on 90 queries: nDCG@10 0.331, recall@100 0.723
}
