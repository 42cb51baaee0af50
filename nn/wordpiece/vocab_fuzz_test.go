package wordpiece

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseVocab parses any input as vocab.txt. An error names the file;
// an accepted vocabulary maps every token to its id and back, has the
// special tokens, and reads back the same from what WriteTo writes.
func FuzzParseVocab(f *testing.F) {
	for _, s := range []string{
		"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n##s\n", "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]", "[PAD]\n[CLS]\n[SEP]\n",
		"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[PAD]\n", "[PAD]\n\n[UNK]\n[CLS]\n[SEP]\n", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n\xff\n", "",
		"[PAD]\n[UNK]\n[CLS]\n[SEP]\na\r\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseVocab(bytes.NewReader(data), "vocab.txt")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "wordpiece: vocab.txt:") {
				t.Fatalf("%q: error %q does not name the file", data, err)
			}
			return
		}
		var tokens []string
		for id := int32(0); int(id) < v.Len(); id++ {
			tok := v.Token(id)
			if got, ok := v.ID(tok); !ok || got != id || tok == "" || !utf8.ValidString(tok) {
				t.Fatalf("%q: token %d is %q, which maps to %d %v", data, id, tok, got, ok)
			}
			tokens = append(tokens, tok)
		}
		for _, s := range []struct {
			id  int32
			tok string
		}{{v.Pad, PadToken}, {v.Unk, UnkToken}, {v.Cls, ClsToken}, {v.Sep, SepToken}} {
			if v.Token(s.id) != s.tok {
				t.Fatalf("%q: %s has id %d, which is %q", data, s.tok, s.id, v.Token(s.id))
			}
		}
		if v.Mask != -1 && v.Token(v.Mask) != MaskToken {
			t.Fatalf("%q: [MASK] has id %d", data, v.Mask)
		}
		var b bytes.Buffer
		if _, err := v.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		again, err := ParseVocab(&b, "again")
		if err != nil {
			t.Fatalf("%q: reading WriteTo's output: %v", data, err)
		}
		var back []string
		for id := int32(0); int(id) < again.Len(); id++ {
			back = append(back, again.Token(id))
		}
		if !slices.Equal(back, tokens) {
			t.Fatalf("%q: read back %q, want %q", data, back, tokens)
		}
	})
}
