// Command memdepth encodes texts with a randomly initialised BERT encoder of
// a given shape through retrieval.Encoder, the path that rrra encode, index,
// search, serve and mine take, so that its peak resident memory can be
// measured from outside (bench/memory_depth.sh runs it under GNU time for
// several depths). It prints one line: the shape, the parameter count and
// bytes, the peak resident memory once the model is built (before any
// encoding), the number of texts and the first 8 bytes of a SHA-256 of the
// vectors, which must not change when only memory handling changes. The
// vocabulary is trained on the texts (4,000 tokens); the model's embedding
// table has -vocab rows all the same, as a pretrained model's would.
//
// Usage:
//
//	go run ./bench/cmd/memdepth [-layers 12] [-hidden 384] [-heads 12] [-ffn 1536]
//	    [-vocab 30522] [-data scifact] [-n 256] [-batch 64] [-len 128] [-seed 1] [-vectors FILE]
package main

import (
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/retrieval"
	"github.com/rrra/rrra/retrieval/beir"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "memdepth:", err)
		os.Exit(1)
	}
}

func run() error {
	layers := flag.Int("layers", 12, "encoder layers")
	hidden := flag.Int("hidden", 384, "hidden size")
	heads := flag.Int("heads", 12, "attention heads")
	ffn := flag.Int("ffn", 1536, "feed-forward (intermediate) size")
	vocab := flag.Int("vocab", 30522, "model vocabulary size (the tokenizer's own vocabulary is smaller)")
	data := flag.String("data", "scifact", "BEIR folder or embedded collection whose corpus is encoded")
	n := flag.Int("n", 256, "documents encoded (the corpus's first n)")
	batch := flag.Int("batch", 64, "texts per batch")
	maxLen := flag.Int("len", 128, "tokens per document, [CLS] and [SEP] included")
	seed := flag.Uint64("seed", 1, "weights' seed")
	vectorsOut := flag.String("vectors", "", "also write the vectors here (little-endian float32), to compare trees")
	flag.Parse()

	d, err := beir.Read(*data, beir.Options{})
	if err != nil {
		return err
	}
	texts := make([]string, 0, *n)
	for i := 0; i < len(d.Corpus.Docs) && len(texts) < *n; i++ {
		texts = append(texts, d.Corpus.Docs[i].Joined())
	}
	v, err := wordpiece.TrainTexts(texts, wordpiece.TrainOptions{VocabSize: 4000, Lower: true})
	if err != nil {
		return err
	}
	c := nn.BertConfig{VocabSize: max(*vocab, v.Len()), HiddenSize: *hidden, NumHiddenLayers: *layers,
		NumAttentionHeads: *heads, IntermediateSize: *ffn, HiddenAct: "gelu", MaxPositionEmbeddings: 512,
		TypeVocabSize: 2, LayerNormEps: 1e-12, InitializerRange: 0.02, ModelType: "bert"}
	m, err := nn.NewBert(c, *seed)
	if err != nil {
		return err
	}
	modelHWM, err := peakRSS()
	if err != nil {
		return err
	}
	bi := &nn.BiEncoder{Query: m, Doc: m, Pooling: nn.PoolMean, Normalize: true}
	enc := retrieval.NewEncoder(bi, wordpiece.New(v, true), 32, *maxLen)
	enc.Batch = *batch
	vecs, err := enc.Docs(texts, nil)
	if err != nil {
		return err
	}
	if *vectorsOut != "" {
		buf := make([]byte, 0, 4*len(vecs))
		for _, x := range vecs {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
		}
		if err := os.WriteFile(*vectorsOut, buf, 0o644); err != nil {
			return err
		}
	}
	h := sha256.New()
	if err := binary.Write(h, binary.LittleEndian, vecs); err != nil {
		return err
	}
	p := m.Params.NumValues()
	fmt.Printf("layers %d hidden %d heads %d ffn %d params %d weight_MiB %.1f model_peak_MiB %.1f texts %d batch %d len %d sha256 %x\n",
		*layers, *hidden, *heads, *ffn, p, float64(4*p)/(1<<20), float64(modelHWM)/1024, len(texts), *batch, *maxLen, h.Sum(nil)[:8])
	return nil
}

// peakRSS returns the process's peak resident set so far in KiB (VmHWM of
// /proc/self/status), or 0 where that file does not exist.
func peakRSS() (int, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, nil // not Linux: the field is reported as 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			return strconv.Atoi(f[1])
		}
	}
	return 0, nil
}
