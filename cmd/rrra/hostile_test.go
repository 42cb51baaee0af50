package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
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
		{[]string{"audit", "--model", model, "--out", "a.jsonl", "--top", "-1"}, "--top -1: outside its domain"},
		{[]string{"audit", "--model", model, "--out", "a.jsonl", "--query-len", "1"}, "--query-len 1"},
		{[]string{"audit", "--model", model, "--out", "a.jsonl", "--rrra-params", "gamma=NaN"}, "gamma"},
		{[]string{"mine", "--model", model, "--sampler", "simans", "--out", "m.jsonl", "--doc-len", "-1"}, "--doc-len -1"},
		{[]string{"encode", "--model", model, "--input", "x.jsonl", "--out", "x.npy", "--max-len", "2"}, "--max-len 2: outside its domain"},
		{[]string{"encode", "--model", model, "--input", "x.jsonl", "--out", "x.npy", "--pooling", "max"}, `pooling "max"`},
		{[]string{"encode", "--model", model, "--input", "x.jsonl", "--out", "x.npy", "--prompt", "nope"}, `no prompt named "nope"`},
		{[]string{"encode", "--model", model, "--input", "x.jsonl", "--out", "x.npy", "--precision", "int4"}, `--precision "int4": want fp32, int8 or bf16`},
		{[]string{"search", "--method", "dense", "--model", model, "--precision", "fp16", "--out", "-"}, `--precision "fp16": want fp32, int8 or bf16`},
		{[]string{"index", "--model", model, "--precision", "FP32", "--out", "x.idx"}, `--precision "FP32": want fp32, int8 or bf16`},
		{[]string{"mine", "--model", model, "--sampler", "simans", "--out", "m.jsonl", "--precision", "INT8"}, `--precision "INT8"`},
		{[]string{"serve", "--model", model, "--precision", "fp64"}, `--precision "fp64"`},
		{[]string{"quantize", "--model", model}, "--model and --out are required"},
		{[]string{"train", "--out", "m", "--pooling", "max"}, `pooling "max"`},
		{[]string{"train", "--out", "m", "--precision", "int8"}, `--precision "int8": want fp32 or bf16`},
		{[]string{"train", "--out", "m", "--initial-pool", "sparse"}, `--initial-pool "sparse"`},
		{[]string{"train", "--out", "m", "--query-len", "-3"}, "--query-len -3"},
		{[]string{"train", "--out", "m", "--config", "mini", "--doc-len", "4000"}, "max_position_embeddings 512"},
		{[]string{"train", "--out", "m", "--sampler", "rrra", "--sampler-params", "rho=1.5"}, "rho"},
		{[]string{"serve", "--model", model, "--batch-queries", "0"}, "--batch-queries 0: outside its domain"},
		{[]string{"serve", "--model", model, "--batch-wait", "-1ms"}, "--batch-wait -1ms: outside its domain"},
		{[]string{"serve", "--model", model, "--queue-len", "-1"}, "--queue-len -1: outside its domain"},
		{[]string{"serve", "--model", model, "--batch-queries", "100000"}, "--batch-queries 100000: outside its domain: want 1 to 4096"},
		{[]string{"serve", "--model", model, "--batch-wait", "1h"}, "--batch-wait 1h0m0s: outside its domain: want 0 to 1 seconds"},
		{[]string{"serve", "--model", model, "--queue-len", "10000000000"}, "--queue-len 10000000000: outside its domain: want 0 to 1048576"},
		{[]string{"serve", "--model", model, "--rerank", "NaN"}, "--rerank NaN: outside its domain"},
		{[]string{"serve", "--model", model, "--doc-len", "1"}, "--doc-len 1"},
		{[]string{"demo", "--threads", "-1"}, "--threads -1"},
		{[]string{"eval", "--data", "cranfield", "--run", "r.trec", "--trials", "0"}, "--trials 0"},
		{[]string{"experiment", "--seeds", "0"}, "seeds 0"},
		{[]string{"experiment", "--steps", "-1"}, "steps -1"},
		{[]string{"experiment", "--warm-lr", "0"}, "--warm-lr 0"},
		{[]string{"experiment", "--lr", "Inf"}, "--lr +Inf"},
		{[]string{"experiment", "--temperature", "NaN"}, "temperature NaN"},
		{[]string{"experiment", "--hide-positives", "1"}, "--hide-positives 1"},
		{[]string{"experiment", "--hide-positives", "-0.1"}, "--hide-positives -0.1"},
		{[]string{"experiment", "--rerank-lambda", "-Inf"}, "--rerank-lambda -Inf"},
		{[]string{"experiment", "--rerank-grid", "0.5,NaN"}, "grid value NaN"},
		{[]string{"experiment", "--rerank-k", "0"}, "--rerank-k 0"},
		{[]string{"experiment", "--pool-k", "-1"}, "--pool-k -1"},
		{[]string{"experiment", "--vocab-size", "0"}, "--vocab-size 0"},
		{[]string{"experiment", "--doc-len", "2"}, "--doc-len 2"},
		{[]string{"experiment", "--negatives", "-1"}, "negatives -1"},
		{[]string{"experiment", "--methods", "bm25,magic"}, `unknown method "magic"`},
		{[]string{"experiment", "--variants", "x:rho=2"}, "variant x"},
		{[]string{"experiment", "--hybrid", "magic"}, `unknown method "magic"`},
		{[]string{"experiment", "--methods", "bm25,simans", "--hybrid", "bm25"}, "trains no model"},
		{[]string{"experiment", "--methods", "bm25,simans", "--hybrid", "topk-uniform"}, "not among the methods run"},
		{[]string{"experiment", "--methods", "bm25,simans", "--hybrid", "simans,simans"}, "listed twice"},
		{[]string{"experiment", "--rrra-params", "gamma=-1"}, "gamma"},
		{[]string{"train", "--out", "m", "--fusion", "--crops"}, "--fusion fits on labelled training queries"},
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

// hostileBase gives each subcommand the arguments it needs to start, with
// every input pointing to a path that does not exist: a flag value checked
// before any work is refused by name, whereas one checked only after the
// inputs are read would surface as an error about the missing input, and
// the test would fail. OUT stands for a fresh folder that must stay empty.
var hostileBase = map[string][]string{
	"demo":            {"--out", "/proc/rrra-demo"}, // an output no one can write: in-domain values fail there
	"info":            nil,
	"version":         nil,
	"vocab":           {"--input", "/nonexistent/corpus.jsonl", "--out", "OUT/vocab.txt"},
	"encode":          {"--model", "/nonexistent/model", "--input", "/nonexistent/x.jsonl", "--out", "OUT/x.npy"},
	"quantize":        {"--model", "/nonexistent/model", "--out", "OUT/model-int8"},
	"train":           {"--data", "/nonexistent/data", "--out", "OUT/model"},
	"mine":            {"--data", "/nonexistent/data", "--model", "/nonexistent/model", "--sampler", "topk-uniform", "--out", "OUT/m.jsonl"},
	"index":           {"--data", "/nonexistent/data", "--model", "/nonexistent/model", "--out", "OUT/x.idx"},
	"index train":     {"--data", "/nonexistent/data", "--model", "/nonexistent/model", "--out", "OUT/q.ivf"},
	"index add":       {"--data", "/nonexistent/data", "--model", "/nonexistent/model", "--quantizer", "/nonexistent/q.ivf", "--out", "OUT/x.ivf"},
	"index merge":     {"--out", "OUT/x.idx", "--in", "/nonexistent/a.idx"},
	"index calibrate": {"--index", "/nonexistent/x.ivf", "--data", "/nonexistent/data", "--model", "/nonexistent/model", "--out", "OUT/x.ivf"},
	"search":          {"--data", "/nonexistent/data", "--method", "dense", "--model", "/nonexistent/model", "--out", "OUT/run.trec"},
	"export":          {"--data", "/nonexistent/data", "--model", "/nonexistent/model", "--to", "weaviate://127.0.0.1:1/Nothing", "--state", "OUT/x.state"},
	"rerank":          {"--data", "/nonexistent/data", "--model", "/nonexistent/model", "--run", "/nonexistent/run.trec", "--out", "OUT/run.trec"},
	"eval":            {"--qrels", "/nonexistent/qrels.txt", "--run", "/nonexistent/run.trec"},
	"audit":           {"--data", "/nonexistent/data", "--model", "/nonexistent/model", "--out", "OUT/a.jsonl"},
	"serve":           {"--data", "/nonexistent/data", "--model", "/nonexistent/model", "--addr", "127.0.0.1:0"},
	"experiment":      {"--data", "/nonexistent/data", "--out", "OUT/exp"},
}

// hostileValues are, per flag type, values no numeric flag of rrra may
// accept (always), and values only some accept (-1 and 0 mean a default
// or "off" for a few flags; the flag's domain says which).
var hostileValues = map[string]struct{ always, some []string }{
	"int":      {always: []string{"-2147483648", "9223372036854775807"}, some: []string{"-1", "0"}},
	"float":    {always: []string{"NaN", "Inf", "-Inf", "1e308", "-1e308"}, some: []string{"-1", "0", "-0.5"}},
	"duration": {always: []string{"-1000000h", "1000000h"}, some: []string{"-1s", "0s"}},
	"uint":     {some: []string{"0", "18446744073709551615"}},
}

// TestHostileFlagsEveryCommand runs every subcommand with every numeric
// flag it lists in -h set, in turn, to out-of-domain values: each must
// exit 1 with a message naming the flag and its domain, before reading
// any input, and leave nothing behind; a value the flag's domain holds
// must not be refused as out of domain. No value may panic or exit 0.
func TestHostileFlagsEveryCommand(t *testing.T) {
	flagLine := regexp.MustCompile(`(?m)^  -([a-z0-9-]+) (int|float|duration|uint)$`)
	tried := 0
	names := []string{"index train", "index add", "index merge", "index calibrate"} // subcommands of index
	for _, c := range commands() {
		names = append(names, c.name)
	}
	for _, name := range names {
		c := struct{ name string }{name}
		base, ok := hostileBase[c.name]
		if !ok {
			t.Errorf("rrra %s: no entry in hostileBase; add one so its flags are tried", c.name)
			continue
		}
		_, _, help := cli(append(strings.Fields(c.name), "-h")...)
		doms := flagDomains("rrra " + c.name)
		for _, m := range flagLine.FindAllStringSubmatch(help, -1) {
			name, typ := m[1], m[2]
			d, ok := doms[name]
			if !ok {
				t.Errorf("rrra %s --%s: no stated domain", c.name, name)
				continue
			}
			vals := hostileValues[typ]
			for _, v := range append(append([]string(nil), vals.always...), vals.some...) {
				mustRefuse := !d.any && !strings.Contains(strings.Join(vals.some, " "), v)
				if !mustRefuse {
					if x, err := parseLike(typ, v); err == nil && !d.contains(x) {
						mustRefuse = true
					} else if err != nil {
						continue // not a value of the type: the flag package's own error
					}
				}
				tried++
				t.Run(c.name+" --"+name+" "+v, func(t *testing.T) {
					dir := t.TempDir()
					args := strings.Fields(c.name)
					for _, a := range base {
						args = append(args, strings.Replace(a, "OUT", dir, 1))
					}
					args = append(args, "--"+name, v, "--quiet")
					code, stdout, stderr := runCatching(args)
					if code == -1 {
						t.Fatalf("rrra %s: panic:\n%s", strings.Join(args, " "), stderr)
					}
					if entries, _ := os.ReadDir(dir); len(entries) > 0 {
						t.Errorf("rrra %s left %s behind", strings.Join(args, " "), filepath.Join(dir, entries[0].Name()))
					}
					refused := strings.Contains(stderr, "--"+name+" ") && strings.Contains(stderr, "outside its domain")
					switch {
					case mustRefuse && (code != 1 || !refused):
						t.Errorf("rrra %s: exit %d, want 1 and a message naming --%s and its domain (%s):\n%s%s", strings.Join(args, " "), code, name, d, stderr, stdout)
					case !mustRefuse && refused:
						t.Errorf("rrra %s: %s is in the domain %s but was refused:\n%s", strings.Join(args, " "), v, d, stderr)
					case code == 0:
						t.Errorf("rrra %s: exit 0 on missing inputs:\n%s", strings.Join(args, " "), stderr)
					}
				})
			}
		}
	}
	if tried < 150 {
		t.Errorf("tried %d hostile values; the -h parsing has probably broken", tried)
	}
}

// parseLike parses v as the flag package parses a flag of type typ, as a
// float64 (durations in seconds).
func parseLike(typ, v string) (float64, error) {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	switch typ {
	case "int":
		fs.Int("x", 0, "")
	case "float":
		fs.Float64("x", 0, "")
	case "duration":
		fs.Duration("x", 0, "")
	case "uint":
		fs.Uint64("x", 0, "")
	}
	if err := fs.Parse([]string{"-x", v}); err != nil {
		return 0, err
	}
	x, _ := numericValue(fs.Lookup("x"))
	return x, nil
}
