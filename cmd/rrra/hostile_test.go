package main

import (
	"strings"
	"testing"
)

// TestHostileFlagValues runs commands with out-of-domain values of the
// flags this change added or now checks: each must exit 1 or 2 with a
// message naming the flag (or the field), quickly, before any training,
// and never panic.
func TestHostileFlagValues(t *testing.T) {
	model := "../../retrieval/testdata/mini-model"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"search", "--method", "dense", "--model", model, "--query-len", "-1", "--out", "-"}, "--query-len -1"},
		{[]string{"search", "--method", "dense", "--model", model, "--doc-len", "2", "--out", "-"}, "--doc-len 2"},
		{[]string{"search", "--method", "dense", "--model", model, "--doc-len", "100000000", "--out", "-"}, "--doc-len 100000000"},
		{[]string{"search", "--method", "dense", "--model", model, "--doc-len", "600", "--out", "-"}, "max_position_embeddings 512"},
		{[]string{"search", "--threads", "-2", "--out", "-"}, "--threads -2"},
		{[]string{"search", "--method", "hybrid", "--model", model, "--rrf-k", "0", "--out", "-"}, "--rrf-k 0"},
		{[]string{"search", "--method", "hybrid", "--model", model, "--rrf-k", "NaN", "--out", "-"}, "--rrf-k NaN"},
		{[]string{"search", "--method", "dense", "--model", model, "--rerank", "-1", "--out", "-"}, "--rerank -1"},
		{[]string{"search", "--method", "dense", "--model", model, "--rerank", "Inf", "--out", "-"}, "--rerank +Inf"},
		{[]string{"search", "--method", "dense", "--model", model, "--rerank", "0.25", "--rerank-k", "-5", "--out", "-"}, "--rerank-k -5"},
		{[]string{"search", "--method", "dense", "--model", model, "--rerank", "0.25", "--rerank-tau", "NaN", "--out", "-"}, "--rerank-tau NaN"},
		{[]string{"search", "--query", " ", "--out", "-"}, "--query number 1 is empty"},
		{[]string{"index", "--model", model, "--doc-len", "-4", "--out", "x.idx"}, "--doc-len -4"},
		{[]string{"audit", "--model", model, "--out", "a.jsonl", "--top", "-1"}, "--top ≥ 0"},
		{[]string{"audit", "--model", model, "--out", "a.jsonl", "--query-len", "1"}, "--query-len 1"},
		{[]string{"audit", "--model", model, "--out", "a.jsonl", "--rrra-params", "gamma=NaN"}, "gamma"},
		{[]string{"mine", "--model", model, "--sampler", "simans", "--out", "m.jsonl", "--doc-len", "-1"}, "--doc-len -1"},
		{[]string{"encode", "--model", model, "--input", "x.jsonl", "--out", "x.npy", "--max-len", "2"}, "-max-len ≥ 3"},
		{[]string{"encode", "--model", model, "--input", "x.jsonl", "--out", "x.npy", "--pooling", "max"}, `pooling "max"`},
		{[]string{"encode", "--model", model, "--input", "x.jsonl", "--out", "x.npy", "--prompt", "nope"}, `no prompt named "nope"`},
		{[]string{"train", "--out", "m", "--pooling", "max"}, `pooling "max"`},
		{[]string{"train", "--out", "m", "--initial-pool", "sparse"}, `--initial-pool "sparse"`},
		{[]string{"train", "--out", "m", "--query-len", "-3"}, "--query-len -3"},
		{[]string{"train", "--out", "m", "--config", "mini", "--doc-len", "4000"}, "max_position_embeddings 512"},
		{[]string{"train", "--out", "m", "--sampler", "rrra", "--sampler-params", "rho=1.5"}, "rho"},
		{[]string{"serve", "--model", model, "--batch-queries", "0"}, "--batch-queries must be ≥ 1"},
		{[]string{"serve", "--model", model, "--batch-wait", "-1ms"}, "--batch-wait and --queue-len ≥ 0"},
		{[]string{"serve", "--model", model, "--queue-len", "-1"}, "--batch-wait and --queue-len ≥ 0"},
		{[]string{"serve", "--model", model, "--batch-queries", "100000"}, "--batch-queries at most 4096"},
		{[]string{"serve", "--model", model, "--batch-wait", "1h"}, "--batch-wait 1s"},
		{[]string{"serve", "--model", model, "--queue-len", "10000000000"}, "--queue-len 1048576"},
		{[]string{"serve", "--model", model, "--rerank", "NaN"}, "--rerank a finite λ ≥ 0"},
		{[]string{"serve", "--model", model, "--doc-len", "1"}, "--doc-len 1"},
		{[]string{"demo", "--threads", "-1"}, "--threads -1"},
		{[]string{"eval", "--data", "cranfield", "--run", "r.trec", "--trials", "0"}, "--trials 0"},
		{[]string{"experiment", "--seeds", "0"}, "seeds 0"},
		{[]string{"experiment", "--steps", "-1"}, "steps -1"},
		{[]string{"experiment", "--warm-lr", "0"}, "learning rates"},
		{[]string{"experiment", "--lr", "Inf"}, "learning rates"},
		{[]string{"experiment", "--temperature", "NaN"}, "temperature NaN"},
		{[]string{"experiment", "--hide-positives", "1"}, "hidden share"},
		{[]string{"experiment", "--hide-positives", "-0.1"}, "hidden share"},
		{[]string{"experiment", "--rerank-lambda", "-Inf"}, "λ_RR -Inf"},
		{[]string{"experiment", "--rerank-grid", "0.5,NaN"}, "grid value NaN"},
		{[]string{"experiment", "--rerank-k", "0"}, "rerank depth 0"},
		{[]string{"experiment", "--pool-k", "-1"}, "pool depth -1"},
		{[]string{"experiment", "--vocab-size", "0"}, "vocab size 0"},
		{[]string{"experiment", "--doc-len", "2"}, "document length 2"},
		{[]string{"experiment", "--negatives", "-1"}, "negatives -1"},
		{[]string{"experiment", "--methods", "bm25,magic"}, `unknown method "magic"`},
		{[]string{"experiment", "--variants", "x:rho=2"}, "variant x"},
		{[]string{"experiment", "--threads", "-1"}, "--threads -1"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string(nil), c.args...)
			for i, a := range args { // outputs go to a fresh folder
				if strings.HasSuffix(a, ".idx") || strings.HasSuffix(a, ".jsonl") && args[i-1] == "--out" || strings.HasSuffix(a, ".npy") || a == "m" {
					args[i] = dir + "/" + a
				}
			}
			code, _, stderr := cli(args...)
			if (code != 1 && code != 2) || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "panic") {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 or 2 and %q", code, stderr, c.want)
			}
		})
	}
}
