// Package experiment runs rrra's evaluation protocol: every method
// (BM25, the crop warm-up, fine-tuning with each negative sampler, RRRA's
// resampling and reranking) trained and evaluated under one budget and
// the same seeds on a BEIR collection's train and test splits, with the
// planted false-negative study, the adapter-variant ablation and the
// choice of the reranking weight. It is what `rrra experiment` and
// `rrra demo` run; Results is its one schema, written as JSON and
// Markdown and read back by ReadResults.
//
// Protocol, per seed: a WordPiece vocabulary learned from the corpus; a
// fresh model of the configured preset warmed up without labels on crop
// pairs; then each trained method fine-tunes that same warm model with its
// sampler (dense pools from BM25 until the first refresh, re-mined every
// Refresh steps), and is evaluated on the test queries. With
// HidePositives, a share of each training query's relevant documents is
// hidden from training (planted false negatives), and the results also
// say how often each sampler drew them and how well each score finds them
// among the final model's mined negatives.
package experiment
