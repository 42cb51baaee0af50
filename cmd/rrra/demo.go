package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/rrra/rrra/adapter/experiment"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval/beir"
)

const demoSynopsis = `demo [--out DIR] [--quick] [--threads N]

Runs the whole pipeline on the embedded Cranfield collection (1,400
aeronautics abstracts, 225 queries; no download): a WordPiece vocabulary
learned from the corpus, a small bi-encoder warmed up without labels on
crop pairs, then fine-tuned twice from that warm-up, once with hard
negatives drawn uniformly from its own top 100 (ANCE-style) and once with
RRRA (the adapter's false-negative estimates reweighting the draws, and
reranking the results); then the RRRA model ranks hybrid with BM25: the
union of both top 100s by reciprocal rank fusion (rrra+rrf), by a linear
fusion of both scores (rrra+linear) and by the learned fusion
(rrra+learned), the last two fitted on the training queries with two more
models trained on their halves; evaluation on the test queries next to
BM25.

It prints the comparison table (nDCG@10, MRR@10, R@10, R@100, and
paired randomization tests of the hybrid rows against BM25 and RRF) and
writes to DIR (default rrra-demo): table.md, results.json, PNG plots of
nDCG@10 per method and of the training loss, and the RRRA model
(DIR/model: a bi-encoder directory with its adapters and its learned
fusion) for rrra search, audit or serve, which rank hybrid with the
fusion as the rrra+learned row does. About five minutes on two cores;
--quick is a tiny budget for smoke tests. It is rrra experiment with
fixed choices (DemoConfig): see rrra experiment -h.

Example:

	rrra demo
	rrra search --data cranfield --method hybrid --model rrra-demo/model --out run.trec
	rrra serve`

// demoConfig returns the demo's experiment: BM25, topk-uniform and RRRA on
// Cranfield with RRRA's hybrid rows, one seed, the model (with its
// adapters and learned fusion) saved to out/model; quick shrinks every
// budget to seconds. args records the equivalent rrra experiment flags.
func demoConfig(out string, quick bool, threads int) experiment.Config {
	c := experiment.DefaultConfig()
	c.Methods = []experiment.Method{experiment.BM25, experiment.TopKUniform, experiment.RRRA}
	c.Hybrid = []experiment.Method{experiment.RRRA}
	c.Seeds = 1
	c.SaveModel = filepath.Join(out, "model")
	c.Args = []string{"--data", "cranfield", "--methods", "bm25,topk-uniform,rrra", "--hybrid", "rrra", "--seeds", "1", "--verbose",
		"--out", out, "--save-model", c.SaveModel, "--threads", fmt.Sprint(threads)}
	if quick {
		c.VocabSize, c.WarmSteps, c.Steps, c.Refresh, c.DocLen, c.RRRAParams = 800, 10, 10, 5, 32, "base=uniform,epochs=2"
		c.Args = append(c.Args, "--vocab-size", "800", "--warm-steps", "10", "--steps", "10", "--refresh", "5",
			"--doc-len", "32", "--rrra-params", "base=uniform,epochs=2")
	}
	return c
}

func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", demoSynopsis, stderr)
	out := fs.String("out", "rrra-demo", "directory for the table, results, plots and model")
	quick := fs.Bool("quick", false, "a tiny budget (seconds): checks that everything runs, measures nothing")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *threads < 0 {
		return fmt.Errorf("--threads %d: want ≥ 0", *threads)
	}
	c := demoConfig(*out, *quick, *threads)
	if err := c.Validate(); err != nil {
		return err
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	began := time.Now()
	fmt.Fprintf(stderr, "rrra demo: training and comparing BM25, a bi-encoder, RRRA and hybrid rankings on Cranfield; results in %s\n", *out)
	d, err := beir.Read("cranfield", beir.Options{})
	if err != nil {
		return err
	}
	experimentLogs(&c, stderr, true) // the demo is rrra experiment --verbose
	res, err := experiment.Run(context.Background(), d, c)
	if err != nil {
		return err
	}
	if err := writeExperiment(*out, res); err != nil {
		return err
	}
	if err := res.WriteMarkdown(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "rrra demo: done in %.0fs; plots, table and model in %s\n", time.Since(began).Seconds(), *out)
	return nil
}
