// Command encspeed times rrra's encoder at the shapes of the pretrained
// models users deploy, on real text, the way bench/encode.sh compares it
// with PyTorch: SciFact's first -n documents (title and abstract) are
// tokenised with the bert-base-uncased vocabulary and cut at -len tokens;
// the sequences are ordered longest first and encoded in batches of
// -batch with random weights, without gradients, then pooled and
// normalised. Tokenisation is not timed (PyTorch's side gets the same ids
// from the file -write-ids writes). It prints one JSON line: documents per
// second over the whole set after one warm-up batch, the seconds, the
// tokens, the padded tokens a padded batch would hold, and the process's
// peak resident memory (VmHWM) in MiB.
//
// Usage:
//
//	go run ./bench/cmd/encspeed [-shape minilm|bge-small|bert-base] [-n 256]
//	    [-len 256] [-batch 32] [-threads 1] [-path packed|padded] [-precision fp32|int8|bf16]
//	    [-write-ids FILE]
//
// -precision int8 quantizes the random weights (nn.Bert.SetPrecision) and
// encodes with the integer products of the tier RRRA_KERNELS_INT8 or the
// CPU chooses; the JSON line names it. -precision bf16 multiplies the
// Linear layers' operands rounded to bfloat16 (kernels.SgemmBF16).
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/tensor"
)

// shapes are the pretrained models' sizes: hidden, layers, heads, FFN, and
// the pooling their sentence-transformers folders name.
var shapes = map[string]struct {
	hidden, layers, heads, ffn int
	pool                       nn.Pooling
}{
	"minilm":    {384, 6, 12, 1536, nn.PoolMean},  // all-MiniLM-L6-v2
	"bge-small": {384, 12, 12, 1536, nn.PoolCLS},  // bge-small-en-v1.5
	"bert-base": {768, 12, 12, 3072, nn.PoolMean}, // bert-base-uncased sizes
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "encspeed:", err)
		os.Exit(1)
	}
}

func run() error {
	shape := flag.String("shape", "minilm", "model shape: minilm, bge-small or bert-base")
	data := flag.String("data", "scifact", "BEIR folder or embedded collection whose corpus is encoded")
	vocabPath := flag.String("vocab", "nn/wordpiece/testdata/vocab.txt", "WordPiece vocabulary (bert-base-uncased's)")
	n := flag.Int("n", 256, "documents encoded (the corpus's first n)")
	maxLen := flag.Int("len", 256, "most tokens per document, [CLS] and [SEP] included")
	batch := flag.Int("batch", 32, "documents per batch")
	threads := flag.Int("threads", 1, "kernel threads")
	path := flag.String("path", "packed", "packed (no padding) or padded (batches padded to their longest)")
	writeIDs := flag.String("write-ids", "", "write the ordered token ids here (for bench/encode_torch.py) and exit")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the timed encoding here")
	precision := flag.String("precision", "fp32", "fp32, int8 or bf16")
	flag.Parse()
	prec, err := nn.ParsePrecision(*precision)
	if err != nil {
		return fmt.Errorf("-precision: %w", err)
	}
	s, ok := shapes[*shape]
	switch {
	case !ok:
		return fmt.Errorf("-shape %q: want minilm, bge-small or bert-base", *shape)
	case *n < 1 || *batch < 1 || *threads < 1 || *maxLen < 2 || *maxLen > 512:
		return fmt.Errorf("-n, -batch and -threads must be at least 1 and -len in [2, 512]")
	case *path != "packed" && *path != "padded":
		return fmt.Errorf("-path %q: want packed or padded", *path)
	}
	kernels.SetThreads(*threads)
	runtime.GOMAXPROCS(*threads)

	d, err := beir.Read(*data, beir.Options{})
	if err != nil {
		return err
	}
	v, err := wordpiece.ReadVocabFile(*vocabPath)
	if err != nil {
		return err
	}
	tok := wordpiece.New(v, true)
	var seqs [][]int32
	for i := 0; i < len(d.Corpus.Docs) && len(seqs) < *n; i++ {
		seqs = append(seqs, tok.Encode(nil, d.Corpus.Docs[i].Joined(), *maxLen))
	}
	// Longest first, as sentence-transformers orders a corpus (by length)
	// before batching; ties keep corpus order.
	sort.SliceStable(seqs, func(a, b int) bool { return len(seqs[a]) > len(seqs[b]) })
	if *writeIDs != "" {
		return writeSeqs(*writeIDs, seqs)
	}

	c := nn.BertConfig{VocabSize: 30522, HiddenSize: s.hidden, NumHiddenLayers: s.layers,
		NumAttentionHeads: s.heads, IntermediateSize: s.ffn, HiddenAct: "gelu", MaxPositionEmbeddings: 512,
		TypeVocabSize: 2, LayerNormEps: 1e-12, InitializerRange: 0.02, ModelType: "bert"}
	m, err := nn.NewBert(c, 1)
	if err != nil {
		return err
	}
	if err := m.SetPrecision(prec); err != nil {
		return err
	}
	tp := autograd.NewTape(0)
	tp.NoGrad(true)
	tp.SetTraining(false)
	out := make([]float32, len(seqs)*s.hidden)
	encode := func(lo, hi int) error {
		tp.Reset()
		var v *autograd.Var
		if *path == "packed" {
			ids, offs := pack(seqs[lo:hi])
			v = nn.PoolPacked(tp, m.ForwardPacked(tp, ids, nil, offs), offs, s.pool, true)
		} else {
			ids, mask := pad(seqs[lo:hi])
			v = nn.Pool(tp, m.Forward(tp, ids, nil, mask), mask, s.pool, true)
		}
		if err := tp.Err(); err != nil {
			return err
		}
		copy(out[lo*s.hidden:], v.Data())
		return nil
	}
	if err := encode(0, min(*batch, len(seqs))); err != nil { // warm-up
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	for lo := 0; lo < len(seqs); lo += *batch {
		if err := encode(lo, min(lo+*batch, len(seqs))); err != nil {
			return err
		}
	}
	secs := time.Since(start).Seconds()
	tokens, padded := 0, 0
	for lo := 0; lo < len(seqs); lo += *batch {
		hi := min(lo+*batch, len(seqs))
		padded += (hi - lo) * len(seqs[lo])
		for _, q := range seqs[lo:hi] {
			tokens += len(q)
		}
	}
	var sum float64
	for _, x := range out {
		sum += float64(x)
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"who": "rrra", "path": *path, "shape": *shape, "threads": *threads, "docs": len(seqs),
		"docs_per_s": float64(len(seqs)) / secs, "seconds": secs, "tokens": tokens, "padded_tokens": padded,
		"peak_rss_mib": peakRSS() / 1024, "kernels": kernels.Selected(), "checksum": sum,
		"precision": prec.String(), "int8_kernels": kernels.SelectedInt8(), "bf16_kernels": kernels.SelectedBF16(),
	})
}

// pack lays sequences end to end: offsets[i] is where sequence i starts,
// offsets[len(seqs)] the total.
func pack(seqs [][]int32) ([]int32, []int) {
	var ids []int32
	offs := []int{0}
	for _, q := range seqs {
		ids = append(ids, q...)
		offs = append(offs, len(ids))
	}
	return ids, offs
}

// pad pads sequences with id 0 to the longest and returns their mask.
func pad(seqs [][]int32) ([]int32, *tensor.Tensor) {
	t := 0
	for _, q := range seqs {
		t = max(t, len(q))
	}
	ids := make([]int32, len(seqs)*t)
	mask := tensor.New(tensor.S(len(seqs), t))
	for i, q := range seqs {
		copy(ids[i*t:], q)
		for j := range q {
			mask.Data[i*t+j] = 1
		}
	}
	return ids, mask
}

// writeSeqs writes little-endian int32s: the count, then each sequence's
// length and ids.
func writeSeqs(path string, seqs [][]int32) error {
	buf := binary.LittleEndian.AppendUint32(nil, uint32(len(seqs)))
	for _, q := range seqs {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(q)))
		for _, id := range q {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(id))
		}
	}
	return os.WriteFile(path, buf, 0o644)
}

// peakRSS returns the process's peak resident set in KiB (VmHWM), or 0
// where /proc/self/status does not exist.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			k, _ := strconv.Atoi(f[1])
			return float64(k)
		}
	}
	return 0
}
