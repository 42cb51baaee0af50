package nn

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rrra/rrra/internal/atomicfile"
)

// The files of a sentence-transformers folder that rrra reads and writes.
// SentenceTransformersModules (modules.json) lists the modules in order:
// a Transformer (a BERT model directory at its path, "" for the folder
// itself or "0_Transformer", with sentence_bert_config.json beside its
// config.json), a Pooling (its config.json under its path, usually
// 1_Pooling) and optionally a Normalize (2_Normalize).
// config_sentence_transformers.json at the top holds the named prompts.
const (
	SentenceTransformersModules = "modules.json"
	SentenceBertConfigFile      = "sentence_bert_config.json"
	SentenceTransformersConfig  = "config_sentence_transformers.json"
)

const (
	stTransformer = "sentence_transformers.models.Transformer"
	stPooling     = "sentence_transformers.models.Pooling"
	stNormalize   = "sentence_transformers.models.Normalize"
)

// stModule is one entry of modules.json.
type stModule struct {
	Idx  int    `json:"idx"`
	Name string `json:"name"`
	Path string `json:"path"`
	Type string `json:"type"`
}

// stPoolingConfig is a Pooling module's config.json.
type stPoolingConfig struct {
	WordEmbeddingDimension int   `json:"word_embedding_dimension"`
	CLS                    bool  `json:"pooling_mode_cls_token"`
	Mean                   bool  `json:"pooling_mode_mean_tokens"`
	Max                    bool  `json:"pooling_mode_max_tokens"`
	MeanSqrtLen            bool  `json:"pooling_mode_mean_sqrt_len_tokens"`
	WeightedMean           bool  `json:"pooling_mode_weightedmean_tokens"`
	LastToken              bool  `json:"pooling_mode_lasttoken"`
	IncludePrompt          *bool `json:"include_prompt"`
}

// stFolder is what a sentence-transformers folder asks for.
type stFolder struct {
	transformerDir string // the Transformer module's directory
	pooling        Pooling
	poolingPath    string // its config.json, for errors
	poolDim        int
	normalize      bool
	includePrompt  bool
	maxSeqLength   int
	lowerText      bool // sentence_bert_config.json do_lower_case
	prompts        map[string]string
	defaultPrompt  string
	similarity     string
}

// moduleKind returns the class name of a sentence-transformers module
// type ("Transformer" for sentence_transformers.models.Transformer and for
// its longer spelling sentence_transformers.models.transformer.Transformer).
func moduleKind(t string) string {
	if !strings.HasPrefix(t, "sentence_transformers.") {
		return ""
	}
	return t[strings.LastIndexByte(t, '.')+1:]
}

// readSTFolder reads the sentence-transformers files of dir; it returns nil
// when dir has no modules.json.
func readSTFolder(dir string) (*stFolder, []string, error) {
	mpath := filepath.Join(dir, SentenceTransformersModules)
	data, err := os.ReadFile(mpath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("nn: %w", err)
	}
	var mods []stModule
	if err := json.Unmarshal(data, &mods); err != nil {
		return nil, nil, fmt.Errorf("nn: %s: not a list of modules: %v", mpath, err)
	}
	st := &stFolder{includePrompt: true}
	var notices []string
	seen := map[string]bool{}
	for i, m := range mods {
		kind := moduleKind(m.Type)
		if m.Path != "" && !filepath.IsLocal(m.Path) {
			return nil, nil, fmt.Errorf("nn: %s: field path of module %d is %q: not a folder inside the model folder", mpath, i, m.Path)
		}
		mdir := filepath.Join(dir, filepath.FromSlash(m.Path))
		switch {
		case i == 0 && kind != "Transformer":
			return nil, nil, fmt.Errorf("nn: %s: field type of module 0 is %q; rrra needs %s first", mpath, m.Type, stTransformer)
		case kind == "Transformer" && i == 0:
			st.transformerDir = mdir
			if err := st.readSentenceBertConfig(filepath.Join(mdir, SentenceBertConfigFile)); err != nil {
				return nil, nil, err
			}
		case kind == "Pooling" && !seen["Pooling"]:
			if err := st.readPooling(filepath.Join(mdir, ConfigFile)); err != nil {
				return nil, nil, err
			}
		case kind == "Normalize" && seen["Pooling"] && !seen["Normalize"]:
			st.normalize = true
		default:
			return nil, nil, fmt.Errorf("nn: %s: field type of module %d is %q; rrra implements a %s, then a %s, then optionally a %s",
				mpath, i, m.Type, stTransformer, stPooling, stNormalize)
		}
		seen[kind] = true
	}
	if !seen["Pooling"] {
		return nil, nil, fmt.Errorf("nn: %s: no module of type %s; rrra needs one to make a vector of the token states", mpath, stPooling)
	}
	n, err := st.readPrompts(filepath.Join(dir, SentenceTransformersConfig))
	if err != nil {
		return nil, nil, err
	}
	return st, append(notices, n...), nil
}

// readSentenceBertConfig reads the Transformer module's
// sentence_bert_config.json (optional): max_seq_length and do_lower_case.
func (st *stFolder) readSentenceBertConfig(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	var c struct {
		MaxSeqLength *int  `json:"max_seq_length"`
		DoLowerCase  *bool `json:"do_lower_case"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("nn: %s: %v", path, fieldError(err))
	}
	if c.MaxSeqLength != nil {
		if *c.MaxSeqLength < 3 {
			return fmt.Errorf("nn: %s: field max_seq_length is %d; want ≥ 3, room for [CLS], a token and [SEP]", path, *c.MaxSeqLength)
		}
		st.maxSeqLength = *c.MaxSeqLength
	}
	st.lowerText = c.DoLowerCase != nil && *c.DoLowerCase
	return nil
}

// readPooling reads a Pooling module's config.json: exactly one of CLS or
// mean pooling.
func (st *stFolder) readPooling(path string) error {
	st.poolingPath = path
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	var c stPoolingConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("nn: %s: %v", path, fieldError(err))
	}
	var on []string
	for _, f := range []struct {
		name string
		on   bool
	}{{"pooling_mode_cls_token", c.CLS}, {"pooling_mode_mean_tokens", c.Mean}, {"pooling_mode_max_tokens", c.Max},
		{"pooling_mode_mean_sqrt_len_tokens", c.MeanSqrtLen}, {"pooling_mode_weightedmean_tokens", c.WeightedMean},
		{"pooling_mode_lasttoken", c.LastToken}} {
		if f.on {
			on = append(on, f.name)
		}
	}
	switch {
	case len(on) == 0:
		return fmt.Errorf("nn: %s: no pooling_mode_* field is true; rrra implements pooling_mode_cls_token or pooling_mode_mean_tokens", path)
	case len(on) > 1:
		return fmt.Errorf("nn: %s: fields %s are all true (pooled vectors concatenated); rrra implements one pooling", path, strings.Join(on, ", "))
	case c.CLS:
		st.pooling = PoolCLS
	case c.Mean:
		st.pooling = PoolMean
	default:
		return fmt.Errorf("nn: %s: field %s is true; rrra implements pooling_mode_cls_token and pooling_mode_mean_tokens", path, on[0])
	}
	st.poolDim = c.WordEmbeddingDimension
	if c.IncludePrompt != nil {
		st.includePrompt = *c.IncludePrompt
	}
	return nil
}

// readPrompts reads config_sentence_transformers.json (optional): prompts,
// default_prompt_name, similarity_fn_name and model_type.
func (st *stFolder) readPrompts(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("nn: %w", err)
	}
	var c struct {
		Prompts           map[string]string `json:"prompts"`
		DefaultPromptName *string           `json:"default_prompt_name"`
		Similarity        *string           `json:"similarity_fn_name"`
		ModelType         *string           `json:"model_type"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("nn: %s: %v", path, fieldError(err))
	}
	if c.ModelType != nil && *c.ModelType != "SentenceTransformer" {
		return nil, fmt.Errorf("nn: %s: field model_type is %q; rrra implements \"SentenceTransformer\"", path, *c.ModelType)
	}
	st.prompts = c.Prompts
	if c.DefaultPromptName != nil && *c.DefaultPromptName != "" {
		if _, ok := c.Prompts[*c.DefaultPromptName]; !ok {
			return nil, fmt.Errorf("nn: %s: field default_prompt_name %q is not a key of prompts (%s)", path, *c.DefaultPromptName, promptNames(c.Prompts))
		}
		st.defaultPrompt = *c.DefaultPromptName
	}
	var notices []string
	if c.Similarity != nil {
		st.similarity = *c.Similarity
		switch *c.Similarity {
		case "cosine", "dot", "dot_product":
		case "euclidean":
			if !st.normalize {
				return nil, fmt.Errorf("nn: %s: field similarity_fn_name is \"euclidean\" on vectors without a Normalize module; rrra scores by inner product, which ranks as euclidean only for unit vectors", path)
			}
		default:
			return nil, fmt.Errorf("nn: %s: field similarity_fn_name is %q; rrra scores by inner product (\"dot\", or \"cosine\" on normalised vectors)", path, *c.Similarity)
		}
	}
	if (c.Similarity == nil || *c.Similarity == "cosine") && !st.normalize {
		notices = append(notices, fmt.Sprintf("%s: the folder scores by cosine but has no Normalize module; rrra scores by inner product of the vectors as they are (normalise them to rank by cosine)", path))
	}
	return notices, nil
}

// promptNames lists the keys of prompts, sorted.
func promptNames(prompts map[string]string) string {
	names := make([]string, 0, len(prompts))
	for k := range prompts {
		names = append(names, fmt.Sprintf("%q", k))
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// fieldError names the field of a JSON type error.
func fieldError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("field %s: want %s, have %s", te.Field, te.Type, te.Value)
	}
	return err
}

// apply checks the folder's settings against the loaded model and records
// them in m.
func (st *stFolder) apply(m *Model) error {
	cfg := m.Bert.Config
	if st.poolDim != 0 && st.poolDim != cfg.HiddenSize {
		return fmt.Errorf("nn: %s: field word_embedding_dimension is %d; config.json has hidden_size %d", st.poolingPath, st.poolDim, cfg.HiddenSize)
	}
	sbc := filepath.Join(st.transformerDir, SentenceBertConfigFile)
	if st.maxSeqLength > cfg.MaxPositionEmbeddings {
		return fmt.Errorf("nn: %s: field max_seq_length %d exceeds config.json's max_position_embeddings %d", sbc, st.maxSeqLength, cfg.MaxPositionEmbeddings)
	}
	if st.lowerText && !m.Lower {
		return fmt.Errorf("nn: %s: field do_lower_case is true but the tokenizer is cased; rrra lower-cases only with the uncased tokenizer's accent stripping", sbc)
	}
	m.MaxSeqLength = st.maxSeqLength
	m.Prompts = st.prompts
	m.DefaultPromptName = st.defaultPrompt
	m.ExcludePrompt = !st.includePrompt
	return nil
}

// writeSTFiles writes the sentence-transformers files for a shared-tower
// bi-encoder saved at dir (the Transformer module is dir itself), so that
// sentence_transformers.SentenceTransformer(dir) loads it with its
// pooling, normalisation, maximum length and prompts.
func writeSTFiles(dir string, b *BiEncoder, m *Model) error {
	mods := []stModule{{0, "0", "", stTransformer}, {1, "1", "1_Pooling", stPooling}}
	if b.Normalize {
		mods = append(mods, stModule{2, "2", "2_Normalize", stNormalize})
		if err := os.MkdirAll(filepath.Join(dir, "2_Normalize"), 0o755); err != nil {
			return fmt.Errorf("nn: %w", err)
		}
	}
	if err := writeJSON(filepath.Join(dir, SentenceTransformersModules), mods); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "1_Pooling"), 0o755); err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	include := !m.ExcludePrompt
	pc := stPoolingConfig{WordEmbeddingDimension: b.Query.Config.HiddenSize, CLS: b.Pooling == PoolCLS,
		Mean: b.Pooling == PoolMean, IncludePrompt: &include}
	if err := writeJSON(filepath.Join(dir, "1_Pooling", ConfigFile), pc); err != nil {
		return err
	}
	var maxLen any // null: sentence-transformers takes the tokenizer's limit
	if m.MaxSeqLength > 0 {
		maxLen = m.MaxSeqLength
	}
	// The tokenizer lower-cases already (tokenizer_config.json), so the
	// module need not.
	if err := writeJSON(filepath.Join(dir, SentenceBertConfigFile), map[string]any{"max_seq_length": maxLen, "do_lower_case": false}); err != nil {
		return err
	}
	return writePromptsFile(dir, b, m)
}

// writePromptsFile writes config_sentence_transformers.json: m's prompts
// and the similarity b's scores amount to.
func writePromptsFile(dir string, b *BiEncoder, m *Model) error {
	prompts := m.Prompts
	if prompts == nil {
		prompts = map[string]string{}
	}
	var def any
	if m.DefaultPromptName != "" {
		def = m.DefaultPromptName
	}
	sim := "dot"
	if b.Normalize {
		sim = "cosine"
	}
	return writeJSON(filepath.Join(dir, SentenceTransformersConfig), map[string]any{"prompts": prompts, "default_prompt_name": def, "similarity_fn_name": sim})
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("nn: %s: %w", path, err)
	}
	return atomicfile.Write(path, append(data, '\n'))
}
