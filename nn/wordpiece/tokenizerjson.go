package wordpiece

import (
	"encoding/json"
	"fmt"
	"os"
	"unicode/utf8"
)

// tokenizerJSON is the part of a Hugging Face tokenizers file
// (tokenizer.json) that defines a BERT WordPiece tokenizer.
type tokenizerJSON struct {
	AddedTokens []struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
	} `json:"added_tokens"`
	Normalizer *struct {
		Type               string `json:"type"`
		CleanText          *bool  `json:"clean_text"`
		HandleChineseChars *bool  `json:"handle_chinese_chars"`
		StripAccents       *bool  `json:"strip_accents"`
		Lowercase          *bool  `json:"lowercase"`
	} `json:"normalizer"`
	PreTokenizer *struct {
		Type string `json:"type"`
	} `json:"pre_tokenizer"`
	PostProcessor *struct {
		Type   string            `json:"type"`
		Single []json.RawMessage `json:"single"`
		Cls    []json.RawMessage `json:"cls"`
		Sep    []json.RawMessage `json:"sep"`
	} `json:"post_processor"`
	Model *struct {
		Type                    string           `json:"type"`
		UnkToken                *string          `json:"unk_token"`
		ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    *int             `json:"max_input_chars_per_word"`
		Vocab                   map[string]int64 `json:"vocab"`
	} `json:"model"`
}

// ReadTokenizerJSON reads a Hugging Face tokenizer.json that describes
// BERT's tokenizer: model.type "WordPiece" with its vocab (token → id, the
// ids 0..n−1 each once), unk_token "[UNK]", continuing_subword_prefix "##"
// and max_input_chars_per_word 100; normalizer "BertNormalizer" with
// clean_text and handle_chinese_chars on and strip_accents following
// lowercase; pre_tokenizer "BertPreTokenizer"; post_processor
// "TemplateProcessing" or "BertProcessing" putting [CLS] before and [SEP]
// after a text. It returns the vocabulary and whether the text is
// lower-cased (normalizer.lowercase). Anything else is refused with an
// error naming the file and the field.
func ReadTokenizerJSON(path string) (*Vocab, bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("wordpiece: %w", err)
	}
	return ParseTokenizerJSON(data, path)
}

// ParseTokenizerJSON parses tokenizer.json contents as ReadTokenizerJSON
// does; name is used in errors.
func ParseTokenizerJSON(data []byte, name string) (*Vocab, bool, error) {
	var tj tokenizerJSON
	if err := json.Unmarshal(data, &tj); err != nil {
		return nil, false, fmt.Errorf("wordpiece: %s: %v", name, err)
	}
	fail := func(format string, args ...any) (*Vocab, bool, error) {
		return nil, false, fmt.Errorf("wordpiece: %s: "+format, append([]any{name}, args...)...)
	}
	m := tj.Model
	switch {
	case m == nil:
		return fail("field model is missing")
	case m.Type != "WordPiece":
		return fail("field model.type is %q; rrra implements \"WordPiece\"", m.Type)
	case m.UnkToken != nil && *m.UnkToken != UnkToken:
		return fail("field model.unk_token is %q; rrra implements %q", *m.UnkToken, UnkToken)
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "##":
		return fail("field model.continuing_subword_prefix is %q; rrra implements \"##\"", *m.ContinuingSubwordPrefix)
	case m.MaxInputCharsPerWord != nil && *m.MaxInputCharsPerWord != MaxWordChars:
		return fail("field model.max_input_chars_per_word is %d; rrra implements %d", *m.MaxInputCharsPerWord, MaxWordChars)
	case len(m.Vocab) == 0:
		return fail("field model.vocab is missing or empty")
	}
	n := len(m.Vocab)
	tokens := make([]string, n)
	for tok, id := range m.Vocab {
		switch {
		case id < 0 || id >= int64(n):
			return fail("field model.vocab: token %q has id %d, outside 0..%d", tok, id, n-1)
		case tokens[id] != "":
			return fail("field model.vocab: tokens %q and %q share id %d", tokens[id], tok, id)
		case tok == "" || !utf8.ValidString(tok):
			return fail("field model.vocab: id %d is an empty or invalid UTF-8 token", id)
		}
		tokens[id] = tok
	}
	v := &Vocab{tokens: tokens, ids: make(map[string]int32, n), Mask: -1}
	for i, tok := range tokens {
		v.ids[tok] = int32(i)
	}
	if err := v.findSpecial(name + ": field model.vocab"); err != nil {
		return nil, false, err
	}
	for i, a := range tj.AddedTokens {
		if id, ok := v.ids[a.Content]; !ok || int(id) != a.ID {
			return fail("field added_tokens[%d]: %q with id %d is not that entry of model.vocab; rrra tokenizes with the vocabulary alone", i, a.Content, a.ID)
		}
	}
	nz := tj.Normalizer
	if nz == nil {
		return fail("field normalizer is null; rrra implements \"BertNormalizer\"")
	}
	on := func(b *bool, def bool) bool {
		if b == nil {
			return def
		}
		return *b
	}
	lower := on(nz.Lowercase, true)
	switch {
	case nz.Type != "BertNormalizer":
		return fail("field normalizer.type is %q; rrra implements \"BertNormalizer\"", nz.Type)
	case !on(nz.CleanText, true):
		return fail("field normalizer.clean_text is false; rrra always cleans text")
	case !on(nz.HandleChineseChars, true):
		return fail("field normalizer.handle_chinese_chars is false; rrra always spaces CJK characters")
	case nz.StripAccents != nil && *nz.StripAccents != lower:
		return fail("field normalizer.strip_accents is %v with lowercase %v; rrra strips accents exactly when it lower-cases", *nz.StripAccents, lower)
	}
	if tj.PreTokenizer == nil || tj.PreTokenizer.Type != "BertPreTokenizer" {
		t := "null"
		if tj.PreTokenizer != nil {
			t = fmt.Sprintf("%q", tj.PreTokenizer.Type)
		}
		return fail("field pre_tokenizer.type is %s; rrra implements \"BertPreTokenizer\"", t)
	}
	if err := checkPostProcessor(&tj); err != nil {
		return fail("%v", err)
	}
	return v, lower, nil
}

// checkPostProcessor checks that the post-processor frames a text as
// [CLS] text [SEP], as Tokenizer.Encode does.
func checkPostProcessor(tj *tokenizerJSON) error {
	pp := tj.PostProcessor
	if pp == nil {
		return fmt.Errorf("field post_processor is null; rrra adds [CLS] and [SEP] (\"TemplateProcessing\" or \"BertProcessing\")")
	}
	first := func(raw []json.RawMessage) string {
		var s string
		if len(raw) > 0 {
			_ = json.Unmarshal(raw[0], &s)
		}
		return s
	}
	switch pp.Type {
	case "BertProcessing":
		if first(pp.Cls) != ClsToken || first(pp.Sep) != SepToken {
			return fmt.Errorf("fields post_processor.cls and .sep are %q and %q; rrra implements %s and %s", first(pp.Cls), first(pp.Sep), ClsToken, SepToken)
		}
		return nil
	case "TemplateProcessing":
		var got []string
		for _, raw := range pp.Single {
			var piece struct {
				SpecialToken *struct{ ID string } `json:"SpecialToken"`
				Sequence     *struct{ ID string } `json:"Sequence"`
			}
			if err := json.Unmarshal(raw, &piece); err != nil {
				return fmt.Errorf("field post_processor.single: %v", err)
			}
			switch {
			case piece.SpecialToken != nil:
				got = append(got, piece.SpecialToken.ID)
			case piece.Sequence != nil:
				got = append(got, "$"+piece.Sequence.ID)
			default:
				got = append(got, "?")
			}
		}
		if len(got) != 3 || got[0] != ClsToken || got[1] != "$A" || got[2] != SepToken {
			return fmt.Errorf("field post_processor.single is %v; rrra implements [%s $A %s]", got, ClsToken, SepToken)
		}
		return nil
	}
	return fmt.Errorf("field post_processor.type is %q; rrra implements \"TemplateProcessing\" or \"BertProcessing\"", pp.Type)
}
