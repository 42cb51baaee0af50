package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/rrra/rrra/internal/atomicfile"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
)

const mineSynopsis = `mine [--data DIR] --split train --sampler NAME [--model DIR] --negatives N --out FILE.jsonl

Mines hard negatives for a training split and writes them as Tevatron-style
training JSONL (query_id, query, positive_passages, negative_passages, each
negative with the miner's score), which rrra train --train-file reads. The
pool is BM25's top k (samplers random, bm25) or the bi-encoder's (--model;
topk-uniform, simans, positive-aware; scores are its logits, cosine/τ).
Where a query has several positives, s⁺ is the best-scored one. Prints the
score distributions of positives, pool and chosen negatives, and what each
filter dropped.

Examples:

	rrra mine --data cranfield --sampler bm25 --negatives 8 --out bm25-negs.jsonl
	rrra mine --data cranfield --model rrra-demo/model --sampler simans --out simans-negs.jsonl
	rrra train --data cranfield --model rrra-demo/model --train-file simans-negs.jsonl --out model2`

func runMine(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("mine", mineSynopsis, stderr)
	df := addDataFlags(fs, "cranfield")
	split := fs.String("split", "train", "split whose queries to mine for")
	sampler := fs.String("sampler", "bm25", "sampler: "+strings.Join(retrieval.SamplerNames, ", "))
	samplerParams := fs.String("sampler-params", "", "sampler parameters, as k=100,a=0.5")
	modelDir := fs.String("model", "", "bi-encoder directory (dense samplers)")
	negatives := fs.Int("negatives", 8, "negatives per query")
	out := fs.String("out", "", "training JSONL to write")
	seed := fs.Uint64("seed", 1, "sampling seed")
	qLen := fs.Int("query-len", 0, "longest query in tokens (0: 32, or the model's limit if smaller)")
	dLen := fs.Int("doc-len", 0, "longest document in tokens (0: 128, or the model's limit if smaller)")
	threads := fs.Int("threads", 0, "kernel threads (0: all cores)")
	precision := addPrecisionFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkCommon("mine", *qLen, *dLen, *threads, stderr); err != nil {
		return err
	}
	if err := checkPrecision("mine", *precision, stderr); err != nil {
		return err
	}
	if *df.data == "" || *out == "" || *negatives < 1 || *threads < 0 {
		fmt.Fprintln(stderr, "rrra mine: --data and --out are required; --negatives ≥ 1")
		return errUsage
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	smp, err := retrieval.NewSampler(*sampler, *samplerParams)
	if err != nil {
		return err
	}
	if smp.PoolSource() == "dense" && *modelDir == "" {
		fmt.Fprintf(stderr, "rrra mine: sampler %s mines with a model: --model is required\n", smp.Name())
		return errUsage
	}
	d, td, err := df.loadTrainData(*split, stderr)
	if err != nil {
		return err
	}
	var pool *retrieval.Pool
	switch smp.PoolSource() {
	case "bm25":
		if err := df.mem.BM25(); err != nil {
			return err
		}
		pool = retrieval.MineBM25(td, retrieval.BuildBM25(td), smp.PoolK())
	case "dense":
		enc, err := loadEncoder(*modelDir, *qLen, *dLen, *precision, stderr)
		if err != nil {
			return err
		}
		if err := df.mem.Dense(enc, d.Corpus.Len(), true); err != nil {
			return err
		}
		if pool, _, _, err = retrieval.MineWith(enc, td, smp.PoolK(), docProgress(stderr, len(td.Docs))); err != nil {
			return err
		}

	}
	fmt.Fprintf(stderr, "sampler %s %s, %d negatives per query, seed %d\n", smp.Name(), smp.Params(), *negatives, *seed)
	examples, st, err := retrieval.MineExamples(d, td, smp, pool, *negatives, *seed)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := beir.WriteTrainExamples(&buf, examples); err != nil {
		return err
	}
	if err := atomicfile.Write(*out, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s: %d queries; %s\n", *out, len(examples), st.Sample.String())
	if pool != nil {
		fmt.Fprintf(stderr, "scores (%s pool)      n       min       p10    median       p90       max\n", pool.Source)
		for _, row := range []struct {
			name string
			v    []float64
		}{{"positives", st.PosScores}, {"pool", st.PoolScores}, {"chosen negatives", st.NegScores}} {
			fmt.Fprintf(stderr, "%-20s %7d %s\n", row.name, len(row.v), quantiles(row.v))
		}
		fmt.Fprintf(stderr, "%d of %d queries (%.1f%%) have a pool candidate scoring above their best positive: likely false negatives or hard ones\n",
			st.Above, len(td.Queries), 100*float64(st.Above)/float64(len(td.Queries)))
	}
	return nil
}

// quantiles formats min, p10, median, p90 and max of v.
func quantiles(v []float64) string {
	if len(v) == 0 {
		return "        —"
	}
	s := slices.Clone(v)
	slices.Sort(s)
	at := func(p float64) float64 { return s[int(math.Round(p*float64(len(s)-1)))] }
	return fmt.Sprintf("%9.3f %9.3f %9.3f %9.3f %9.3f", s[0], at(0.1), at(0.5), at(0.9), s[len(s)-1])
}
