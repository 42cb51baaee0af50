package bm25

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Stem returns the Porter stem of word, which should already be lower-case.
//
// The algorithm is Porter's (1980) as his own C and Java releases implement
// it and as Lucene's PorterStemmer does, with their three departures from
// the paper: words of one or two letters are left alone, -bli becomes -ble
// (the paper rewrites -abli to -able) and -logi becomes -log (absent from
// the paper). Only the ASCII letters a e i o u (and y after a consonant)
// count as vowels; any other character, digits and accented letters
// included, counts as a consonant, as in Lucene, which stems UTF-16 code
// units: a character outside the Basic Multilingual Plane counts as two
// consonants.
func Stem(word string) string {
	if isASCII(word) {
		s := stemmer[byte]{b: []byte(word)}
		s.stem(false)
		if string(s.b[:s.k+1]) == word {
			return word
		}
		return string(s.b[:s.k+1])
	}
	return stemUTF16(word, nil)
}

// stemUTF16 stems a word with non-ASCII characters as Lucene does, on its
// UTF-16 code units, using buf as scratch space.
func stemUTF16(word string, buf []uint16) string {
	buf = buf[:0]
	for _, r := range word {
		buf = utf16.AppendRune(buf, r)
	}
	s := stemmer[uint16]{b: buf}
	s.stem(false)
	out := make([]byte, 0, len(word))
	for _, r := range utf16.Decode(s.b[:s.k+1]) {
		out = utf8.AppendRune(out, r)
	}
	return string(out)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// A stemmer holds one word being stemmed in place: the word is b[:k+1]
// and the stem left by the latest successful suffix test is b[:j+1].
// Rewrites never lengthen the word, so b never grows.
type stemmer[T byte | uint16] struct {
	b    []T
	k, j int
	// paper selects the algorithm exactly as published in 1980 (-abli,
	// no -logi rule, short words stemmed too); only tests use it, to check
	// the stemmer against a second reference implementation.
	paper bool
}

// stem stems s.b, leaving the result in s.b[:s.k+1].
func (s *stemmer[T]) stem(paper bool) {
	s.paper = paper
	s.k = len(s.b) - 1
	if s.k < 2 && !paper {
		return
	}
	s.step1ab()
	if s.k < 0 {
		return
	}
	s.step1c()
	s.step2()
	s.step3()
	s.step4()
	s.step5()
}

// cons reports whether b[i] is a consonant: not a, e, i, o or u, and not a
// y that follows a consonant.
func (s *stemmer[T]) cons(i int) bool {
	switch s.b[i] {
	case 'a', 'e', 'i', 'o', 'u':
		return false
	case 'y':
		return i == 0 || !s.cons(i-1)
	}
	return true
}

// m is Porter's measure of the stem b[:j+1]: the number of
// vowel-consonant sequences in [C](VC)^m[V].
func (s *stemmer[T]) m() int {
	n, i := 0, 0
	for i <= s.j && s.cons(i) {
		i++
	}
	for {
		for i <= s.j && !s.cons(i) {
			i++
		}
		if i > s.j {
			return n
		}
		for i <= s.j && s.cons(i) {
			i++
		}
		n++
	}
}

// vowelInStem reports whether b[:j+1] contains a vowel (Porter's *v*).
func (s *stemmer[T]) vowelInStem() bool {
	for i := 0; i <= s.j; i++ {
		if !s.cons(i) {
			return true
		}
	}
	return false
}

// doubleC reports whether b[i-1:i+1] is a double consonant (*d).
func (s *stemmer[T]) doubleC(i int) bool {
	return i >= 1 && s.b[i] == s.b[i-1] && s.cons(i)
}

// cvc reports whether b[i-2:i+1] is consonant-vowel-consonant with the
// last not w, x or y (Porter's *o).
func (s *stemmer[T]) cvc(i int) bool {
	if i < 2 || !s.cons(i) || s.cons(i-1) || !s.cons(i-2) {
		return false
	}
	c := s.b[i]
	return c != 'w' && c != 'x' && c != 'y'
}

// ends reports whether the word ends in suffix and, if so, sets j to the
// end of the stem before it.
func (s *stemmer[T]) ends(suffix string) bool {
	n := len(suffix)
	if n > s.k+1 {
		return false
	}
	o := s.k + 1 - n
	for i := 0; i < n; i++ {
		if s.b[o+i] != T(suffix[i]) {
			return false
		}
	}
	s.j = s.k - n
	return true
}

// setTo replaces b[j+1:k+1] with repl.
func (s *stemmer[T]) setTo(repl string) {
	for i := 0; i < len(repl); i++ {
		s.b[s.j+1+i] = T(repl[i])
	}
	s.k = s.j + len(repl)
}

// A rule rewrites a suffix when the stem before it has measure > 0.
type rule struct{ suffix, repl string }

// applyFirst applies the first rule whose suffix ends the word, if the stem
// before it has a positive measure, and stops at that rule either way: the
// suffixes of each list are ordered so that the first match is the longest.
func (s *stemmer[T]) applyFirst(rules []rule) {
	for _, r := range rules {
		if s.ends(r.suffix) {
			if s.m() > 0 {
				s.setTo(r.repl)
			}
			return
		}
	}
}

// step1ab removes plurals (step 1a) and -ed or -ing (step 1b).
func (s *stemmer[T]) step1ab() {
	switch {
	case s.ends("sses"):
		s.k -= 2
	case s.ends("ies"):
		s.setTo("i")
	case s.ends("ss"):
	case s.ends("s"):
		s.k--
	}
	if s.k < 0 {
		return
	}
	if s.ends("eed") {
		if s.m() > 0 {
			s.k--
		}
		return
	}
	if !((s.ends("ed") || s.ends("ing")) && s.vowelInStem()) {
		return
	}
	s.k = s.j
	switch {
	case s.ends("at"):
		s.setTo("ate")
	case s.ends("bl"):
		s.setTo("ble")
	case s.ends("iz"):
		s.setTo("ize")
	case s.doubleC(s.k):
		if c := s.b[s.k]; c != 'l' && c != 's' && c != 'z' {
			s.k--
		}
	default:
		s.j = s.k
		if s.m() == 1 && s.cvc(s.k) {
			s.setTo("e")
		}
	}
}

// step1c turns a final y into i when the stem has a vowel.
func (s *stemmer[T]) step1c() {
	if s.ends("y") && s.vowelInStem() {
		s.b[s.k] = 'i'
	}
}

// step2Rules maps double suffixes to single ones (-ization to -ize, ...).
// Within a group sharing the penultimate letter, longer suffixes come
// first; suffixes of different groups never both match.
var step2Rules = []rule{
	{"ational", "ate"}, {"tional", "tion"},
	{"enci", "ence"}, {"anci", "ance"},
	{"izer", "ize"},
	{"bli", "ble"}, {"alli", "al"}, {"entli", "ent"}, {"eli", "e"}, {"ousli", "ous"},
	{"ization", "ize"}, {"ation", "ate"}, {"ator", "ate"},
	{"alism", "al"}, {"iveness", "ive"}, {"fulness", "ful"}, {"ousness", "ous"},
	{"aliti", "al"}, {"iviti", "ive"}, {"biliti", "ble"},
	{"logi", "log"},
}

// step2Paper is step2Rules as the 1980 paper has them.
var step2Paper = func() []rule {
	var rs []rule
	for _, r := range step2Rules {
		switch r.suffix {
		case "bli":
			rs = append(rs, rule{"abli", "able"})
		case "logi":
		default:
			rs = append(rs, r)
		}
	}
	return rs
}()

func (s *stemmer[T]) step2() {
	if s.paper {
		s.applyFirst(step2Paper)
		return
	}
	s.applyFirst(step2Rules)
}

// step3Rules handles -ic-, -full, -ness and the like.
var step3Rules = []rule{
	{"icate", "ic"}, {"ative", ""}, {"alize", "al"},
	{"iciti", "ic"},
	{"ical", "ic"}, {"ful", ""},
	{"ness", ""},
}

func (s *stemmer[T]) step3() { s.applyFirst(step3Rules) }

// step4Suffixes are removed when the stem before them has measure > 1;
// -ion only after s or t. As in step 2, the first match is the longest.
var step4Suffixes = []string{
	"al", "ance", "ence", "er", "ic", "able", "ible",
	"ant", "ement", "ment", "ent", "ion", "ou",
	"ism", "ate", "iti", "ous", "ive", "ize",
}

func (s *stemmer[T]) step4() {
	for _, suf := range step4Suffixes {
		if !s.ends(suf) {
			continue
		}
		if suf == "ion" && (s.j < 0 || s.b[s.j] != 's' && s.b[s.j] != 't') {
			return
		}
		if s.m() > 1 {
			s.k = s.j
		}
		return
	}
}

// step5 removes a final -e (step 5a) and a final -l of -ll (step 5b).
func (s *stemmer[T]) step5() {
	s.j = s.k
	if s.b[s.k] == 'e' {
		if a := s.m(); a > 1 || a == 1 && !s.cvc(s.k-1) {
			s.k--
		}
	}
	if s.k >= 0 && s.b[s.k] == 'l' && s.doubleC(s.k) && s.m() > 1 {
		s.k--
	}
}
