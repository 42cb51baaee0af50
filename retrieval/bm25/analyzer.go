package bm25

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// An Analyzer turns text into index terms as Anserini's
// DefaultEnglishAnalyzer does (Lucene's EnglishAnalyzer without keyword
// marking): Tokenize, then strip a trailing possessive 's (also with
// U+2019 or U+FF07 as the apostrophe), lower-case, drop the words of
// StopWords, and Porter-stem (Stem).
//
// An Analyzer remembers the term of every distinct token it has seen, up
// to a limit, so that analysing a token seen before allocates nothing. The
// zero value is ready to use. An Analyzer must not be used by several
// goroutines at once.
type Analyzer struct {
	cache map[string]analyzed
	buf   []byte   // lower-casing scratch
	buf16 []uint16 // stemming scratch
}

// analyzed is the fate of one token: its term, or nothing (stop word).
type analyzed struct {
	term string
	keep bool
}

// Cache limits: tokens longer than maxCachedToken bytes are not
// remembered, and an Analyzer stops remembering new tokens once it holds
// maxCacheEntries (the first ones seen are the frequent ones).
const (
	maxCachedToken  = 64
	maxCacheEntries = 1 << 20
)

// Tokens appends to dst the terms of text, in order and with repeats, and
// returns the extended slice.
func (a *Analyzer) Tokens(dst []string, text string) []string {
	if a.cache == nil {
		a.cache = make(map[string]analyzed)
	}
	for p := 0; p < len(text); {
		start, end := nextToken(text, p)
		if start < 0 {
			break
		}
		p = end
		tok := text[start:end]
		t, ok := a.cache[tok]
		if !ok {
			t = a.analyze(tok)
			if len(tok) <= maxCachedToken && len(a.cache) < maxCacheEntries {
				a.cache[strings.Clone(tok)] = t
			}
		}
		if t.keep {
			dst = append(dst, t.term)
		}
	}
	return dst
}

// analyze applies the filters after the tokenizer to one token.
func (a *Analyzer) analyze(tok string) analyzed {
	tok = stripPossessive(tok)
	a.buf = appendLower(a.buf[:0], tok)
	if isStopWord(a.buf) {
		return analyzed{}
	}
	if isASCIIBytes(a.buf) {
		s := stemmer[byte]{b: a.buf}
		s.stem(false)
		return analyzed{term: string(s.b[:s.k+1]), keep: true}
	}
	lower := string(a.buf)
	term := stemUTF16(lower, a.buf16)
	return analyzed{term: term, keep: true}
}

// stripPossessive removes a trailing 's, ’s or ＇s (s or S), as Lucene's
// EnglishPossessiveFilter does.
func stripPossessive(tok string) string {
	n := len(tok)
	if n < 2 || tok[n-1] != 's' && tok[n-1] != 'S' {
		return tok
	}
	r, size := utf8.DecodeLastRuneInString(tok[:n-1])
	if r == '\'' || r == '\u2019' || r == '\uFF07' {
		return tok[:n-1-size]
	}
	return tok
}

// appendLower appends tok lower-cased character by character, as Lucene's
// LowerCaseFilter (Character.toLowerCase on each code point) does.
func appendLower(dst []byte, tok string) []byte {
	for i := 0; i < len(tok); {
		if c := tok[i]; c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(tok[i:])
		if r != utf8.RuneError || size > 1 {
			r = unicode.ToLower(r)
		}
		dst = utf8.AppendRune(dst, r)
		i += size
	}
	return dst
}

func isASCIIBytes(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// englishStopWords is Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET.
var englishStopWords = [...]string{
	"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in",
	"into", "is", "it", "no", "not", "of", "on", "or", "such", "that", "the",
	"their", "then", "there", "these", "they", "this", "to", "was", "will",
	"with",
}

// isStopWord reports whether the lower-cased word w is a stop word.
func isStopWord(w []byte) bool {
	if len(w) > 5 {
		return false
	}
	for _, s := range englishStopWords {
		if string(w) == s {
			return true
		}
	}
	return false
}

// StopWords returns Lucene's English stop words, which Analyzer drops, in
// sorted order.
func StopWords() []string {
	return slices.Clone(englishStopWords[:])
}
