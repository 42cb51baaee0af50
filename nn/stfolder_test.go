package nn

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/autograd"
	"github.com/rrra/rrra/nn/wordpiece"
	"github.com/rrra/rrra/tensor"
)

// stFiles is a sentence-transformers folder as files: path → contents
// (JSON values are marshalled; a nil value leaves the file out).
type stFiles map[string]any

// tinySTFolder returns the files of a sentence-transformers folder around
// testdata/tinybert at module path tpath: mean pooling, Normalize, a
// maximum length of 48 and query/passage prompts.
func tinySTFolder(tpath string) stFiles {
	j := func(p string) string { return filepath.ToSlash(filepath.Join(tpath, p)) }
	return stFiles{
		"modules.json": []map[string]any{
			{"idx": 0, "name": "0", "path": tpath, "type": "sentence_transformers.models.Transformer"},
			{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
			{"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
		},
		"1_Pooling/config.json": map[string]any{"word_embedding_dimension": 32, "pooling_mode_cls_token": false,
			"pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false,
			"pooling_mode_weightedmean_tokens": false, "pooling_mode_lasttoken": false, "include_prompt": true},
		j("sentence_bert_config.json"): map[string]any{"max_seq_length": 48, "do_lower_case": false},
		"config_sentence_transformers.json": map[string]any{"__version__": map[string]any{"sentence_transformers": "3.0.1"},
			"prompts": map[string]any{"query": "query: ", "passage": "passage: "}, "default_prompt_name": nil, "similarity_fn_name": "cosine"},
		j("config.json"):           "testdata/tinybert/config.json",
		j("model.safetensors"):     "testdata/tinybert/model.safetensors",
		j("vocab.txt"):             "testdata/tinybert/vocab.txt",
		j("tokenizer_config.json"): "testdata/tinybert/tokenizer_config.json",
	}
}

// write writes the files under a new temporary folder: strings name files
// to link to, other values are marshalled as JSON.
func (f stFiles) write(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, v := range f {
		if v == nil {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if src, ok := v.(string); ok {
			abs, _ := filepath.Abs(src)
			if err := os.Symlink(abs, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if raw, ok := v.([]byte); ok {
			if err := os.WriteFile(p, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tokenizerJSONFor returns a tokenizer.json with vocab's WordPiece model,
// as Hugging Face's BertTokenizerFast saves it.
func tokenizerJSONFor(t *testing.T, vocab *wordpiece.Vocab, lower bool) []byte {
	t.Helper()
	v := make(map[string]int, vocab.Len())
	for i := 0; i < vocab.Len(); i++ {
		v[vocab.Token(int32(i))] = i
	}
	data, err := json.Marshal(map[string]any{
		"version":        "1.0",
		"normalizer":     map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": lower},
		"pre_tokenizer":  map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{"type": "BertProcessing", "sep": []any{"[SEP]", vocab.Sep}, "cls": []any{"[CLS]", vocab.Cls}},
		"model": map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
			"max_input_chars_per_word": 100, "vocab": v},
	})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// encodeOne pools one text's states with the given settings.
func encodeOne(t *testing.T, b *Bert, tok *wordpiece.Tokenizer, text string, p Pooling, normalize bool) []float32 {
	t.Helper()
	ids := tok.Encode(nil, text, 0)
	mask := tensor.New(tensor.S(1, len(ids)))
	mask.Fill(1)
	tp := autograd.NewTape(0)
	tp.NoGrad(true)
	tp.SetTraining(false)
	v := Pool(tp, b.Forward(tp, ids, nil, mask), mask, p, normalize)
	if err := tp.Err(); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), v.Data()...)
}

// TestSentenceTransformersFolders loads sentence-transformers folders
// around tinybert, with the Transformer at the top or in 0_Transformer and
// with vocab.txt or tokenizer.json, and checks what they ask for.
func TestSentenceTransformersFolders(t *testing.T) {
	ref, _, err := LoadModel("testdata/tinybert")
	if err != nil {
		t.Fatal(err)
	}
	tj := tokenizerJSONFor(t, ref.Vocab, true)
	for _, c := range []struct {
		name      string
		tpath     string
		edit      func(f stFiles)
		pooling   Pooling
		normalize bool
	}{
		{"top level", "", nil, PoolMean, true},
		{"0_Transformer", "0_Transformer", nil, PoolMean, true},
		{"tokenizer.json", "", func(f stFiles) { f["vocab.txt"] = nil; f["tokenizer.json"] = tj }, PoolMean, true},
		{"cls without Normalize", "", func(f stFiles) {
			f["modules.json"] = f["modules.json"].([]map[string]any)[:2]
			f["1_Pooling/config.json"] = map[string]any{"word_embedding_dimension": 32, "pooling_mode_cls_token": true}
			f["config_sentence_transformers.json"] = map[string]any{"prompts": map[string]any{}, "similarity_fn_name": "dot"}
		}, PoolCLS, false},
		{"type spelled in full", "", func(f stFiles) {
			f["modules.json"].([]map[string]any)[1]["type"] = "sentence_transformers.models.pooling.Pooling"
		}, PoolMean, true},
	} {
		f := tinySTFolder(c.tpath)
		if c.edit != nil {
			c.edit(f)
		}
		dir := f.write(t)
		b, m, notices, err := LoadBiEncoder(dir)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if b.Query != b.Doc || b.Pooling != c.pooling || b.Normalize != c.normalize || m.MaxSeqLength != 48 || !m.Lower {
			t.Errorf("%s: shared %v, pooling %v, normalize %v, max length %d, lower %v", c.name, b.Query == b.Doc, b.Pooling, b.Normalize, m.MaxSeqLength, m.Lower)
		}
		if c.pooling == PoolMean && (m.Prompts["query"] != "query: " || m.Prompts["passage"] != "passage: ") {
			t.Errorf("%s: prompts %v", c.name, m.Prompts)
		}
		for _, n := range notices {
			if !strings.Contains(n, "ignored 2 tensors of the \"cls\" head") { // tinybert's masked-LM head
				t.Errorf("%s: notice %q", c.name, n)
			}
		}
		tok := wordpiece.New(m.Vocab, m.Lower)
		text := "query: Café déjà vu, an experimental investigation"
		got := encodeOne(t, b.Query, tok, text, b.Pooling, b.Normalize)
		want := encodeOne(t, ref.Bert, wordpiece.New(ref.Vocab, ref.Lower), text, c.pooling, c.normalize)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: element %d is %v, the explicit bi-encoder's %v", c.name, i, got[i], want[i])
			}
		}
	}
}

// TestSentenceTransformersRefused checks that every sentence-transformers
// setting rrra cannot follow is refused with an error naming the file and
// the field.
func TestSentenceTransformersRefused(t *testing.T) {
	mods := func(f stFiles) []map[string]any { return f["modules.json"].([]map[string]any) }
	pool := func(f stFiles) map[string]any { return f["1_Pooling/config.json"].(map[string]any) }
	prompts := func(f stFiles) map[string]any { return f["config_sentence_transformers.json"].(map[string]any) }
	cases := []struct {
		name       string
		edit       func(f stFiles)
		file, want string
	}{
		{"Dense module", func(f stFiles) {
			f["modules.json"] = append(mods(f), map[string]any{"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"})
		}, "modules.json", `field type of module 3 is "sentence_transformers.models.Dense"`},
		{"custom module", func(f stFiles) { mods(f)[2]["type"] = "my_package.Custom" }, "modules.json", `field type of module 2 is "my_package.Custom"`},
		{"no Transformer first", func(f stFiles) { f["modules.json"] = mods(f)[1:] }, "modules.json", "field type of module 0"},
		{"no Pooling", func(f stFiles) { f["modules.json"] = mods(f)[:1] }, "modules.json", "no module of type sentence_transformers.models.Pooling"},
		{"Normalize before Pooling", func(f stFiles) { m := mods(f); m[1], m[2] = m[2], m[1] }, "modules.json", "field type of module 1"},
		{"path outside", func(f stFiles) { mods(f)[1]["path"] = "../elsewhere" }, "modules.json", "field path of module 1"},
		{"max pooling", func(f stFiles) {
			pool(f)["pooling_mode_mean_tokens"] = false
			pool(f)["pooling_mode_max_tokens"] = true
		}, "1_Pooling/config.json", "field pooling_mode_max_tokens is true"},
		{"last token", func(f stFiles) { pool(f)["pooling_mode_mean_tokens"] = false; pool(f)["pooling_mode_lasttoken"] = true }, "1_Pooling/config.json", "field pooling_mode_lasttoken is true"},
		{"weighted mean", func(f stFiles) {
			pool(f)["pooling_mode_mean_tokens"] = false
			pool(f)["pooling_mode_weightedmean_tokens"] = true
		}, "1_Pooling/config.json", "field pooling_mode_weightedmean_tokens is true"},
		{"mean sqrt len", func(f stFiles) {
			pool(f)["pooling_mode_mean_tokens"] = false
			pool(f)["pooling_mode_mean_sqrt_len_tokens"] = true
		}, "1_Pooling/config.json", "field pooling_mode_mean_sqrt_len_tokens is true"},
		{"two poolings", func(f stFiles) { pool(f)["pooling_mode_cls_token"] = true }, "1_Pooling/config.json", "fields pooling_mode_cls_token, pooling_mode_mean_tokens are all true"},
		{"no pooling", func(f stFiles) { pool(f)["pooling_mode_mean_tokens"] = false }, "1_Pooling/config.json", "no pooling_mode_* field is true"},
		{"pooling config missing", func(f stFiles) { f["1_Pooling/config.json"] = nil }, "1_Pooling/config.json", "no such file"},
		{"dimension", func(f stFiles) { pool(f)["word_embedding_dimension"] = 384 }, "1_Pooling/config.json", "field word_embedding_dimension is 384; config.json has hidden_size 32"},
		{"pooling field type", func(f stFiles) { pool(f)["pooling_mode_mean_tokens"] = "yes" }, "1_Pooling/config.json", "field pooling_mode_mean_tokens"},
		{"max_seq_length too long", func(f stFiles) {
			f["sentence_bert_config.json"] = map[string]any{"max_seq_length": 512}
		}, "sentence_bert_config.json", "field max_seq_length 512 exceeds config.json's max_position_embeddings 64"},
		{"max_seq_length too short", func(f stFiles) {
			f["sentence_bert_config.json"] = map[string]any{"max_seq_length": 2}
		}, "sentence_bert_config.json", "field max_seq_length is 2"},
		{"lower-casing a cased model", func(f stFiles) {
			f["sentence_bert_config.json"] = map[string]any{"do_lower_case": true}
			f["tokenizer_config.json"] = map[string]any{"do_lower_case": false}
		}, "sentence_bert_config.json", "field do_lower_case is true but the tokenizer is cased"},
		{"default prompt unknown", func(f stFiles) { prompts(f)["default_prompt_name"] = "instruct" }, "config_sentence_transformers.json", `field default_prompt_name "instruct" is not a key of prompts`},
		{"manhattan", func(f stFiles) { prompts(f)["similarity_fn_name"] = "manhattan" }, "config_sentence_transformers.json", `field similarity_fn_name is "manhattan"`},
		{"euclidean unnormalised", func(f stFiles) {
			f["modules.json"] = mods(f)[:2]
			prompts(f)["similarity_fn_name"] = "euclidean"
		}, "config_sentence_transformers.json", `field similarity_fn_name is "euclidean"`},
		{"sparse model", func(f stFiles) { prompts(f)["model_type"] = "SparseEncoder" }, "config_sentence_transformers.json", `field model_type is "SparseEncoder"`},
		{"prompts type", func(f stFiles) { prompts(f)["prompts"] = []any{"query: "} }, "config_sentence_transformers.json", "field prompts"},
		{"another architecture", func(f stFiles) {
			f["config.json"] = map[string]any{"model_type": "xlm-roberta", "vocab_size": 30522, "hidden_size": 32, "num_hidden_layers": 2,
				"num_attention_heads": 2, "intermediate_size": 64}
		}, "config.json", `field model_type is "xlm-roberta"`},
		{"BPE tokenizer", func(f stFiles) {
			f["vocab.txt"] = nil
			f["tokenizer.json"] = map[string]any{"model": map[string]any{"type": "BPE", "vocab": map[string]any{"a": 0}}}
		}, "tokenizer.json", `field model.type is "BPE"`},
		{"rrra_biencoder.json disagrees", func(f stFiles) {
			f["rrra_biencoder.json"] = map[string]any{"shared": true, "pooling": "cls", "normalize": true}
		}, "rrra_biencoder.json", `field pooling is "cls"`},
		{"rrra_biencoder.json two towers", func(f stFiles) {
			f["rrra_biencoder.json"] = map[string]any{"shared": false, "pooling": "mean", "normalize": true}
		}, "rrra_biencoder.json", "field shared is false"},
	}
	for _, c := range cases {
		f := tinySTFolder("")
		c.edit(f)
		dir := f.write(t)
		_, _, _, err := LoadBiEncoder(dir)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, filepath.FromSlash(c.file))) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant an error naming %s and %q", c.name, err, c.file, c.want)
		}
	}
}

// TestBiEncoderSavesSentenceTransformers checks that a saved shared-tower
// bi-encoder carries the sentence-transformers files, that they alone
// (without rrra_biencoder.json) load back the same settings, and that the
// vectors are identical.
func TestBiEncoderSavesSentenceTransformers(t *testing.T) {
	m, _, err := LoadModel("testdata/tinybert")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pooling   Pooling
		normalize bool
		maxLen    int
		prompts   map[string]string
		def       string
	}{
		{PoolMean, true, 40, map[string]string{"query": "query: ", "document": "passage: "}, ""},
		{PoolCLS, false, 0, nil, ""},
		{PoolMean, false, 64, map[string]string{"retrieval": "Represent this: "}, "retrieval"},
	} {
		b := &BiEncoder{Query: m.Bert, Doc: m.Bert, Pooling: c.pooling, Normalize: c.normalize, Temperature: 0.05}
		saved := *m
		saved.MaxSeqLength, saved.Prompts, saved.DefaultPromptName = c.maxLen, c.prompts, c.def
		dir := t.TempDir()
		if err := SaveBiEncoder(dir, b, &saved); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{SentenceTransformersModules, "1_Pooling/config.json", SentenceBertConfigFile, SentenceTransformersConfig} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%+v: %v", c, err)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "2_Normalize")); (err == nil) != c.normalize {
			t.Errorf("%+v: 2_Normalize present %v", c, err == nil)
		}
		for _, withMeta := range []bool{true, false} {
			if !withMeta {
				os.Remove(filepath.Join(dir, BiEncoderFile))
			}
			got, gm, notices, err := LoadBiEncoder(dir)
			if err != nil {
				t.Fatalf("%+v (rrra_biencoder.json %v): %v", c, withMeta, err)
			}
			wantTau := float32(0.05)
			if !withMeta {
				wantTau = 0
			}
			if got.Query != got.Doc || got.Pooling != c.pooling || got.Normalize != c.normalize || got.Temperature != wantTau ||
				gm.MaxSeqLength != c.maxLen || len(gm.Prompts) != len(c.prompts) || gm.DefaultPromptName != c.def || gm.ExcludePrompt || len(notices) != 0 {
				t.Fatalf("%+v (rrra_biencoder.json %v): loaded %+v, model %+v, notices %v", c, withMeta, got, gm, notices)
			}
			for k, v := range c.prompts {
				if gm.Prompts[k] != v {
					t.Errorf("%+v: prompt %q is %q", c, k, gm.Prompts[k])
				}
			}
			tok := wordpiece.New(gm.Vocab, gm.Lower)
			a := encodeOne(t, m.Bert, tok, "experimental investigation of a wing", c.pooling, c.normalize)
			g := encodeOne(t, got.Query, tok, "experimental investigation of a wing", got.Pooling, got.Normalize)
			for i := range a {
				if a[i] != g[i] {
					t.Fatalf("%+v: element %d changed: %v → %v", c, i, a[i], g[i])
				}
			}
		}
	}
}

// TestSentenceTransformersCosineNotice checks the notice for a folder
// that scores by cosine (sentence-transformers' default) without a
// Normalize module: rrra's inner products then rank differently.
func TestSentenceTransformersCosineNotice(t *testing.T) {
	f := tinySTFolder("")
	f["modules.json"] = f["modules.json"].([]map[string]any)[:2]
	delete(f["config_sentence_transformers.json"].(map[string]any), "similarity_fn_name")
	_, _, notices, err := LoadBiEncoder(f.write(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(notices, "\n"), "config_sentence_transformers.json: the folder scores by cosine but has no Normalize module") {
		t.Errorf("notices %q", notices)
	}
}

// TestLoadModelTokenizerJSON loads a Hugging Face directory whose
// tokenizer is tokenizer.json alone: the vocabulary and lower-casing come
// from it, unless tokenizer_config.json sets do_lower_case (as
// transformers' BertTokenizerFast lets it override the normalizer).
func TestLoadModelTokenizerJSON(t *testing.T) {
	ref, _, err := LoadModel("testdata/tinybert")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name        string
		jsonLower   bool
		tokConfig   any
		wantLowered bool
	}{
		{"uncased", true, nil, true},
		{"cased", false, nil, false},
		{"tokenizer_config.json overrides", false, map[string]any{"do_lower_case": true}, true},
	} {
		dir := stFiles{
			"config.json":           "testdata/tinybert/config.json",
			"model.safetensors":     "testdata/tinybert/model.safetensors",
			"tokenizer.json":        tokenizerJSONFor(t, ref.Vocab, c.jsonLower),
			"tokenizer_config.json": c.tokConfig,
		}.write(t)
		m, _, err := LoadModel(dir)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m.Lower != c.wantLowered || m.Vocab.Len() != ref.Vocab.Len() || m.Vocab.Token(2000) != ref.Vocab.Token(2000) {
			t.Errorf("%s: lower %v, %d tokens", c.name, m.Lower, m.Vocab.Len())
		}
	}
}

// TestSeparateTowersKeepPrompts checks that a two-tower bi-encoder (no
// sentence-transformers layout) keeps its prompts through a save, and that
// saving it over a shared one removes the stale modules.json.
func TestSeparateTowersKeepPrompts(t *testing.T) {
	m, _, err := LoadModel("testdata/tinybert")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewBert(m.Bert.Config, 5)
	dir := t.TempDir()
	if err := SaveBiEncoder(dir, &BiEncoder{Query: m.Bert, Doc: m.Bert, Pooling: PoolMean}, m); err != nil {
		t.Fatal(err)
	}
	saved := *m
	saved.Prompts, saved.DefaultPromptName = map[string]string{"query": "query: ", "document": "passage: "}, "query"
	if err := SaveBiEncoder(dir, &BiEncoder{Query: m.Bert, Doc: other, Pooling: PoolMean, Normalize: true}, &saved); err != nil {
		t.Fatal(err)
	}
	b, got, notices, err := LoadBiEncoder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b.Query == b.Doc || got.Prompts["query"] != "query: " || got.Prompts["document"] != "passage: " || got.DefaultPromptName != "query" || len(notices) != 0 {
		t.Errorf("shared %v, prompts %v, default %q, notices %v", b.Query == b.Doc, got.Prompts, got.DefaultPromptName, notices)
	}
	if _, err := os.Stat(filepath.Join(dir, SentenceTransformersModules)); err == nil {
		t.Error("a stale modules.json is left")
	}
}
