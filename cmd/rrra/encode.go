package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/tensor"
)

const encodeSynopsis = `encode -model DIR -input FILE.jsonl -out FILE.npy [flags]

Encodes every row of a JSONL file with a BERT model directory and writes a
float32 .npy array of shape [rows, hidden] in input order. Each row needs a
string field "text"; an optional "title" is joined in front of it with a
space ("title text", BEIR's convention for dense models).

Example:

	rrra encode -model ./model -input corpus.jsonl -out corpus.npy -pooling mean -normalize`

func runEncode(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("encode", encodeSynopsis, stderr)
	modelDir := fs.String("model", "", "model directory (config.json, model.safetensors, vocab.txt)")
	input := fs.String("input", "", "JSONL file with a \"text\" field per row (and optional \"title\")")
	out := fs.String("out", "", ".npy file to write")
	pooling := fs.String("pooling", "cls", "pooling: cls or mean")
	normalize := fs.Bool("normalize", false, "L2-normalise each vector")
	maxLen := fs.Int("max-len", 0, "longest token sequence, [CLS] and [SEP] included (0: 128, or the model's limit if smaller)")
	batch := fs.Int("batch", 64, "rows encoded together")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var pool nn.Pooling
	switch *pooling {
	case "cls":
		pool = nn.PoolCLS
	case "mean":
		pool = nn.PoolMean
	default:
		fmt.Fprintf(stderr, "rrra encode: -pooling %q: want cls or mean\n", *pooling)
		return errUsage
	}
	if *modelDir == "" || *input == "" || *out == "" || *batch < 1 || (*maxLen != 0 && *maxLen < 2) {
		fmt.Fprintln(stderr, "rrra encode: -model, -input and -out are required; -batch ≥ 1, -max-len ≥ 2")
		return errUsage
	}
	m, notices, err := nn.LoadModel(*modelDir)
	if err != nil {
		return err
	}
	for _, n := range notices {
		fmt.Fprintln(stderr, "rrra encode:", n)
	}
	if *maxLen == 0 {
		*maxLen = min(128, m.Bert.Config.MaxPositionEmbeddings)
	}
	if *maxLen > m.Bert.Config.MaxPositionEmbeddings {
		return fmt.Errorf("-max-len %d exceeds the model's max_position_embeddings %d", *maxLen, m.Bert.Config.MaxPositionEmbeddings)
	}
	f, err := os.Open(*input)
	if err != nil {
		return err
	}
	defer f.Close()
	bi := &nn.BiEncoder{Query: m.Bert, Doc: m.Bert, Pooling: pool, Normalize: *normalize}
	enc := retrieval.NewEncoder(bi, wordpiece.New(m.Vocab, m.Lower), *maxLen, *maxLen)
	enc.Batch = *batch
	start := time.Now()
	var vecs []float32
	rows, err := beir.ReadTextRows(f, *input, *batch, func(texts []string) error {
		v, err := enc.Docs(texts, nil)
		if err != nil {
			return err
		}
		vecs = append(vecs, v...)
		if !isQuiet(fs) {
			n := len(vecs) / m.Bert.Config.HiddenSize
			fmt.Fprintf(stderr, "rrra encode: %d rows, %.1f rows/s\n", n, float64(n)/time.Since(start).Seconds())
		}
		return nil
	})
	if err != nil {
		return err
	}
	h := m.Bert.Config.HiddenSize
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
