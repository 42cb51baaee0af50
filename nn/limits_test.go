package nn

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestConfigBounds checks every size field of config.json at its bound
// (accepted) and one over it (refused, naming the file and the field).
func TestConfigBounds(t *testing.T) {
	base := map[string]int64{"vocab_size": 30522, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
		"intermediate_size": 64, "max_position_embeddings": 512, "type_vocab_size": 2}
	for _, c := range []struct {
		field string
		max   int
	}{{"vocab_size", MaxVocabSize}, {"hidden_size", MaxHiddenSize}, {"num_hidden_layers", MaxLayers},
		{"num_attention_heads", MaxAttentionHeads}, {"intermediate_size", MaxIntermediateSize},
		{"max_position_embeddings", MaxPositions}, {"type_vocab_size", MaxTypeVocabSize}} {
		for _, v := range []int64{int64(c.max), int64(c.max) + 1, 1 << 40} {
			m := copyInts(base)
			m[c.field] = v
			if c.field == "num_attention_heads" {
				m["hidden_size"] = MaxHiddenSize // divisible by every head count tried
			}
			data, _ := json.Marshal(m)
			_, err := ParseConfig(data, "config.json")
			switch {
			case v == int64(c.max) && err != nil:
				t.Errorf("%s %d (the bound): %v", c.field, v, err)
			case v > int64(c.max) && (err == nil || !strings.Contains(err.Error(), fmt.Sprintf("nn: config.json: field %s is %d; rrra reads at most %d", c.field, v, c.max))):
				t.Errorf("%s %d: error %v, want one naming config.json, the field and its bound", c.field, v, err)
			}
		}
	}
}

func copyInts(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestParamShapes checks that paramShapes, what LoadModel checks a weights
// file against before allocating, lists newBert's parameters: the same
// names, in the same order, with the same shapes.
func TestParamShapes(t *testing.T) {
	for _, c := range []BertConfig{
		{VocabSize: 50, HiddenSize: 8, NumHiddenLayers: 3, NumAttentionHeads: 2, IntermediateSize: 12, MaxPositionEmbeddings: 16, TypeVocabSize: 3},
		{VocabSize: 7, HiddenSize: 4, NumHiddenLayers: 1, NumAttentionHeads: 1, IntermediateSize: 4, MaxPositionEmbeddings: 5, TypeVocabSize: 1},
	} {
		c.HiddenAct, c.LayerNormEps = "gelu", 1e-12
		b, err := newBert(c, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		ps := c.paramShapes()
		if len(ps) != b.Params.Len() {
			t.Fatalf("%d parameters listed, newBert has %d", len(ps), b.Params.Len())
		}
		n := 0
		for i, p := range ps {
			if p.name != b.Params.Name(i) || !slices.Equal(p.shape, b.Params.Var(i).Shape().Dims()) {
				t.Errorf("parameter %d: listed %s %v, newBert has %s %v", i, p.name, p.shape, b.Params.Name(i), b.Params.Var(i).Shape())
			}
			k := 1
			for _, d := range p.shape {
				k *= d
			}
			n += k
		}
		if n != c.numParams() {
			t.Errorf("%d values listed, numParams says %d", n, c.numParams())
		}
	}
}

// tinyDir copies testdata/tinybert into a new folder, with config.json's
// from replaced by to and the weights file, when weights is not nil,
// replaced by what it returns.
func tinyDir(t *testing.T, from, to string, weights func(t *testing.T, b []byte) []byte) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{ConfigFile, WeightsFile, VocabFile, TokenizerConfigFile} {
		b, err := os.ReadFile(filepath.Join("testdata/tinybert", f))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case f == ConfigFile && from != "":
			if !strings.Contains(string(b), from) {
				t.Fatalf("config.json has no %q", from)
			}
			b = []byte(strings.Replace(string(b), from, to, 1))
		case f == WeightsFile && weights != nil:
			b = weights(t, b)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// withOffsets rewrites a safetensors file's header so that tensor name's
// data_offsets are [begin, end], keeping the data.
func withOffsets(name string, begin, end int) func(*testing.T, []byte) []byte {
	return func(t *testing.T, b []byte) []byte {
		n := binary.LittleEndian.Uint64(b)
		var h map[string]map[string]any
		if err := json.Unmarshal(b[8:8+n], &h); err != nil {
			t.Fatal(err)
		}
		h[name]["data_offsets"] = []int{begin, end}
		hdr, _ := json.Marshal(h)
		out := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
		return append(append(out, hdr...), b[8+n:]...)
	}
}

// TestLoadModelChecksBeforeAllocating gives the tiny model's 4 MB of
// weights a config.json whose sizes imply far more: beyond the bounds
// (refused by config validation), within them but unlike the weights
// (refused by the header check, naming the field), or beside a malformed
// weights file (refused by the decoder). Each must fail naming the field or
// the tensor, having allocated under 64 MiB: nothing is allocated from
// config.json's sizes before the weights confirm them.
func TestLoadModelChecksBeforeAllocating(t *testing.T) {
	truncate := func(_ *testing.T, b []byte) []byte { return b[:len(b)-10] }
	cases := []struct {
		name, from, to string
		weights        func(*testing.T, []byte) []byte
		want           string
	}{
		{"a million layers", `"num_hidden_layers": 2`, `"num_hidden_layers": 1000000`, nil,
			"config.json: field num_hidden_layers is 1000000; rrra reads at most 256"},
		{"two billion positions", `"max_position_embeddings": 64`, `"max_position_embeddings": 2000000000`, nil,
			"config.json: field max_position_embeddings is 2000000000; rrra reads at most 1048576"},
		{"a vocabulary of 2^40", `"vocab_size": 30522`, `"vocab_size": 1099511627776`, nil,
			"config.json: field vocab_size is 1099511627776; rrra reads at most 4194304"},
		{"256 layers", `"num_hidden_layers": 2`, `"num_hidden_layers": 256`, nil,
			`model.safetensors: tensor "encoder.layer.2.attention.self.query.weight" is missing: config.json's num_hidden_layers is 256, and the file holds 2 layers`},
		{"a million positions", `"max_position_embeddings": 64`, `"max_position_embeddings": 1048576`, nil,
			`has shape [64 32]; config.json implies [1048576 32] (from its max_position_embeddings and hidden_size)`},
		{"the widest hidden size", `"hidden_size": 32`, `"hidden_size": 16384`, nil,
			`tensor "bert.embeddings.LayerNorm.bias" has shape [32]; config.json implies [16384] (from its hidden_size)`},
		{"the widest feed-forward", `"intermediate_size": 64`, `"intermediate_size": 65536`, nil,
			`has shape [64]; config.json implies [65536] (from its intermediate_size)`},
		{"four million tokens", `"vocab_size": 30522`, `"vocab_size": 4194304`, nil,
			`has shape [30522 32]; config.json implies [4194304 32] (from its vocab_size and hidden_size)`},
		{"1024 token types", `"type_vocab_size": 2`, `"type_vocab_size": 1024`, nil,
			`has shape [2 32]; config.json implies [1024 32] (from its type_vocab_size and hidden_size)`},
		{"the largest model, truncated weights", `"hidden_size": 32`, `"hidden_size": 16384, "num_hidden_layers": 256, "intermediate_size": 65536`, truncate,
			"model.safetensors: malformed safetensors"},
		{"overlapping data", `"num_hidden_layers": 2`, `"num_hidden_layers": 200`, withOffsets("bert.embeddings.LayerNorm.weight", 0, 128),
			`tensor "bert.embeddings.LayerNorm.weight": field data_offsets [0, 128] overlaps`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := tinyDir(t, c.from, c.to, c.weights)
			var err error
			var a, b runtime.MemStats
			runtime.ReadMemStats(&a)
			_, _, err = LoadModel(dir)
			runtime.ReadMemStats(&b)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
			if n := b.TotalAlloc - a.TotalAlloc; n > 64<<20 {
				t.Errorf("allocated %d MiB before failing", n>>20)
			}
		})
	}
}
