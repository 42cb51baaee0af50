package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/rrra/rrra/internal/atomicdir"
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
//
// Nothing is allocated from config.json's sizes before they are checked:
// ReadConfig bounds each (MaxLayers and the others); then the shapes they
// imply are compared with the weights file's header, read without its
// data; then with the tensors decoded (all within the file's size); only
// then are the parameters allocated. A config.json that implies 10^12
// parameters beside a weights file of 10^6 fails at once, naming the
// field.
func LoadModel(dir string) (m *Model, notices []string, err error) {
	cfg, err := ReadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, nil, err
	}
	wpath := filepath.Join(dir, WeightsFile)
	want := cfg.paramShapes()
	if stored, ok, err := readWeightsHeader(wpath); err != nil {
		return nil, nil, err
	} else if ok {
		if err := matchShapes(cfg, want, stored, wpath); err != nil {
			return nil, nil, err
		}
	}
	// Older checkpoints store the position ids 0..511 as an int64 buffer;
	// positions here are implicit, so it is skipped.
	f, err := tensor.ReadSafetensorsFileWith(wpath, tensor.DecodeOptions{Skip: skipPositionIDs, Int8: true})
	if err != nil {
		return nil, nil, err
	}
	scheme, quantized := f.Metadata[QuantizationKey]
	if quantized && scheme != QuantizationScheme {
		return nil, nil, fmt.Errorf("nn: %s: field __metadata__.%s is %q; this rrra reads %q", wpath, QuantizationKey, scheme, QuantizationScheme)
	}
	// Again on what was decoded, in case the header check left the header
	// to the decoder: the parameters allocated below then never exceed the
	// decoded tensors.
	decoded := make([]storedTensor, 0, len(f.Names))
	for _, n := range f.Names {
		var shape []int
		if t := f.Int8[n]; t != nil {
			shape = t.Shape.Dims()
		} else {
			shape = f.Tensors[n].Shape.Dims()
		}
		decoded = append(decoded, storedTensor{name: n, dtype: f.DTypes[n], shape: shape})
	}
	if err := matchShapes(cfg, want, decoded, wpath); err != nil {
		return nil, nil, err
	}
	bert, err := newBert(cfg, 0, false) // every parameter is read below
	if err != nil {
		return nil, nil, fmt.Errorf("nn: %s: %w", filepath.Join(dir, ConfigFile), err)
	}
	if len(f.Skipped) > 0 {
		notices = append(notices, fmt.Sprintf("%s: skipped the %s buffer (positions are implicit)", wpath, f.Skipped[0]))
	}
	loaded := map[string]bool{}
	ignored := map[string]int{}
	names := append([]string(nil), f.Names...)
	sort.Strings(names)
	qvals := map[string][]int8{}     // quantized weights by parameter name
	qscale := map[string][]float32{} // their scales
	for _, stored := range names {
		name := strings.TrimPrefix(stored, "bert.")
		if prefix := ignoredPrefix(name); prefix != "" {
			ignored[prefix]++
			continue
		}
		if base, ok := strings.CutSuffix(name, scaleSuffix); ok && quantized && isQuantizable(base) {
			t := f.Tensors[stored]
			if t == nil {
				return nil, nil, fmt.Errorf("nn: %s: tensor %q is %s; scales are F32", wpath, stored, f.DTypes[stored])
			}
			if _, dup := qscale[base]; dup {
				return nil, nil, fmt.Errorf("nn: %s: tensor %q is stored twice (with and without the bert. prefix)", wpath, name)
			}
			qscale[base] = t.Data
			continue
		}
		v, ok := bert.Params.Lookup(name)
		if !ok {
			return nil, nil, fmt.Errorf("nn: %s: tensor %q is not a parameter of a %d-layer BERT", wpath, stored, cfg.NumHiddenLayers)
		}
		if loaded[name] {
			return nil, nil, fmt.Errorf("nn: %s: tensor %q is stored twice (with and without the bert. prefix)", wpath, name)
		}
		if q := f.Int8[stored]; q != nil {
			switch {
			case !quantized:
				return nil, nil, fmt.Errorf("nn: %s: tensor %q is I8, but the file's metadata has no %s entry (not a quantized model)", wpath, stored, QuantizationKey)
			case !isQuantizable(name):
				return nil, nil, fmt.Errorf("nn: %s: tensor %q is I8; only the attention and feed-forward weights are quantized", wpath, stored)
			case q.Shape != v.Shape():
				return nil, nil, fmt.Errorf("nn: %s: tensor %q has shape %v; config.json implies %v", wpath, stored, q.Shape, v.Shape())
			}
			qvals[name] = q.Data
			loaded[name] = true
			continue
		}
		if quantized && isQuantizable(name) {
			return nil, nil, fmt.Errorf("nn: %s: tensor %q is %s; a quantized model stores it as I8", wpath, stored, f.DTypes[stored])
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
	if quantized {
		if err := bert.loadInt8(qvals, qscale, wpath); err != nil {
			return nil, nil, err
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

// skipPositionIDs selects the int64 position-ids buffer of older
// checkpoints, which LoadModel leaves undecoded.
func skipPositionIDs(name, dtype string) bool {
	return strings.TrimPrefix(name, "bert.") == "embeddings.position_ids" && dtype != "F32"
}

// A storedTensor is a tensor of a weights file as its header describes it.
type storedTensor struct {
	name, dtype string
	shape       []int
}

// matchShapes checks the tensors of the weights file wpath (by header or
// decoded) against the parameters want that config.json implies, with
// the messages LoadModel's loading gives: a tensor that is not a
// parameter, one stored twice, one of another shape (naming the fields
// its shape comes from), one missing (naming num_hidden_layers when the
// file holds fewer layers). Ignored heads and the skipped position-ids
// buffer pass.
func matchShapes(cfg BertConfig, want []paramShape, stored []storedTensor, wpath string) error {
	byName := make(map[string]*paramShape, len(want))
	for i := range want {
		byName[want[i].name] = &want[i]
	}
	sorted := append([]storedTensor(nil), stored...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	seen := make(map[string]bool, len(stored))
	layers := 0 // the layers the file holds
	for _, st := range sorted {
		name := strings.TrimPrefix(st.name, "bert.")
		var l int
		if _, err := fmt.Sscanf(name, "encoder.layer.%d.", &l); err == nil && l >= layers {
			layers = l + 1
		}
		if ignoredPrefix(name) != "" || skipPositionIDs(st.name, st.dtype) {
			continue
		}
		if base, ok := strings.CutSuffix(name, scaleSuffix); ok && isQuantizable(base) {
			continue // a quantized weight's scales, checked when loaded
		}
		p, ok := byName[name]
		switch {
		case !ok:
			return fmt.Errorf("nn: %s: tensor %q is not a parameter of a %d-layer BERT", wpath, st.name, cfg.NumHiddenLayers)
		case seen[name]:
			return fmt.Errorf("nn: %s: tensor %q is stored twice (with and without the bert. prefix)", wpath, name)
		case !slices.Equal(st.shape, p.shape):
			return fmt.Errorf("nn: %s: tensor %q has shape %v; config.json implies %v (from its %s)", wpath, st.name, st.shape, p.shape, p.fields)
		}
		seen[name] = true
	}
	for _, p := range want {
		if seen[p.name] {
			continue
		}
		if strings.HasPrefix(p.name, "encoder.layer.") && layers < cfg.NumHiddenLayers {
			return fmt.Errorf("nn: %s: tensor %q is missing: config.json's num_hidden_layers is %d, and the file holds %d layers", wpath, p.name, cfg.NumHiddenLayers, layers)
		}
		return fmt.Errorf("nn: %s: tensor %q is missing", wpath, p.name)
	}
	return nil
}

// readWeightsHeader reads the tensors a safetensors file's header
// describes, without reading their data, so that LoadModel can check
// config.json's sizes before it allocates from them. ok is false, with no
// error, when the file or its header is malformed (too short, a header
// that is not JSON, a tensor whose dtype, shape and data offsets disagree
// or run past the data, gaps): the decoder then reports exactly what is
// wrong, having allocated no more than the file holds. Tensors whose data
// overlap are an error here, since the decoder would decode each one in
// full before it found the overlap.
func readWeightsHeader(path string) (stored []storedTensor, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, nil // ReadSafetensorsFile reports it
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false, nil
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, false, nil
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > tensor.MaxSafetensorsHeader || n > uint64(fi.Size()-8) {
		return nil, false, nil
	}
	header := make([]byte, n)
	if _, err := io.ReadFull(f, header); err != nil {
		return nil, false, nil
	}
	body := fi.Size() - 8 - int64(n)
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimRight(header, " \t\r\n\x00"), &entries); err != nil {
		return nil, false, nil
	}
	type span struct {
		name       string
		begin, end int64
	}
	spans := make([]span, 0, len(entries))
	for name, raw := range entries {
		if name == "__metadata__" {
			continue
		}
		var e struct {
			DType   string  `json:"dtype"`
			Shape   []int64 `json:"shape"`
			Offsets []int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(raw, &e); err != nil || e.Shape == nil || len(e.Offsets) != 2 {
			return nil, false, nil
		}
		size := map[string]int64{"F32": 4, "F16": 2, "BF16": 2, "I8": 1}[e.DType]
		if skipPositionIDs(name, e.DType) {
			size = map[string]int64{"I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "F64": 8}[e.DType]
		}
		begin, end := e.Offsets[0], e.Offsets[1]
		if size == 0 || begin < 0 || end < begin || end > body {
			return nil, false, nil
		}
		numel := int64(1)
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 || d > 1<<40 || d != 0 && numel > (end-begin)/d {
				return nil, false, nil // negative, or more values than the data holds
			}
			numel *= d
			shape[i] = int(d)
		}
		if numel*size != end-begin {
			return nil, false, nil
		}
		spans = append(spans, span{name, begin, end})
		stored = append(stored, storedTensor{name: name, dtype: e.DType, shape: shape})
	}
	sort.Slice(spans, func(i, j int) bool {
		a, b := spans[i], spans[j]
		if a.begin != b.begin {
			return a.begin < b.begin
		}
		if a.end != b.end {
			return a.end < b.end
		}
		return a.name < b.name
	})
	var at int64
	for _, s := range spans {
		switch {
		case s.begin < at:
			return nil, false, fmt.Errorf("nn: %s: tensor %q: field data_offsets [%d, %d] overlaps the tensor before it (which ends at %d)", path, s.name, s.begin, s.end, at)
		case s.begin > at:
			return nil, false, nil // a gap: the decoder reports it
		}
		at = s.end
	}
	if at != body {
		return nil, false, nil
	}
	return stored, true, nil
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
// bert. prefix, as BertModel saves). The directory is replaced as a
// whole (see SaveBiEncoder): it becomes exactly these files, a reader or
// a crash sees the old directory or the new one, and a concurrent save
// to it is refused.
func (m *Model) Save(dir string) error {
	return atomicdir.Write(dir, saveOptions(), m.write)
}

// write writes the files of the model directory into dir, which exists.
func (m *Model) write(dir string) error {
	if err := WriteConfig(filepath.Join(dir, ConfigFile), m.Bert.Config); err != nil {
		return err
	}
	p := m.Bert.Params
	named := make([]tensor.Named, p.Len())
	for i := range named {
		v := p.Var(i)
		named[i] = tensor.Named{Name: p.Name(i), Tensor: &v.Value}
	}
	meta := map[string]string{"format": "pt"}
	if m.Bert.int8 != nil {
		named = m.Bert.quantizedNamed(named)
		meta[QuantizationKey] = QuantizationScheme
	}
	sort.Slice(named, func(i, j int) bool { return named[i].Name < named[j].Name })
	if err := tensor.WriteSafetensorsFile(filepath.Join(dir, WeightsFile), named, meta); err != nil {
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
