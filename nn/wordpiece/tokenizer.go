package wordpiece

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxWordChars is the longest word, in characters, that WordPiece splits;
// longer words become [UNK], as in BERT.
const MaxWordChars = 100

// Tokenizer turns text into WordPiece ids. Its scratch buffers make it
// unsafe for concurrent use: give each goroutine its own (they share the
// Vocab). After warm-up, tokenizing allocates nothing.
type Tokenizer struct {
	vocab *Vocab
	lower bool
	runes []rune // normalised text
	low   []rune // lower-cased text
	piece []byte // a candidate WordPiece
}

// New returns a tokenizer over vocab; lower selects the uncased model's
// normalisation (lower-casing and accent stripping, BERT's do_lower_case).
func New(vocab *Vocab, lower bool) *Tokenizer {
	return &Tokenizer{vocab: vocab, lower: lower}
}

// Vocab returns the tokenizer's vocabulary.
func (t *Tokenizer) Vocab() *Vocab { return t.vocab }

// Tokenize appends the WordPiece ids of text (no [CLS] or [SEP]) to dst and
// returns it. Invalid UTF-8 bytes are dropped like the replacement
// character U+FFFD (BERT's clean-up removes it).
func (t *Tokenizer) Tokenize(dst []int32, text string) []int32 {
	t.normalize(text)
	t.eachWord(func(w []rune) { dst = t.word(dst, w) })
	return dst
}

// eachWord calls f with each word of the normalised text in t.runes: runs of
// non-space, non-punctuation characters, and single punctuation characters.
func (t *Tokenizer) eachWord(f func(w []rune)) {
	rs := t.runes
	for i := 0; i < len(rs); {
		switch r := rs[i]; {
		case isSpace(r):
			i++
		case isPunct(r):
			f(rs[i : i+1])
			i++
		default:
			j := i + 1
			for j < len(rs) && !isSpace(rs[j]) && !isPunct(rs[j]) {
				j++
			}
			f(rs[i:j])
			i = j
		}
	}
}

// Encode returns [CLS] + Tokenize(text) + [SEP] appended to dst, the
// WordPiece ids truncated so that the whole is at most maxLen ids
// (maxLen <= 0: no limit; maxLen < 2 keeps [CLS] and [SEP] anyway).
func (t *Tokenizer) Encode(dst []int32, text string, maxLen int) []int32 {
	start := len(dst)
	dst = append(dst, t.vocab.Cls)
	dst = t.Tokenize(dst, text)
	if maxLen > 0 && len(dst)-start+1 > maxLen {
		dst = dst[:start+max(maxLen-1, 1)]
	}
	return append(dst, t.vocab.Sep)
}

// normalize fills t.runes with BERT's normalisation of text: control
// characters, NUL and U+FFFD removed, whitespace turned into spaces, CJK
// ideographs surrounded by spaces, and for the uncased model lower-cased
// and stripped of combining marks after canonical decomposition.
func (t *Tokenizer) normalize(text string) {
	rs := t.runes[:0]
	ascii := true
	for _, r := range text {
		switch {
		case r == 0 || r == utf8.RuneError || isControl(r):
			continue
		case isSpace(r):
			rs = append(rs, ' ')
		case isCJK(r):
			rs = append(rs, ' ', r, ' ')
		default:
			rs = append(rs, r)
		}
		if r >= utf8.RuneSelf {
			ascii = false
		}
	}
	if !t.lower {
		t.runes = rs
		return
	}
	if ascii {
		for i, r := range rs {
			if 'A' <= r && r <= 'Z' {
				rs[i] = r + ('a' - 'A')
			}
		}
		t.runes = rs
		return
	}
	// Lower-case (with the final-sigma rule), then decompose canonically
	// and drop nonspacing marks, as the reference does. Marks are dropped,
	// so their canonical order does not matter and each character can be
	// decomposed on its own.
	low := t.low[:0]
	for i, r := range rs {
		low = append(low, lowerAt(rs, i, r))
	}
	t.low = low
	rs = rs[:0]
	for _, r := range low {
		rs = appendDecomposed(rs, r)
	}
	t.runes = rs
}

// appendDecomposed appends the canonical decomposition (NFD) of r to dst,
// leaving out nonspacing marks (category Mn).
func appendDecomposed(dst []rune, r rune) []rune {
	if r < utf8.RuneSelf {
		return append(dst, r)
	}
	if r >= hangulBase && r < hangulBase+hangulCount {
		// Hangul syllables decompose algorithmically into conjoining jamo.
		s := r - hangulBase
		dst = append(dst, 0x1100+s/588, 0x1161+(s%588)/28)
		if t := s % 28; t != 0 {
			dst = append(dst, 0x11A7+t)
		}
		return dst
	}
	var buf [utf8.UTFMax]byte
	d := norm.NFD.Properties(buf[:utf8.EncodeRune(buf[:], r)]).Decomposition()
	if d == nil {
		if !unicode.Is(unicode.Mn, r) {
			dst = append(dst, r)
		}
		return dst
	}
	for len(d) > 0 {
		c, n := utf8.DecodeRune(d)
		d = d[n:]
		if !unicode.Is(unicode.Mn, c) {
			dst = append(dst, c)
		}
	}
	return dst
}

const (
	hangulBase  = 0xAC00
	hangulCount = 11172
)

// lowerAt lower-cases rs[i] = r; a capital sigma at the end of a word
// becomes the final form ς, as full Unicode lower-casing does.
func lowerAt(rs []rune, i int, r rune) rune {
	if r == 'Σ' {
		before := i > 0 && unicode.IsLetter(rs[i-1])
		after := i+1 < len(rs) && unicode.IsLetter(rs[i+1])
		if before && !after {
			return 'ς'
		}
		return 'σ'
	}
	if r == 'İ' { // lower-cases to i + U+0307, whose mark is stripped
		return 'i'
	}
	return unicode.ToLower(r)
}

// word appends the WordPiece ids of one pre-tokenized word: the longest
// vocabulary entry from the left, then "##"-prefixed continuations; a word
// that cannot be covered, or is longer than MaxWordChars, is one [UNK].
func (t *Tokenizer) word(dst []int32, w []rune) []int32 {
	if len(w) > MaxWordChars {
		return append(dst, t.vocab.Unk)
	}
	mark := len(dst)
	for start := 0; start < len(w); {
		end := len(w)
		found := int32(-1)
		for ; start < end; end-- {
			p := t.piece[:0]
			if start > 0 {
				p = append(p, "##"...)
			}
			for _, r := range w[start:end] {
				p = utf8.AppendRune(p, r)
			}
			t.piece = p
			if id, ok := t.vocab.ids[string(p)]; ok {
				found = id
				break
			}
		}
		if found < 0 {
			return append(dst[:mark], t.vocab.Unk)
		}
		dst = append(dst, found)
		start = end
	}
	return dst
}

// isSpace reports BERT's whitespace (Unicode White_Space).
func isSpace(r rune) bool { return unicode.IsSpace(r) }

// isControl reports BERT's control characters: general category C (Cc, Cf,
// Co, Cs and unassigned), except tab, newline and carriage return.
func isControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) {
		return true
	}
	return r >= utf8.RuneSelf && !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
}

// isPunct reports BERT's punctuation: every ASCII non-alphanumeric symbol,
// and Unicode category P.
func isPunct(r rune) bool {
	if r < utf8.RuneSelf {
		return (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126)
	}
	return unicode.IsPunct(r)
}

// isCJK reports the CJK Unified Ideographs blocks BERT puts spaces around.
func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) || (r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}
