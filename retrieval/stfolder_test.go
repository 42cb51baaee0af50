package retrieval

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/nn/wordpiece"
)

// writeSTFolder makes a sentence-transformers folder around
// ../nn/testdata/tinybert: mean pooling with include_prompt as given,
// Normalize, max_seq_length 48, and the prompts given.
func writeSTFolder(t *testing.T, includePrompt bool, prompts map[string]string, defaultPrompt string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"} {
		abs, _ := filepath.Abs(filepath.Join("../nn/testdata/tinybert", f))
		if err := os.Symlink(abs, filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	var def any
	if defaultPrompt != "" {
		def = defaultPrompt
	}
	files := map[string]any{
		"modules.json": []map[string]any{
			{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
			{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
			{"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
		},
		"1_Pooling/config.json":             map[string]any{"word_embedding_dimension": 32, "pooling_mode_mean_tokens": true, "include_prompt": includePrompt},
		"sentence_bert_config.json":         map[string]any{"max_seq_length": 48, "do_lower_case": false},
		"config_sentence_transformers.json": map[string]any{"prompts": prompts, "default_prompt_name": def, "similarity_fn_name": "cosine"},
	}
	for name, v := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		data, _ := json.Marshal(v)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestLoadEncoderSentenceTransformers loads sentence-transformers folders
// with no options and checks the prompts chosen, the lengths, and that
// the vectors equal those of the equivalent explicit Encoder on the
// prompted texts.
func TestLoadEncoderSentenceTransformers(t *testing.T) {
	m, _, err := nn.LoadModel("../nn/testdata/tinybert")
	if err != nil {
		t.Fatal(err)
	}
	explicit := NewEncoder(&nn.BiEncoder{Query: m.Bert, Doc: m.Bert, Pooling: nn.PoolMean, Normalize: true},
		wordpiece.New(m.Vocab, m.Lower), 48, 48)
	texts := []string{"experimental investigation of the aerodynamics of a wing", "short", "Café déjà vu — naïve résumé"}
	e5 := map[string]string{"query": "query: ", "passage": "passage: "}
	for _, c := range []struct {
		name           string
		prompts        map[string]string
		def            string
		opts           EncoderOptions
		query, doc     string
		queryLen, dLen int
	}{
		{"query and passage", e5, "", EncoderOptions{}, "query: ", "passage: ", 48, 48},
		{"document wins over passage", map[string]string{"query": "q: ", "document": "d: ", "passage": "p: "}, "", EncoderOptions{}, "q: ", "d: ", 48, 48},
		{"corpus", map[string]string{"corpus": "c: "}, "", EncoderOptions{}, "", "c: ", 48, 48},
		{"default prompt", map[string]string{"query": "q: ", "retrieval": "r: "}, "retrieval", EncoderOptions{}, "q: ", "r: ", 48, 48},
		{"named prompt", e5, "", EncoderOptions{PromptName: "passage"}, "passage: ", "passage: ", 48, 48},
		{"no prompts", e5, "", EncoderOptions{NoPrompts: true}, "", "", 48, 48},
		{"lengths given", nil, "", EncoderOptions{QueryLen: 16, DocLen: 64}, "", "", 16, 64},
	} {
		dir := writeSTFolder(t, true, c.prompts, c.def)
		enc, err := LoadEncoder(dir, c.opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if enc.QueryPrompt != c.query || enc.DocPrompt != c.doc || enc.QueryMaxLen != c.queryLen || enc.DocMaxLen != c.dLen ||
			enc.Bi.Pooling != nn.PoolMean || !enc.Bi.Normalize {
			t.Fatalf("%s: prompts %q/%q, lengths %d/%d, pooling %v, normalize %v", c.name, enc.QueryPrompt, enc.DocPrompt,
				enc.QueryMaxLen, enc.DocMaxLen, enc.Bi.Pooling, enc.Bi.Normalize)
		}
		if c.name != "query and passage" {
			continue
		}
		for _, side := range []struct {
			prompt string
			got    func([]string, func(int)) ([]float32, error)
		}{{c.query, enc.Queries}, {c.doc, enc.Docs}} {
			got, err := side.got(texts, nil)
			if err != nil {
				t.Fatal(err)
			}
			var prompted []string
			for _, s := range texts {
				prompted = append(prompted, side.prompt+s)
			}
			want, err := explicit.Docs(prompted, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s: prompt %q: element %d is %v, the explicit encoder's %v", c.name, side.prompt, i, got[i], want[i])
				}
			}
		}
	}
	// Refused: an unknown prompt name, and a prompt with include_prompt false.
	dir := writeSTFolder(t, true, e5, "")
	if _, err := LoadEncoder(dir, EncoderOptions{PromptName: "instruct"}); err == nil || !strings.Contains(err.Error(), `no prompt named "instruct" in config_sentence_transformers.json (it has "passage", "query")`) {
		t.Errorf("unknown prompt: %v", err)
	}
	dir = writeSTFolder(t, false, e5, "")
	if _, err := LoadEncoder(dir, EncoderOptions{}); err == nil || !strings.Contains(err.Error(), "field include_prompt is false") {
		t.Errorf("include_prompt false: %v", err)
	}
	// Without prompts, include_prompt false changes nothing and loads; a
	// prompt set afterwards is refused when encoding.
	enc, err := LoadEncoder(dir, EncoderOptions{NoPrompts: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Docs(texts, nil); err != nil {
		t.Fatal(err)
	}
	enc.DocPrompt = "passage: "
	if _, err := enc.Docs(texts, nil); err == nil || !strings.Contains(err.Error(), "include_prompt false") {
		t.Errorf("a prompt with include_prompt false: %v", err)
	}
}
