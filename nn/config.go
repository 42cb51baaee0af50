package nn

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/rrra/rrra/internal/atomicfile"
)

// BertConfig holds the fields of a Hugging Face BertConfig (config.json)
// that define the model's shape and numerics.
type BertConfig struct {
	VocabSize                 int      `json:"vocab_size"`
	HiddenSize                int      `json:"hidden_size"`
	NumHiddenLayers           int      `json:"num_hidden_layers"`
	NumAttentionHeads         int      `json:"num_attention_heads"`
	IntermediateSize          int      `json:"intermediate_size"`
	HiddenAct                 string   `json:"hidden_act"`
	MaxPositionEmbeddings     int      `json:"max_position_embeddings"`
	TypeVocabSize             int      `json:"type_vocab_size"`
	LayerNormEps              float64  `json:"layer_norm_eps"`
	HiddenDropoutProb         float64  `json:"hidden_dropout_prob"`
	AttentionProbsDropoutProb float64  `json:"attention_probs_dropout_prob"`
	InitializerRange          float64  `json:"initializer_range"`
	PadTokenID                int      `json:"pad_token_id"`
	PositionEmbeddingType     string   `json:"position_embedding_type,omitempty"`
	ModelType                 string   `json:"model_type"`
	Architectures             []string `json:"architectures,omitempty"`
}

// requiredConfigFields define the architecture; a config.json without one
// of them is refused rather than filled with bert-base's value.
var requiredConfigFields = []string{"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"}

// ReadConfig reads and checks a config.json; a model_type other than
// "bert" is refused. Fields other than the required ones default as Hugging Face's BertConfig does (gelu, 512 positions, 2
// token types, eps 1e-12, dropout 0.1, initializer range 0.02).
func ReadConfig(path string) (BertConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return BertConfig{}, fmt.Errorf("nn: %w", err)
	}
	return ParseConfig(data, path)
}

// ParseConfig parses config.json contents; name is used in errors.
func ParseConfig(data []byte, name string) (BertConfig, error) {
	var present map[string]json.RawMessage
	if err := json.Unmarshal(data, &present); err != nil {
		return BertConfig{}, fmt.Errorf("nn: %s: not a JSON object: %v", name, err)
	}
	for _, f := range requiredConfigFields {
		if _, ok := present[f]; !ok {
			return BertConfig{}, fmt.Errorf("nn: %s: field %s is missing", name, f)
		}
	}
	c := BertConfig{HiddenAct: "gelu", MaxPositionEmbeddings: 512, TypeVocabSize: 2, LayerNormEps: 1e-12,
		HiddenDropoutProb: 0.1, AttentionProbsDropoutProb: 0.1, InitializerRange: 0.02, ModelType: "bert"}
	if err := json.Unmarshal(data, &c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return BertConfig{}, fmt.Errorf("nn: %s: field %s: want %s, have %s", name, te.Field, te.Type, te.Value)
		}
		return BertConfig{}, fmt.Errorf("nn: %s: %v", name, err)
	}
	if c.ModelType != "bert" {
		return BertConfig{}, fmt.Errorf("nn: %s: field model_type is %q; rrra implements \"bert\"", name, c.ModelType)
	}
	if err := c.Validate(); err != nil {
		return BertConfig{}, fmt.Errorf("nn: %s: %w", name, err)
	}
	return c, nil
}

// Upper bounds on the sizes of a BertConfig, which Validate checks before
// anything is allocated from them: a config.json of a few bytes must not
// ask for terabytes, or for a loop of a million layers, before the weights
// are seen (LoadModel then checks every size against the weights file,
// which must hold every parameter). Each is generous (several times what
// the largest published model of its kind has) but finite.
const (
	// MaxVocabSize bounds vocab_size: multilingual encoders have 250,002
	// tokens (XLM-R), the largest vocabularies about 256k.
	MaxVocabSize = 1 << 22
	// MaxHiddenSize bounds hidden_size: BERT-large has 1,024, the widest
	// transformers 16,384.
	MaxHiddenSize = 16384
	// MaxLayers bounds num_hidden_layers: BERT-large has 24, the deepest
	// transformers about 128.
	MaxLayers = 256
	// MaxAttentionHeads bounds num_attention_heads (which must divide
	// hidden_size): BERT-large has 16, the largest models 128.
	MaxAttentionHeads = 1024
	// MaxIntermediateSize bounds intermediate_size: 4 × MaxHiddenSize,
	// BERT's ratio.
	MaxIntermediateSize = 4 * MaxHiddenSize
	// MaxPositions bounds max_position_embeddings: BERT has 512,
	// long-context encoders 8,192, long-context decoders a million.
	MaxPositions = 1 << 20
	// MaxTypeVocabSize bounds type_vocab_size: BERT has 2.
	MaxTypeVocabSize = 1024
)

// Validate checks that the fields are consistent and supported, and that
// every size is positive and within its bound (MaxVocabSize and the
// others).
func (c BertConfig) Validate() error {
	for _, f := range []struct {
		name   string
		v, max int
	}{{"vocab_size", c.VocabSize, MaxVocabSize}, {"hidden_size", c.HiddenSize, MaxHiddenSize},
		{"num_hidden_layers", c.NumHiddenLayers, MaxLayers}, {"num_attention_heads", c.NumAttentionHeads, MaxAttentionHeads},
		{"intermediate_size", c.IntermediateSize, MaxIntermediateSize},
		{"max_position_embeddings", c.MaxPositionEmbeddings, MaxPositions}, {"type_vocab_size", c.TypeVocabSize, MaxTypeVocabSize}} {
		if f.v <= 0 {
			return fmt.Errorf("field %s is %d; it must be positive", f.name, f.v)
		}
		if f.v > f.max {
			return fmt.Errorf("field %s is %d; rrra reads at most %d", f.name, f.v, f.max)
		}
	}
	switch {
	case c.HiddenSize%c.NumAttentionHeads != 0:
		return fmt.Errorf("field hidden_size %d is not a multiple of num_attention_heads %d", c.HiddenSize, c.NumAttentionHeads)
	case c.HiddenAct != "gelu":
		return fmt.Errorf("field hidden_act is %q; rrra implements \"gelu\" (the erf form)", c.HiddenAct)
	case c.PositionEmbeddingType != "" && c.PositionEmbeddingType != "absolute":
		return fmt.Errorf("field position_embedding_type is %q; rrra implements \"absolute\"", c.PositionEmbeddingType)
	case !(c.LayerNormEps > 0):
		return fmt.Errorf("field layer_norm_eps is %v; it must be positive", c.LayerNormEps)
	case c.HiddenDropoutProb < 0 || c.HiddenDropoutProb >= 1:
		return fmt.Errorf("field hidden_dropout_prob is %v; it must be in [0, 1)", c.HiddenDropoutProb)
	case c.AttentionProbsDropoutProb < 0 || c.AttentionProbsDropoutProb >= 1:
		return fmt.Errorf("field attention_probs_dropout_prob is %v; it must be in [0, 1)", c.AttentionProbsDropoutProb)
	case c.PadTokenID < 0 || c.PadTokenID >= c.VocabSize:
		return fmt.Errorf("field pad_token_id %d is outside the vocabulary of %d", c.PadTokenID, c.VocabSize)
	}
	return nil
}

// A paramShape is a parameter of a Bert as its configuration implies it:
// its name, its shape and the config.json fields the shape comes from.
type paramShape struct {
	name   string
	shape  []int
	fields string
}

// paramShapes lists the parameters of a Bert of configuration c, in the
// order newBert adds them, without allocating them: what LoadModel checks
// a weights file against before it allocates anything. c must be valid.
func (c BertConfig) paramShapes() []paramShape {
	h, ff := c.HiddenSize, c.IntermediateSize
	const hid, inter = "hidden_size", "intermediate_size"
	ps := []paramShape{
		{"embeddings.word_embeddings.weight", []int{c.VocabSize, h}, "vocab_size and " + hid},
		{"embeddings.position_embeddings.weight", []int{c.MaxPositionEmbeddings, h}, "max_position_embeddings and " + hid},
		{"embeddings.token_type_embeddings.weight", []int{c.TypeVocabSize, h}, "type_vocab_size and " + hid},
		{"embeddings.LayerNorm.weight", []int{h}, hid},
		{"embeddings.LayerNorm.bias", []int{h}, hid},
	}
	for l := 0; l < c.NumHiddenLayers; l++ {
		pre := fmt.Sprintf("encoder.layer.%d.", l)
		for _, n := range []string{"query", "key", "value"} {
			ps = append(ps, paramShape{pre + "attention.self." + n + ".weight", []int{h, h}, hid})
		}
		for _, n := range []string{"query", "key", "value"} {
			ps = append(ps, paramShape{pre + "attention.self." + n + ".bias", []int{h}, hid})
		}
		ps = append(ps,
			paramShape{pre + "attention.output.dense.weight", []int{h, h}, hid},
			paramShape{pre + "attention.output.dense.bias", []int{h}, hid},
			paramShape{pre + "attention.output.LayerNorm.weight", []int{h}, hid},
			paramShape{pre + "attention.output.LayerNorm.bias", []int{h}, hid},
			paramShape{pre + "intermediate.dense.weight", []int{ff, h}, inter + " and " + hid},
			paramShape{pre + "intermediate.dense.bias", []int{ff}, inter},
			paramShape{pre + "output.dense.weight", []int{h, ff}, hid + " and " + inter},
			paramShape{pre + "output.dense.bias", []int{h}, hid},
			paramShape{pre + "output.LayerNorm.weight", []int{h}, hid},
			paramShape{pre + "output.LayerNorm.bias", []int{h}, hid},
		)
	}
	return ps
}

// WriteConfig writes c as config.json at path, atomically.
func WriteConfig(path string, c BertConfig) error {
	if c.ModelType == "" {
		c.ModelType = "bert"
	}
	if len(c.Architectures) == 0 {
		c.Architectures = []string{"BertModel"}
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	return atomicfile.Write(path, append(data, '\n'))
}

// PresetNames lists the configurations Preset knows, smallest first.
var PresetNames = []string{"mini", "tiny", "small"}

// Preset returns a BERT configuration for a model trained from scratch
// with a vocabulary of vocabSize tokens: "mini" (hidden 64, 2 layers, 2
// heads, FFN 256: tests and demos), "tiny" (128, 2, 2, 512) and "small"
// (256, 4, 4, 1024), the last two as the benchmarks define them; GELU,
// 512 positions, dropout 0.1, LayerNorm ε 1e-12, initializer range 0.02.
func Preset(name string, vocabSize int) (BertConfig, error) {
	var h, l, a, f int
	switch name {
	case "mini":
		h, l, a, f = 64, 2, 2, 256
	case "tiny":
		h, l, a, f = 128, 2, 2, 512
	case "small":
		h, l, a, f = 256, 4, 4, 1024
	default:
		return BertConfig{}, fmt.Errorf("nn: no preset configuration %q (have %v)", name, PresetNames)
	}
	c := BertConfig{VocabSize: vocabSize, HiddenSize: h, NumHiddenLayers: l, NumAttentionHeads: a,
		IntermediateSize: f, HiddenAct: "gelu", MaxPositionEmbeddings: 512, TypeVocabSize: 2,
		LayerNormEps: 1e-12, HiddenDropoutProb: 0.1, AttentionProbsDropoutProb: 0.1,
		InitializerRange: 0.02, ModelType: "bert", Architectures: []string{"BertModel"}}
	return c, c.Validate()
}
