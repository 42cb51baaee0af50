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
//
// Text is read in one pass, a character at a time, and split into words
// as it is normalised, so the tokenizer holds one word (at most
// MaxWordChars+1 characters), never the whole text: TokenizeN and Encode
// with a length limit stop reading once they have the ids they keep.
type Tokenizer struct {
	vocab *Vocab
	lower bool
	word  []rune // the word being read, its first MaxWordChars+1 characters
	dec   []rune // a character's canonical decomposition
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
	return t.TokenizeN(dst, text, -1)
}

// TokenizeN appends the first n ids that Tokenize would append (all of
// them when n < 0) and returns dst. It stops reading text at the end of
// the word that gives the n-th id (or as soon as a word is known to be a
// single [UNK] that is the n-th id), so its memory is O(n + MaxWordChars)
// and its time O(the text it reads), however long text is: a 50 MB
// document cut to 512 tokens costs what its first few kilobytes do.
func (t *Tokenizer) TokenizeN(dst []int32, text string, n int) []int32 {
	return t.tokenizeN(dst, "", text, n)
}

// tokenizeN is TokenizeN of prefix+text, which must not be built: prefix
// must be valid UTF-8 (so that text's first rune is decoded as it would be
// in the concatenation).
func (t *Tokenizer) tokenizeN(dst []int32, prefix, text string, n int) []int32 {
	if n == 0 {
		return dst
	}
	start := len(dst)
	t.words(prefix, text, func(w []rune) bool {
		dst = t.wordIDs(dst, w)
		if n > 0 && len(dst)-start >= n {
			dst = dst[:start+n]
			return false
		}
		return true
	})
	return dst
}

// Encode returns [CLS] + Tokenize(text) + [SEP] appended to dst, the
// WordPiece ids truncated so that the whole is at most maxLen ids
// (maxLen <= 0: no limit; maxLen < 2 keeps [CLS] and [SEP] anyway). With a
// limit, only as much of text is tokenised as the kept ids need
// (TokenizeN): the result is that of tokenising it all and truncating.
func (t *Tokenizer) Encode(dst []int32, text string, maxLen int) []int32 {
	return t.EncodePrefixed(dst, "", text, maxLen)
}

// EncodePrefixed is Encode(dst, prefix+text, maxLen) without building
// prefix+text: a prompt ("query: ") put before a text costs no copy of the
// text, however long it is.
func (t *Tokenizer) EncodePrefixed(dst []int32, prefix, text string, maxLen int) []int32 {
	if !utf8.ValidString(prefix) {
		// An incomplete character at its end would take bytes of text.
		prefix, text = "", prefix+text
	}
	dst = append(dst, t.vocab.Cls)
	n := -1
	if maxLen > 0 {
		n = max(maxLen-2, 0)
	}
	dst = t.tokenizeN(dst, prefix, text, n)
	return append(dst, t.vocab.Sep)
}

// words splits prefix+text (prefix valid UTF-8) into words the way BERT's
// basic tokenizer does, and calls f with each until f returns false. The
// text is normalised on the way: control characters, NUL and U+FFFD
// removed, whitespace turned into spaces, CJK ideographs surrounded by
// spaces, and for the uncased model lower-cased (with the final-sigma
// rule) and stripped of combining marks after canonical decomposition. A word is then a run of characters that
// are neither space nor punctuation, or a single punctuation character. A
// word longer than MaxWordChars is passed as its first MaxWordChars+1
// characters as soon as it has them (it is one [UNK] whatever follows),
// and the rest of it is skipped. w is only valid during the call.
func (t *Tokenizer) words(prefix, text string, f func(w []rune) bool) {
	s := wordSplitter{t: t, w: t.word[:0]}
	for _, part := range [2]string{prefix, text} {
		for _, r := range part {
			switch {
			case r == 0 || r == utf8.RuneError || isControl(r):
				continue
			case isSpace(r):
				s.pre(' ', f)
			case isCJK(r):
				s.pre(' ', f)
				s.pre(r, f)
				s.pre(' ', f)
			default:
				s.pre(r, f)
			}
			if s.stop {
				break
			}
		}
		if s.stop {
			break
		}
	}
	if !s.stop {
		s.flushSigma(false, f)
		s.endWord(f)
	}
	t.word = s.w
}

// A wordSplitter is the state of words: the characters of the cleaned-up
// text come to pre one by one; those of the normalised text to char; the
// words go to f, the callback that each method is passed (not kept here,
// so that a callback needs no heap allocation).
type wordSplitter struct {
	t    *Tokenizer
	w    []rune // the word so far (at most MaxWordChars+1 characters)
	long bool   // the word is longer than MaxWordChars: skip to its end
	stop bool   // f returned false

	// For the final-sigma rule: whether the last cleaned-up character
	// was a letter, and a capital sigma waiting for the character after
	// it.
	prevLetter bool
	sigma      bool
	sigmaPrev  bool // prevLetter when the sigma came: a letter is before it
}

// pre takes one character of the cleaned-up text (before lower-casing).
func (s *wordSplitter) pre(r rune, f func([]rune) bool) {
	if !s.t.lower {
		s.char(r, f)
		return
	}
	letter := isLetter(r)
	s.flushSigma(letter, f)
	if s.stop {
		return
	}
	if r == 'Σ' {
		s.sigma, s.sigmaPrev = true, s.prevLetter
		s.prevLetter = letter
		return
	}
	s.prevLetter = letter
	s.lowered(lowerRune(r), f)
}

// flushSigma lower-cases a waiting capital sigma, now that whether the
// character after it is a letter (nextLetter) is known: a sigma at the end
// of a word, after a letter and before none, is the final form ς.
func (s *wordSplitter) flushSigma(nextLetter bool, f func([]rune) bool) {
	if !s.sigma {
		return
	}
	s.sigma = false
	if s.sigmaPrev && !nextLetter {
		s.lowered('ς', f)
	} else {
		s.lowered('σ', f)
	}
}

// lowered takes a lower-cased character: its canonical decomposition
// without nonspacing marks goes on to char. Marks are dropped, so their
// canonical order does not matter and each character can be decomposed on
// its own, as it comes.
func (s *wordSplitter) lowered(r rune, f func([]rune) bool) {
	if r < utf8.RuneSelf {
		s.char(r, f)
		return
	}
	s.t.dec = appendDecomposed(s.t.dec[:0], r)
	for _, c := range s.t.dec {
		if s.stop {
			return
		}
		s.char(c, f)
	}
}

// char takes one character of the normalised text.
func (s *wordSplitter) char(r rune, f func([]rune) bool) {
	switch {
	case isSpace(r):
		s.endWord(f)
	case isPunct(r):
		s.endWord(f)
		if !s.stop {
			s.w = append(s.w[:0], r)
			s.stop = !f(s.w)
			s.w = s.w[:0]
		}
	case s.long: // the rest of a word already passed as too long
	default:
		s.w = append(s.w, r)
		if len(s.w) > MaxWordChars {
			s.long = true
			s.stop = !f(s.w)
		}
	}
}

// endWord passes the word read so far to f, unless it is empty or was
// passed already for being too long.
func (s *wordSplitter) endWord(f func([]rune) bool) {
	if len(s.w) > 0 && !s.long && !s.stop {
		s.stop = !f(s.w)
	}
	s.w, s.long = s.w[:0], false
}

// isLetter is unicode.IsLetter with a fast path for ASCII.
func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}
	return unicode.IsLetter(r)
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

// lowerRune lower-cases r, a character other than the capital sigma
// (whose lower case depends on its neighbours: see flushSigma).
func lowerRune(r rune) rune {
	if r == 'İ' { // lower-cases to i + U+0307, whose mark is stripped
		return 'i'
	}
	return unicode.ToLower(r)
}

// wordIDs appends the WordPiece ids of one pre-tokenized word: the longest
// vocabulary entry from the left, then "##"-prefixed continuations; a word
// that cannot be covered, or is longer than MaxWordChars, is one [UNK].
func (t *Tokenizer) wordIDs(dst []int32, w []rune) []int32 {
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
	if r < utf8.RuneSelf { // ASCII: category Cc
		return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f
	}
	if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) {
		return true
	}
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
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
