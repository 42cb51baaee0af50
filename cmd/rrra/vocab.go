package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rrra/rrra/internal/atomicfile"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/retrieval/beir"
)

const vocabSynopsis = `vocab (-input FILE.jsonl | -data DIR) -out vocab.txt [flags]

Learns a WordPiece vocabulary (Hugging Face's WordPieceTrainer algorithm)
from the "text" (and "title") fields of a JSONL file, or the corpus of a
BEIR folder (-data), for models trained
from scratch, and writes it as vocab.txt.

Example:

	rrra vocab -input corpus.jsonl -size 8192 -out model/vocab.txt`

func runVocab(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("vocab", vocabSynopsis, stderr)
	input := fs.String("input", "", "JSONL file with a \"text\" field per row (and optional \"title\")")
	df := addDataFlags(fs, "")
	out := fs.String("out", "", "vocab.txt to write")
	size := fs.Int("size", 8192, "vocabulary size, special tokens included")
	minFreq := fs.Int("min-frequency", 2, "fewest occurrences of a pair worth merging")
	cased := fs.Bool("cased", false, "keep case and accents (BERT's cased normalisation)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*input == "") == (*df.data == "") || *out == "" || *size < 6 {
		fmt.Fprintln(stderr, "rrra vocab: -out and one of -input or -data are required; -size ≥ 6")
		return errUsage
	}
	start := time.Now()
	var texts []string
	if *df.data != "" {
		d, _, err := df.load(stderr)
		if err != nil {
			return err
		}
		for i := range d.Corpus.Docs {
			texts = append(texts, d.Corpus.Docs[i].Joined())
		}
	} else {
		f, err := os.Open(*input)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := beir.ReadTextRows(f, *input, 1024, func(batch []string) error {
			texts = append(texts, batch...)
			return nil
		}); err != nil {
			return err
		}
	}
	i := 0
	v, err := wordpiece.Train(func() (string, bool) {
		if i == len(texts) {
			return "", false
		}
		i++
		return texts[i-1], true
	}, wordpiece.TrainOptions{VocabSize: *size, MinFrequency: *minFreq, Lower: !*cased})
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if _, err := v.WriteTo(&b); err != nil {
		return err
	}
	if err := atomicfile.Write(*out, b.Bytes()); err != nil {
		return err
	}
	if !isQuiet(fs) {
		fmt.Fprintf(stderr, "rrra vocab: %d texts, %d tokens learned, wrote %s in %.1fs\n", len(texts), v.Len(), *out, time.Since(start).Seconds())
	}
	return nil
}
