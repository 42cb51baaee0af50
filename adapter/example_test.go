package adapter_test

import (
	"fmt"
	"log"
	"math"

	"github.com/rrra/rrra/adapter"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
)

// cranfield loads the embedded Cranfield collection and its training
// queries.
func cranfield() (*beir.Dataset, *retrieval.TrainData) {
	d, err := beir.Read("cranfield", beir.Options{})
	if err != nil {
		log.Fatal(err)
	}
	qrels, _, err := d.Qrels("train")
	if err != nil {
		log.Fatal(err)
	}
	td, _, err := retrieval.NewTrainData(d, qrels)
	if err != nil {
		log.Fatal(err)
	}
	return d, td
}

// Fine-tune a bi-encoder with RRRA's sampler: at each refresh of the
// model's own top-k pool, cross-fitted adapters are fitted on the labels
// and the hard negatives are drawn with weights s_HN·(1 − s_FN)^γ.
// NewTrainingSampler assembles the sampler (with its lexical side and
// stage-3 loss when the parameters ask for them) and Prepare hands it to
// the trainer.
func ExampleNewTrainingSampler() {
	_, td := cranfield()
	enc, err := retrieval.LoadEncoder("../retrieval/testdata/mini-model", retrieval.EncoderOptions{DocLen: 64})
	if err != nil {
		log.Fatal(err)
	}
	cfg := adapter.DefaultSamplerConfig()
	if err := adapter.ParseParams("base=uniform,gamma=2,epochs=2", &cfg); err != nil {
		log.Fatal(err)
	}
	ts, err := adapter.NewTrainingSampler(cfg, enc, td, nil, 1)
	if err != nil {
		log.Fatal(err)
	}
	tr := &retrieval.Trainer{
		Cfg:  retrieval.TrainConfig{Steps: 4, BatchQueries: 8, Negatives: 2, LR: 1e-4, RefreshEvery: 2, Seed: 1},
		Bi:   enc.Bi,
		Enc:  enc,
		Data: td,
		// A shared tower: its parameters are the query model's.
		Params: enc.Bi.Query.Params,
	}
	ts.Prepare(tr) // the sampler, its data, and a dense first pool
	if _, err := tr.Run(); err != nil {
		log.Fatal(err)
	}
	last := tr.History[len(tr.History)-1]
	fmt.Printf("%d steps; adapters fitted %d times, %d folds each; loss finite: %v\n",
		last.Step, ts.Fits, len(ts.Adapters), !math.IsNaN(last.Loss) && !math.IsInf(last.Loss, 0))
	// Output: 4 steps; adapters fitted 2 times, 2 folds each; loss finite: true
}

// Rerank a bi-encoder's results with adapters fitted on the training
// labels: over the top K, by s/τ_b + λ·log p_rel. τ_b is left 0, so it is
// the model's own temperature, as everywhere in rrra.
func ExampleNewReranker() {
	d, td := cranfield()
	enc, err := retrieval.LoadEncoder("../retrieval/testdata/mini-model", retrieval.EncoderOptions{DocLen: 64})
	if err != nil {
		log.Fatal(err)
	}
	// Fit two cross-fitted adapters on the model's ranking of the
	// training queries, as the RRRA sampler does at each refresh.
	qv, err := enc.Queries(td.Queries, nil)
	if err != nil {
		log.Fatal(err)
	}
	ix, err := retrieval.IndexCorpus(enc, td, nil)
	if err != nil {
		log.Fatal(err)
	}
	dv := ix.Vectors()
	cfg := adapter.DefaultSamplerConfig()
	cfg.Fit.Epochs = 2
	folds, err := adapter.FitFolds(cfg, td, qv, dv, nil, nil, enc.Dim(), 1)
	if err != nil {
		log.Fatal(err)
	}
	rr, err := adapter.NewReranker(folds, float64(enc.Bi.Temperature), adapter.RerankConfig{K: 20, Lambda: 0.25})
	if err != nil {
		log.Fatal(err)
	}
	qrels, _, err := d.Qrels("test")
	if err != nil {
		log.Fatal(err)
	}
	qids, texts := retrieval.QueryTexts(d.SplitQueries(qrels))
	tv, err := enc.Queries(texts, nil)
	if err != nil {
		log.Fatal(err)
	}
	run, err := rr.Search(ix, qids, texts, tv)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("reranked the top %d of %d queries, τ_b %g\n", len(run[qids[0]]), len(run), float32(rr.Config().TauB))
	// Output: reranked the top 20 of 90 queries, τ_b 0.05
}
