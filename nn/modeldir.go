package nn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rrra/rrra/internal/atomicfile"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/tensor"
)

// A model directory as Hugging Face writes it: config.json,
// model.safetensors (parameter names with or without the "bert." prefix),
// vocab.txt (or, without it, tokenizer.json) and tokenizer_config.json.
const (
	ConfigFile          = "config.json"
	WeightsFile         = "model.safetensors"
	VocabFile           = "vocab.txt"
	TokenizerFile       = "tokenizer.json"
	TokenizerConfigFile = "tokenizer_config.json"
)

// Model is a BERT encoder with its tokenizer, as loaded from or saved to a
// model directory.
type Model struct {
	Bert  *Bert
	Vocab *wordpiece.Vocab
	Lower bool // do_lower_case

	// The settings of a sentence-transformers folder (see
	// SentenceTransformersModules), zero for a plain model directory;
	// SaveBiEncoder writes them back.

	// MaxSeqLength is sentence_bert_config.json's max_seq_length: the
	// longest input in tokens, [CLS] and [SEP] included (0: not set).
	MaxSeqLength int
	// Prompts are config_sentence_transformers.json's named prompts,
	// texts put before an input ("query: ", say).
	Prompts map[string]string
	// DefaultPromptName names the prompt sentence-transformers' encode
	// applies when it is given none ("": none).
	DefaultPromptName string
	// ExcludePrompt is the pooling config's include_prompt false: the
	// prompt's tokens are left out of the pooling.
	ExcludePrompt bool
}

// ignoredPrefixes are heads of pre-trained checkpoints that a bi-encoder
// does not use (masked-LM and next-sentence heads, the CLS pooler); their
// tensors are skipped with a notice.
var ignoredPrefixes = []string{"cls.", "pooler."}

// LoadModel reads a model directory. Every tensor in model.safetensors must
// map to a parameter of the configured model with the same shape, or belong
// to an ignored head (reported in notices); every parameter must be
// present. Errors name the file and the tensor or field.
func LoadModel(dir string) (m *Model, notices []string, err error) {
	cfg, err := ReadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, nil, err
	}
	bert, err := newBert(cfg, 0, false) // every parameter is read below
	if err != nil {
		return nil, nil, fmt.Errorf("nn: %s: %w", filepath.Join(dir, ConfigFile), err)
	}
	wpath := filepath.Join(dir, WeightsFile)
	// Older checkpoints store the position ids 0..511 as an int64 buffer;
	// positions here are implicit, so it is skipped.
	f, err := tensor.ReadSafetensorsFileSkipping(wpath, func(name, dtype string) bool {
		return strings.TrimPrefix(name, "bert.") == "embeddings.position_ids" && dtype != "F32"
	})
	if err != nil {
		return nil, nil, err
	}
	if len(f.Skipped) > 0 {
		notices = append(notices, fmt.Sprintf("%s: skipped the %s buffer (positions are implicit)", wpath, f.Skipped[0]))
	}
	loaded := map[string]bool{}
	ignored := map[string]int{}
	names := append([]string(nil), f.Names...)
	sort.Strings(names)
	for _, stored := range names {
		name := strings.TrimPrefix(stored, "bert.")
		if prefix := ignoredPrefix(name); prefix != "" {
			ignored[prefix]++
			continue
		}
		v, ok := bert.Params.Lookup(name)
		if !ok {
			return nil, nil, fmt.Errorf("nn: %s: tensor %q is not a parameter of a %d-layer BERT", wpath, stored, cfg.NumHiddenLayers)
		}
		if loaded[name] {
			return nil, nil, fmt.Errorf("nn: %s: tensor %q is stored twice (with and without the bert. prefix)", wpath, name)
		}
		t := f.Tensors[stored]
		if t.Shape != v.Shape() {
			return nil, nil, fmt.Errorf("nn: %s: tensor %q has shape %v; config.json implies %v", wpath, stored, t.Shape, v.Shape())
		}
		if ok, at := t.Finite(); !ok {
			return nil, nil, fmt.Errorf("nn: %s: tensor %q holds %v at element %d", wpath, stored, t.Data[at], at)
		}
		copy(v.Data(), t.Data)
		loaded[name] = true
	}
	for i := 0; i < bert.Params.Len(); i++ {
		if n := bert.Params.Name(i); !loaded[n] {
			return nil, nil, fmt.Errorf("nn: %s: tensor %q is missing", wpath, n)
		}
	}
	for _, p := range ignoredPrefixes {
		if ignored[p] > 0 {
			notices = append(notices, fmt.Sprintf("%s: ignored %d tensors of the %q head (not used by a bi-encoder)", wpath, ignored[p], strings.TrimSuffix(p, ".")))
		}
	}
	vocab, lower, err := readTokenizer(dir)
	if err != nil {
		return nil, nil, err
	}
	if vocab.Len() != cfg.VocabSize {
		return nil, nil, fmt.Errorf("nn: %s: %d tokens, but config.json has vocab_size %d", vocabSource(dir), vocab.Len(), cfg.VocabSize)
	}
	return &Model{Bert: bert, Vocab: vocab, Lower: lower}, notices, nil
}

// vocabSource returns the file the vocabulary of dir comes from: vocab.txt,
// or tokenizer.json when vocab.txt is absent and tokenizer.json present.
func vocabSource(dir string) string {
	v := filepath.Join(dir, VocabFile)
	if _, err := os.Stat(v); errors.Is(err, os.ErrNotExist) {
		if tj := filepath.Join(dir, TokenizerFile); fileExists(tj) {
			return tj
		}
	}
	return v
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// readTokenizer reads the vocabulary and lower-casing of dir: vocab.txt
// with tokenizer_config.json's do_lower_case (true when absent), or, when
// vocab.txt is absent, tokenizer.json's WordPiece model with its
// normalizer's lowercase, unless tokenizer_config.json sets do_lower_case
// (transformers' BertTokenizerFast lets that override the normalizer).
func readTokenizer(dir string) (*wordpiece.Vocab, bool, error) {
	src := vocabSource(dir)
	lowerSet, err := readLowerCaseField(filepath.Join(dir, TokenizerConfigFile))
	if err != nil {
		return nil, false, err
	}
	var vocab *wordpiece.Vocab
	lower := true
	if filepath.Base(src) == TokenizerFile {
		vocab, lower, err = wordpiece.ReadTokenizerJSON(src)
	} else {
		vocab, err = wordpiece.ReadVocabFile(src)
	}
	if err != nil {
		return nil, false, err
	}
	if lowerSet != nil {
		lower = *lowerSet
	}
	return vocab, lower, nil
}

func ignoredPrefix(name string) string {
	for _, p := range ignoredPrefixes {
		if strings.HasPrefix(name, p) {
			return p
		}
	}
	return ""
}

// readLowerCaseField returns do_lower_case from tokenizer_config.json, nil
// when the file or the field is absent.
func readLowerCaseField(path string) (*bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("nn: %w", err)
	}
	var tc struct {
		DoLowerCase *bool `json:"do_lower_case"`
	}
	if err := json.Unmarshal(data, &tc); err != nil {
		return nil, fmt.Errorf("nn: %s: field do_lower_case: %v", path, err)
	}
	return tc.DoLowerCase, nil
}

// Save writes the model as a Hugging Face model directory (without the
// bert. prefix, as BertModel saves), each file atomically.
func (m *Model) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	if err := WriteConfig(filepath.Join(dir, ConfigFile), m.Bert.Config); err != nil {
		return err
	}
	p := m.Bert.Params
	named := make([]tensor.Named, p.Len())
	for i := range named {
		v := p.Var(i)
		named[i] = tensor.Named{Name: p.Name(i), Tensor: &v.Value}
	}
	sort.Slice(named, func(i, j int) bool { return named[i].Name < named[j].Name })
	if err := tensor.WriteSafetensorsFile(filepath.Join(dir, WeightsFile), named, map[string]string{"format": "pt"}); err != nil {
		return err
	}
	var vb bytes.Buffer
	if _, err := m.Vocab.WriteTo(&vb); err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, VocabFile), vb.Bytes()); err != nil {
		return err
	}
	tc, _ := json.MarshalIndent(map[string]any{"do_lower_case": m.Lower, "tokenizer_class": "BertTokenizer",
		"model_max_length": m.Bert.Config.MaxPositionEmbeddings}, "", "  ")
	return atomicfile.Write(filepath.Join(dir, TokenizerConfigFile), append(tc, '\n'))
}
