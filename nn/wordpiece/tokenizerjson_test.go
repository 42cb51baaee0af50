package wordpiece

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// bertTokenizerJSON returns the tokenizer.json that gen_golden.mjs hands
// to @huggingface/tokenizers to make golden.jsonl (BertNormalizer,
// BertPreTokenizer, WordPiece over testdata/vocab.txt, [CLS] … [SEP]), as
// a map that a test can alter before marshalling.
func bertTokenizerJSON(t *testing.T, v *Vocab) map[string]any {
	t.Helper()
	vocab := map[string]any{}
	for i := 0; i < v.Len(); i++ {
		vocab[v.Token(int32(i))] = i
	}
	var added []any
	for _, s := range []string{PadToken, UnkToken, ClsToken, SepToken, MaskToken} {
		id, _ := v.ID(s)
		added = append(added, map[string]any{"id": id, "content": s, "special": true, "normalized": false})
	}
	return map[string]any{
		"version":       "1.0",
		"added_tokens":  added,
		"normalizer":    map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{"type": "TemplateProcessing",
			"single": []any{map[string]any{"SpecialToken": map[string]any{"id": "[CLS]", "type_id": 0}},
				map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
				map[string]any{"SpecialToken": map[string]any{"id": "[SEP]", "type_id": 0}}}},
		"decoder": map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
		"model": map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
			"max_input_chars_per_word": 100, "vocab": vocab},
	}
}

func marshal(t *testing.T, m map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTokenizerJSONGolden reads the tokenizer.json that made the goldens
// and checks that it gives vocab.txt's ids and the goldens' token ids.
func TestTokenizerJSONGolden(t *testing.T) {
	want := loadVocab(t)
	v, lower, err := ParseTokenizerJSON(marshal(t, bertTokenizerJSON(t, want)), "tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	if !lower || v.Len() != want.Len() || v.Pad != want.Pad || v.Unk != want.Unk || v.Cls != want.Cls || v.Sep != want.Sep || v.Mask != want.Mask {
		t.Fatalf("lower %v, %d tokens (want %d), specials %d %d %d %d %d", lower, v.Len(), want.Len(), v.Pad, v.Unk, v.Cls, v.Sep, v.Mask)
	}
	for i := 0; i < want.Len(); i++ {
		if v.Token(int32(i)) != want.Token(int32(i)) {
			t.Fatalf("id %d is %q, vocab.txt has %q", i, v.Token(int32(i)), want.Token(int32(i)))
		}
	}
	tok := New(v, lower)
	f, err := os.Open("testdata/golden.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var g struct {
			Text string  `json:"text"`
			IDs  []int32 `json:"ids"`
		}
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		n++
		if got := tok.Encode(nil, g.Text, 0); !slices.Equal(got, g.IDs) {
			t.Errorf("%q: got %v, want %v", g.Text, got, g.IDs)
		}
	}
	if n < 300 {
		t.Fatalf("only %d golden cases", n)
	}
}

// TestTokenizerJSONRefused checks that every tokenizer.json rrra cannot
// follow is refused with an error naming the file and the field.
func TestTokenizerJSONRefused(t *testing.T) {
	base := loadVocab(t)
	sub := func(m map[string]any, key string) map[string]any { return m[key].(map[string]any) }
	cases := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"BPE model", func(m map[string]any) { sub(m, "model")["type"] = "BPE" }, `field model.type is "BPE"`},
		{"unk", func(m map[string]any) { sub(m, "model")["unk_token"] = "<unk>" }, "field model.unk_token"},
		{"prefix", func(m map[string]any) { sub(m, "model")["continuing_subword_prefix"] = "@@" }, "field model.continuing_subword_prefix"},
		{"max chars", func(m map[string]any) { sub(m, "model")["max_input_chars_per_word"] = 200 }, "field model.max_input_chars_per_word is 200"},
		{"no model", func(m map[string]any) { delete(m, "model") }, "field model is missing"},
		{"id out of range", func(m map[string]any) { sub(m, "model")["vocab"].(map[string]any)["the"] = 1 << 20 }, "field model.vocab: token \"the\" has id"},
		{"shared id", func(m map[string]any) {
			vm := sub(m, "model")["vocab"].(map[string]any)
			vm["the"] = vm["zebra"]
		}, "field model.vocab: tokens"},
		{"no [CLS]", func(m map[string]any) {
			vm := sub(m, "model")["vocab"].(map[string]any)
			id := vm["[CLS]"]
			delete(vm, "[CLS]")
			vm["[CLS-not]"] = id
			m["added_tokens"] = nil
		}, "field model.vocab: the vocabulary has no [CLS] token"},
		{"added token", func(m map[string]any) {
			m["added_tokens"] = append(m["added_tokens"].([]any), map[string]any{"id": base.Len(), "content": "<new>"})
		}, "field added_tokens[5]"},
		{"normalizer type", func(m map[string]any) { sub(m, "normalizer")["type"] = "NFC" }, `field normalizer.type is "NFC"`},
		{"no normalizer", func(m map[string]any) { m["normalizer"] = nil }, "field normalizer is null"},
		{"clean_text", func(m map[string]any) { sub(m, "normalizer")["clean_text"] = false }, "field normalizer.clean_text"},
		{"chinese", func(m map[string]any) { sub(m, "normalizer")["handle_chinese_chars"] = false }, "field normalizer.handle_chinese_chars"},
		{"accents kept", func(m map[string]any) { sub(m, "normalizer")["strip_accents"] = false }, "field normalizer.strip_accents is false with lowercase true"},
		{"pre-tokenizer", func(m map[string]any) { sub(m, "pre_tokenizer")["type"] = "Whitespace" }, `field pre_tokenizer.type is "Whitespace"`},
		{"no post-processor", func(m map[string]any) { m["post_processor"] = nil }, "field post_processor is null"},
		{"post-processor type", func(m map[string]any) { sub(m, "post_processor")["type"] = "RobertaProcessing" }, `field post_processor.type is "RobertaProcessing"`},
		{"template", func(m map[string]any) {
			s := sub(m, "post_processor")["single"].([]any)
			sub(m, "post_processor")["single"] = s[1:]
		}, "field post_processor.single"},
	}
	for _, c := range cases {
		m := bertTokenizerJSON(t, base)
		c.edit(m)
		_, _, err := ParseTokenizerJSON(marshal(t, m), "dir/tokenizer.json")
		if err == nil || !strings.Contains(err.Error(), "dir/tokenizer.json") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming dir/tokenizer.json and %q", c.name, err, c.want)
		}
	}
	// A cased tokenizer with accents kept is followed.
	m := bertTokenizerJSON(t, base)
	sub(m, "normalizer")["lowercase"] = false
	if _, lower, err := ParseTokenizerJSON(marshal(t, m), "tokenizer.json"); err != nil || lower {
		t.Errorf("cased: lower %v, %v", lower, err)
	}
}
