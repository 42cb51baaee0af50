// Package wordpiece is BERT's tokenizer: the basic tokenizer (clean text,
// space around CJK characters, lower-casing and accent stripping,
// punctuation split) followed by WordPiece greedy longest-match-first with
// "##" continuations, as Hugging Face's BertTokenizer and BertTokenizerFast
// do, with [CLS] … [SEP], truncation, padding and attention masks.
package wordpiece

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Special token names.
const (
	PadToken  = "[PAD]"
	UnkToken  = "[UNK]"
	ClsToken  = "[CLS]"
	SepToken  = "[SEP]"
	MaskToken = "[MASK]"
)

// Vocab maps WordPiece tokens to ids: token i is line i of vocab.txt.
type Vocab struct {
	tokens []string
	ids    map[string]int32
	// Ids of the special tokens; Mask is -1 if the vocabulary has none.
	Pad, Unk, Cls, Sep, Mask int32
}

// ReadVocabFile reads a vocab.txt: one token per line, id = line number.
func ReadVocabFile(path string) (*Vocab, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("wordpiece: %w", err)
	}
	defer f.Close()
	return ParseVocab(f, path)
}

// maxVocabLine bounds a line of vocab.txt: no token is near it, so a longer
// line means the file is not a vocabulary.
const maxVocabLine = 1 << 20

// ParseVocab reads a vocabulary from r; name is used in errors. Lines end
// in LF or CRLF. It fails on invalid UTF-8, empty or repeated tokens
// (naming both lines), a token ending in a carriage return, and a missing
// [PAD], [UNK], [CLS] or [SEP]. A UTF-8 byte-order mark before the first
// token is skipped; a UTF-16 one is refused.
func ParseVocab(r io.Reader, name string) (*Vocab, error) {
	v := &Vocab{ids: map[string]int32{}, Mask: -1}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxVocabLine)
	line := 0
	for sc.Scan() {
		line++
		tok := sc.Text()
		if line == 1 {
			// A UTF-8 byte-order mark (some editors write one) is not part
			// of the first token; a UTF-16 file is not a vocabulary.
			if strings.HasPrefix(tok, "\xFF\xFE") || strings.HasPrefix(tok, "\xFE\xFF") {
				return nil, fmt.Errorf("wordpiece: %s:1: the file starts with a UTF-16 byte-order mark; a vocabulary is UTF-8", name)
			}
			tok = strings.TrimPrefix(tok, "\uFEFF")
		}
		if len(tok) > 0 && tok[len(tok)-1] == '\r' {
			tok = tok[:len(tok)-1]
		}
		switch {
		case !utf8.ValidString(tok):
			return nil, fmt.Errorf("wordpiece: %s:%d: token is not valid UTF-8", name, line)
		case tok == "":
			return nil, fmt.Errorf("wordpiece: %s:%d: empty token", name, line)
		case tok[len(tok)-1] == '\r':
			// WriteTo could not write it back: its line would read as
			// the token without the carriage return.
			return nil, fmt.Errorf("wordpiece: %s:%d: token %q ends in a carriage return", name, line, tok)
		}
		if prev, dup := v.ids[tok]; dup {
			return nil, fmt.Errorf("wordpiece: %s:%d: token %q repeats line %d", name, line, tok, prev+1)
		}
		v.ids[tok] = int32(len(v.tokens))
		v.tokens = append(v.tokens, tok)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line longer than the %d-byte limit: %w", maxVocabLine, err)
		}
		return nil, fmt.Errorf("wordpiece: %s:%d: %w", name, line+1, err)
	}
	if err := v.findSpecial(name); err != nil {
		return nil, err
	}
	return v, nil
}

// findSpecial sets the special tokens' ids, failing when [PAD], [UNK],
// [CLS] or [SEP] is missing; name is used in errors.
func (v *Vocab) findSpecial(name string) error {
	for _, s := range []struct {
		tok string
		id  *int32
	}{{PadToken, &v.Pad}, {UnkToken, &v.Unk}, {ClsToken, &v.Cls}, {SepToken, &v.Sep}} {
		id, ok := v.ids[s.tok]
		if !ok {
			return fmt.Errorf("wordpiece: %s: the vocabulary has no %s token", name, s.tok)
		}
		*s.id = id
	}
	if id, ok := v.ids[MaskToken]; ok {
		v.Mask = id
	}
	return nil
}

// Len returns the number of tokens.
func (v *Vocab) Len() int { return len(v.tokens) }

// Token returns the token with the given id ("" if out of range).
func (v *Vocab) Token(id int32) string {
	if id < 0 || int(id) >= len(v.tokens) {
		return ""
	}
	return v.tokens[id]
}

// ID returns the id of tok.
func (v *Vocab) ID(tok string) (int32, bool) {
	id, ok := v.ids[tok]
	return id, ok
}

// WriteTo writes the vocabulary in vocab.txt form: one token per line.
func (v *Vocab) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	var n int64
	for _, t := range v.tokens {
		k, err := bw.WriteString(t)
		n += int64(k)
		if err != nil {
			return n, err
		}
		if err := bw.WriteByte('\n'); err != nil {
			return n, err
		}
		n++
	}
	return n, bw.Flush()
}
