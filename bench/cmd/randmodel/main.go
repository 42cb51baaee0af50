// Command randmodel writes a random-weight bi-encoder folder of a real
// model's shape, for load and speed tests that need the shape and not
// the quality: by default all-MiniLM-L6-v2's (hidden 384, 6 layers, 12
// heads, FFN 1536), shared towers, mean pooling, normalised. It borrows the
// vocabulary and lower-casing of another model folder (--vocab-from), so
// the tokenizer is a real one; the weights come from a seeded generator.
//
// Usage:
//
//	go run ./bench/cmd/randmodel --out /tmp/minilm [--vocab-from retrieval/testdata/mini-model]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/rrra/rrra/nn"
)

func main() {
	out := flag.String("out", "", "folder to write (required)")
	from := flag.String("vocab-from", "retrieval/testdata/mini-model", "model folder whose vocabulary and lower-casing to use")
	hidden := flag.Int("hidden", 384, "hidden size")
	layers := flag.Int("layers", 6, "transformer layers")
	heads := flag.Int("heads", 12, "attention heads")
	ffn := flag.Int("ffn", 1536, "feed-forward size")
	seed := flag.Uint64("seed", 1, "weight generator seed")
	flag.Parse()
	if err := run(*out, *from, *hidden, *layers, *heads, *ffn, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "randmodel:", err)
		os.Exit(1)
	}
}

func run(out, from string, hidden, layers, heads, ffn int, seed uint64) error {
	if out == "" {
		return fmt.Errorf("--out is required")
	}
	_, m, _, err := nn.LoadBiEncoder(from)
	if err != nil {
		return err
	}
	c, err := nn.Preset("mini", m.Vocab.Len())
	if err != nil {
		return err
	}
	c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize = hidden, layers, heads, ffn
	if err := c.Validate(); err != nil {
		return err
	}
	b, err := nn.NewBert(c, seed)
	if err != nil {
		return err
	}
	bi := &nn.BiEncoder{Query: b, Doc: b, Pooling: nn.PoolMean, Normalize: true, Temperature: 0.05}
	return nn.SaveBiEncoder(out, bi, &nn.Model{Bert: b, Vocab: m.Vocab, Lower: m.Lower})
}
