package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"
)

const demoSynopsis = `demo [--out DIR] [--quick] [--threads N]

Runs the whole pipeline on the embedded Cranfield collection (1,400
aeronautics abstracts, 225 queries; no download): a WordPiece vocabulary
learned from the corpus, a small bi-encoder warmed up without labels on
crop pairs, then fine-tuned twice from that warm-up, once with hard
negatives drawn uniformly from its own top 100 (ANCE-style) and once with
RRRA (the adapter's false-negative estimates reweighting the draws, and
reranking the results); evaluation on the test queries next to BM25.

It prints the comparison table (nDCG@10, MRR@10, R@10, R@100) and writes
to DIR (default rrra-demo): table.md, results.json, PNG plots of nDCG@10
per method and of the training loss, and the RRRA model (DIR/model: a
bi-encoder directory with its adapters) for rrra search, audit or serve.
About two minutes on two cores; --quick is a tiny budget for smoke tests.
It is rrra experiment with fixed choices: see rrra experiment -h.

Example:

	rrra demo
	rrra search --data cranfield --method dense --model rrra-demo/model --rerank 0.25 --out run.trec`

func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", demoSynopsis, stderr)
	out := fs.String("out", "rrra-demo", "directory for the table, results, plots and model")
	quick := fs.Bool("quick", false, "a tiny budget (seconds): checks that everything runs, measures nothing")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	xargs := []string{"--data", "cranfield", "--methods", "bm25,topk-uniform,rrra", "--seeds", "1", "--verbose",
		"--out", *out, "--save-model", filepath.Join(*out, "model"), "--threads", fmt.Sprint(*threads)}
	if *quick {
		xargs = append(xargs, "--vocab-size", "800", "--warm-steps", "10", "--steps", "10", "--refresh", "5",
			"--doc-len", "32", "--rrra-params", "base=uniform,epochs=2")
	}
	began := time.Now()
	fmt.Fprintf(stderr, "rrra demo: training and comparing BM25, a bi-encoder and RRRA on Cranfield; results in %s\n", *out)
	if err := runExperiment(xargs, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "rrra demo: done in %.0fs; plots, table and model in %s\n", time.Since(began).Seconds(), *out)
	return nil
}
