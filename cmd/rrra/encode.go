package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/tensor"
)

const encodeSynopsis = `encode -model DIR -input FILE.jsonl -out FILE.npy [-shard I/N] [flags]

Encodes every row of a JSONL file with a model directory (rrra's, a
sentence-transformers folder, or a Hugging Face BERT directory; a two-tower
model's document tower) and writes a float32 .npy array of shape
[rows, hidden] in input order. Each row needs a string field "text"; an
optional "title" is joined in front of it with a space ("title text",
BEIR's convention for dense models).

The folder decides the pooling, the normalisation and the longest input
(rrra_biencoder.json, or sentence-transformers' 1_Pooling, 2_Normalize and
sentence_bert_config.json; a plain Hugging Face directory means CLS, not
normalised, 128 tokens); -pooling, -normalize and -max-len override it only
when given. As sentence-transformers' encode does, rows get the folder's
default prompt (default_prompt_name) unless -prompt names another.
-shard I/N encodes only the I-th (from 0) of N contiguous slices of the
rows, for rrra index --shard I/N --vectors.

Examples:

	rrra encode -model ./model -input corpus.jsonl -out corpus.npy
	rrra encode -model ./e5-small -input queries.jsonl -out queries.npy -prompt query
	rrra encode -model ./bert-base -input corpus.jsonl -out corpus.npy -pooling mean -normalize`

func runEncode(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("encode", encodeSynopsis, stderr)
	modelDir := fs.String("model", "", "model directory (config.json, model.safetensors, vocab.txt or tokenizer.json; modules.json for sentence-transformers)")
	input := fs.String("input", "", "JSONL file with a \"text\" field per row (and optional \"title\")")
	out := fs.String("out", "", ".npy file to write")
	pooling := fs.String("pooling", "", "pooling: cls or mean (default: the folder's)")
	normalize := fs.Bool("normalize", false, "L2-normalise each vector; -normalize=false to leave them as they are (default: the folder's)")
	maxLen := fs.Int("max-len", 0, "longest token sequence, [CLS] and [SEP] included (0: the folder's max_seq_length, else 128 or the model's limit if smaller)")
	prompt := fs.String("prompt", "", "name of a prompt of the folder (config_sentence_transformers.json) to put before every row")
	batch := fs.Int("batch", 64, "rows encoded together")
	shardFlag := fs.String("shard", "", "I/N: encode only the I-th (from 0) of N contiguous slices of the rows (rrra index --shard I/N --vectors takes the output)")
	precision := addPrecisionFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkPrecision("encode", *precision, stderr); err != nil {
		return err
	}
	shard, err := parseShardFlag("encode", *shardFlag, stderr)
	if err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	pool, err := nn.ParsePooling(*pooling)
	if err != nil && given["pooling"] {
		fmt.Fprintf(stderr, "rrra encode: -%v\n", err)
		return errUsage
	}
	if *modelDir == "" || *input == "" || *out == "" || *batch < 1 || (*maxLen != 0 && *maxLen < 3) || *maxLen < 0 {
		fmt.Fprintln(stderr, "rrra encode: -model, -input and -out are required; -batch ≥ 1, -max-len ≥ 3")
		return errUsage
	}
	enc, err := retrieval.LoadEncoder(*modelDir, retrieval.EncoderOptions{DocLen: *maxLen, Notices: stderr,
		PromptName: *prompt, NoPrompts: *prompt == "", Precision: *precision})
	if err != nil {
		return err
	}
	if *prompt == "" {
		// sentence-transformers' encode: the default prompt, if any.
		enc.DocPrompt = enc.Model.Prompts[enc.Model.DefaultPromptName]
	}
	if given["pooling"] {
		enc.Bi.Pooling = pool
	}
	if given["normalize"] {
		enc.Bi.Normalize = *normalize
	}
	f, err := os.Open(*input)
	if err != nil {
		return err
	}
	defer f.Close()
	lo, hi := 0, -1
	if shard != retrieval.Whole {
		total, err := retrieval.CountRows(f, *input)
		if err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		lo, hi = shard.Range(total)
		if !isQuiet(fs) {
			fmt.Fprintf(stderr, "rrra encode: shard %v: rows %d to %d of %d\n", shard, lo, hi-1, total)
		}
	}
	enc.Batch = *batch
	h := enc.Dim()
	start := time.Now()
	vecs, _, err := retrieval.EncodeRowRange(enc, f, *input, *batch, lo, hi, func(n int) {
		if !isQuiet(fs) {
			fmt.Fprintf(stderr, "rrra encode: %d rows, %.1f rows/s\n", n, float64(n)/time.Since(start).Seconds())
		}
	})
	if err != nil {
		return err
	}
	rows := len(vecs) / h
	res, err := tensor.FromData(tensor.S(rows, h), vecs)
	if err != nil {
		return err
	}
	if err := tensor.WriteNpyFile(*out, res); err != nil {
		return err
	}
	if !isQuiet(fs) {
		fmt.Fprintf(stderr, "rrra encode: wrote %s: %d × %d float32 in %.1fs\n", *out, rows, h, time.Since(start).Seconds())
	}
	return nil
}
