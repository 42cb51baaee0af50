// Package retrieval turns rrra's bi-encoder into a dense retriever that can
// be trained and evaluated end to end on a BEIR collection: encoding corpora
// and queries, hard-negative pools mined by BM25 or by the model itself,
// the negative samplers the RRRA method is compared with, and the
// contrastive training loop with periodic re-mining.
//
// In a few calls: LoadEncoder reads a model directory (its tokenizer,
// pooling and lengths checked up front), IndexCorpus encodes a collection
// into an exact index, Search answers query texts; BM25Search and
// DenseSearch produce runs that retrieval/metrics evaluates; a Trainer
// fine-tunes a model with a Sampler (NewSampler by name, or RRRA's from
// package adapter), building the BM25 index its first pool needs; and
// MineExamples writes mined negatives as Tevatron-style training rows.
//
// Data loading is in retrieval/beir, BM25 in retrieval/bm25, the exact
// inner-product index in retrieval/index and trec_eval's measures in
// retrieval/metrics. The training loop takes its sampler through the small
// Sampler interface, so that package adapter can supply the RRRA sampler
// without this package importing it.
package retrieval
