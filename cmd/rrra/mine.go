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
mine ... --model DIR --shard I/N --out PART.pool      (one shard of a dense pool)
mine ... --pool PART.pool [--pool PART.pool ...] --out FILE.jsonl

Mines hard negatives for a training split and writes them as Tevatron-style
training JSONL (query_id, query, positive_passages, negative_passages, each
negative with the miner's score), which rrra train --train-file reads. The
pool is BM25's top k (samplers random, bm25) or the bi-encoder's (--model;
topk-uniform, simans, positive-aware; scores are its logits, cosine/τ).
Where a query has several positives, s⁺ is the best-scored one. Prints the
score distributions of positives, pool and chosen negatives, and what each
filter dropped.

A dense pool can be mined in shards: --shard I/N encodes only the I-th
(from 0) of N contiguous slices of the corpus and writes that slice's part
of the pool (each query's best documents in it) to --out; a last run
with every part as --pool merges them into the pool of the whole corpus,
exactly, and samples from it as an unsharded run does.

Examples:

	rrra mine --data cranfield --sampler bm25 --negatives 8 --out bm25-negs.jsonl
	rrra mine --data cranfield --model rrra-demo/model --sampler simans --out simans-negs.jsonl
	rrra train --data cranfield --model rrra-demo/model --train-file simans-negs.jsonl --out model2
	rrra mine --data cranfield --model rrra-demo/model --sampler simans --shard 0/2 --out part0.pool`

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
	shardFlag := fs.String("shard", "", "I/N: mine only the I-th (from 0) of N contiguous slices of the corpus, writing a partial pool to --out")
	var pools stringsFlag
	fs.Var(&pools, "pool", "a partial pool from mine --shard (repeated: every shard's, in any order), instead of mining")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkCommon("mine", *qLen, *dLen, *threads, stderr); err != nil {
		return err
	}
	shard, err := parseShardFlag("mine", *shardFlag, stderr)
	if err != nil {
		return err
	}
	if *shardFlag != "" && len(pools) > 0 {
		fmt.Fprintln(stderr, "rrra mine: --shard mines one part of a pool and --pool merges the parts: one or the other")
		return errUsage
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
	if (*shardFlag != "" || len(pools) > 0) && smp.PoolSource() != "dense" {
		fmt.Fprintf(stderr, "rrra mine: sampler %s mines from BM25, which needs the whole corpus's statistics in one run: --shard and --pool are for the dense samplers\n", smp.Name())
		return errUsage
	}
	if smp.PoolSource() == "dense" && *modelDir == "" && len(pools) == 0 {
		fmt.Fprintf(stderr, "rrra mine: sampler %s mines with a model: --model is required\n", smp.Name())
		return errUsage
	}
	d, td, err := df.loadTrainData(*split, stderr)
	if err != nil {
		return err
	}
	var pool *retrieval.Pool
	switch {
	case *shardFlag != "":
		enc, err := loadEncoder(*modelDir, *qLen, *dLen, *precision, stderr)
		if err != nil {
			return err
		}
		lo, hi := shard.Range(len(td.Docs))
		if err := df.mem.Dense(enc, hi-lo, true); err != nil {
			return err
		}
		part, err := retrieval.MineShard(enc, td, smp.PoolK(), shard, docProgress(stderr, hi-lo))
		if err != nil {
			return err
		}
		if err := part.Save(*out); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s: shard %v of a dense pool of %d (documents %d to %d of %d, %d queries); rrra mine --pool with every shard's part samples from it\n",
			*out, shard, smp.PoolK(), lo, hi-1, len(td.Docs), len(td.Queries))
		return nil
	case len(pools) > 0:
		var parts []*retrieval.PartialPool
		for _, path := range pools {
			p, err := retrieval.LoadPartialPool(path)
			if err != nil {
				return err
			}
			parts = append(parts, p)
		}
		if parts[0].K != smp.PoolK() {
			return fmt.Errorf("rrra mine: %s holds a pool of %d per query; sampler %s %s takes %d", pools[0], parts[0].K, smp.Name(), smp.Params(), smp.PoolK())
		}
		if pool, err = retrieval.MergePools(parts, pools, td); err != nil {
			return fmt.Errorf("rrra mine: %w", err)
		}
	case smp.PoolSource() == "bm25":
		if err := df.mem.BM25(); err != nil {
			return err
		}
		pool = retrieval.MineBM25(td, retrieval.BuildBM25(td), smp.PoolK())
	default:
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
