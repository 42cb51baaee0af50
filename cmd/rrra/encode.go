package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
	"unicode/utf8"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
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
	enc := &encoder{model: m, tok: wordpiece.New(m.Vocab, m.Lower), tape: autograd.NewTape(0),
		pool: pool, normalize: *normalize, maxLen: *maxLen}
	enc.tape.NoGrad(true)
	enc.tape.SetTraining(false)
	start := time.Now()
	rows, err := readRows(f, *input, *batch, func(texts []string) error {
		if err := enc.encode(texts); err != nil {
			return err
		}
		if !isQuiet(fs) {
			n := len(enc.vecs) / m.Bert.Config.HiddenSize
			fmt.Fprintf(stderr, "rrra encode: %d rows, %.1f rows/s\n", n, float64(n)/time.Since(start).Seconds())
		}
		return nil
	})
	if err != nil {
		return err
	}
	h := m.Bert.Config.HiddenSize
	res, err := tensor.FromData(tensor.S(rows, h), enc.vecs)
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

type encoder struct {
	model     *nn.Model
	tok       *wordpiece.Tokenizer
	tape      *autograd.Tape
	pool      nn.Pooling
	normalize bool
	maxLen    int
	b         wordpiece.Batch
	vecs      []float32
}

// encode appends the vectors of texts to e.vecs.
func (e *encoder) encode(texts []string) error {
	e.tok.EncodeBatch(&e.b, texts, e.maxLen)
	mask, err := tensor.FromData(tensor.S(e.b.B, e.b.T), e.b.Mask)
	if err != nil {
		return err
	}
	e.tape.Reset()
	v := nn.Pool(e.tape, e.model.Bert.Forward(e.tape, e.b.IDs, nil, mask), mask, e.pool, e.normalize)
	if err := e.tape.Err(); err != nil {
		return err
	}
	e.vecs = append(e.vecs, v.Data()...)
	return nil
}

// readRows reads JSONL rows with "text" (and optional "title") and calls
// flush with up to batch texts at a time; it returns the number of rows.
// Errors name the file, the line and the field.
func readRows(r io.Reader, name string, batch int, flush func([]string) error) (int, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	texts := make([]string, 0, batch)
	rows := 0
	for line := 1; ; line++ {
		raw, err := br.ReadBytes('\n')
		if len(raw) == 0 && errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return rows, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if !utf8.Valid(raw) {
			return rows, fmt.Errorf("%s:%d: not valid UTF-8", name, line)
		}
		var row struct {
			Text  *string `json:"text"`
			Title *string `json:"title"`
		}
		if err := json.Unmarshal(raw, &row); err != nil {
			return rows, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		if row.Text == nil {
			return rows, fmt.Errorf("%s:%d: field text is missing", name, line)
		}
		text := *row.Text
		if row.Title != nil && *row.Title != "" {
			text = *row.Title + " " + text
		}
		texts = append(texts, text)
		rows++
		if len(texts) == batch {
			if err := flush(texts); err != nil {
				return rows, err
			}
			texts = texts[:0]
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if len(texts) > 0 {
		if err := flush(texts); err != nil {
			return rows, err
		}
	}
	return rows, nil
}
