package bm25

import "unicode/utf8"

// MaxTokenLength is the longest token, in UTF-16 code units, that Tokenize
// emits: Lucene's StandardTokenizer default. A longer run is cut into
// tokens of at most this length, as Lucene's scanner, whose buffer holds
// MaxTokenLength characters, cuts it.
const MaxTokenLength = 255

// Tokenize appends to dst the tokens of text as Lucene's StandardTokenizer
// finds them, and returns the extended slice. The tokens are substrings of
// text, unchanged (no case folding).
//
// StandardTokenizer implements the word boundaries of Unicode Standard
// Annex #29 and keeps only the words that contain letters, digits,
// ideographs, kana, South-East Asian script or emoji: at each position
// the longest of these rules matches, and a character that starts none is
// skipped.
//
//   - Words: letters and digits joined by the UAX #29 rules WB5–WB13b:
//     letters with letters or digits ("B2B", "2B"), letters across one
//     MidLetter, MidNumLet or apostrophe ("O'Reilly", "u.s.a", "A:B"),
//     digits across one MidNum, MidNumLet or apostrophe ("3.14",
//     "1,000"), Katakana with Katakana, and anything across connector
//     punctuation such as "_" ("foo_bar", "_x_"). Combining marks and
//     format characters stay with the character before them (WB4).
//     Other punctuation, symbols and spaces separate words and are
//     dropped.
//   - Han ideographs and Hiragana: one token per character.
//   - Thai, Lao, Myanmar, Khmer and the other Line_Break=Complex_Context
//     scripts: one token per run.
//   - Emoji sequences (UTS #51), such as "©", "💩", "👩‍❤️‍👩" or "🇺🇸".
func Tokenize(dst []string, text string) []string {
	for p := 0; p < len(text); {
		start, end := nextToken(text, p)
		if start < 0 {
			break
		}
		dst = append(dst, text[start:end])
		p = end
	}
	return dst
}

// nextToken returns the byte bounds of the first token that starts at or
// after byte p of s, or -1, -1 if there is none.
func nextToken(s string, p int) (start, end int) {
	for p < len(s) {
		if c := s[p]; c < utf8.RuneSelf {
			if !canStart(asciiProps[c], rune(c)) {
				p++
				continue
			}
		}
		if e := longestMatch(s, p); e > p {
			return p, e
		}
		_, size := decodeRune(s, p)
		p += size
	}
	return -1, -1
}

// canStart reports whether a token can start with r.
func canStart(pr props, r rune) bool {
	switch pr.wb {
	case wbALetter, wbHebrew, wbNumeric, wbKatakana, wbExtendNumLet, wbRegionalIndicator:
		return true
	}
	return pr.flags != 0 || r == zwj
}

// longestMatch returns the end of the longest token starting at byte p of
// s, or p if no token starts there.
func longestMatch(s string, p int) int {
	r, size := decodeRune(s, p)
	pr := propsOf(r)
	end := p
	if pr.wb != wbOther {
		end = max(end, matchWord(s, p))
	}
	if pr.flags&(fEmoji|fEmojiModBase|fEmojiMod|fKeycapBase) != 0 || r == zwj || pr.wb == wbRegionalIndicator {
		end = max(end, matchEmoji(s, p))
	}
	if pr.flags&fComplex != 0 {
		end = max(end, matchRun(s, p))
	}
	if pr.flags&(fHan|fHiragana) != 0 {
		// One ideograph or hiragana and the marks after it.
		end = max(end, skipExtend(s, p+size, unitsOf(r)))
	}
	return end
}

// decodeRune decodes the rune at byte p of s.
func decodeRune(s string, p int) (rune, int) {
	if c := s[p]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[p:])
}

// unitsOf returns the length of r in UTF-16 code units.
func unitsOf(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// skipExtend returns the end of the run of Extend, Format and ZWJ
// characters at byte p of s, stopping before the token would exceed
// MaxTokenLength; units is the token's length so far.
func skipExtend(s string, p, units int) int {
	for p < len(s) {
		r, size := decodeRune(s, p)
		units += unitsOf(r)
		if units > MaxTokenLength || propsOf(r).wb != wbExtend {
			break
		}
		p += size
	}
	return p
}

// matchRun returns the end of the run of Complex_Context characters (and
// the marks among them) starting at byte p of s.
func matchRun(s string, p int) int {
	units := 0
	for q := p; q < len(s); {
		r, size := decodeRune(s, q)
		units += unitsOf(r)
		pr := propsOf(r)
		if units > MaxTokenLength || pr.flags&fComplex == 0 && (q == p || pr.wb != wbExtend) {
			return q
		}
		q += size
	}
	return len(s)
}

// States of the automaton for words, the grammar's ALPHANUM and NUM rules:
//
//	ExtendNumLet* core (ExtendNumLet+ core)* ExtendNumLet*
//
// where a core is a run of Katakana joined by ExtendNumLet, or a
// concatenation of letter chains (letters joined by ExtendNumLet or one
// MidLetter, MidNumLet or apostrophe), number chains (digits joined by
// ExtendNumLet or one MidNum, MidNumLet or apostrophe) and the Hebrew
// units Hebrew_Letter apostrophe and Hebrew_Letter '"' Hebrew_Letter.
// Each character may be followed by Extend, Format and ZWJ characters.
type wordState uint8

const (
	wsDead     wordState = iota
	wsStart              // nothing read
	wsLead               // leading ExtendNumLet, no core yet
	wsKatakana           // after Katakana (accepts)
	wsJoin               // after a core and ExtendNumLet (accepts)
	wsLetter             // after a letter other than Hebrew (accepts)
	wsHebrew             // after a Hebrew letter (accepts)
	wsHebrewQ            // after Hebrew_Letter apostrophe (accepts)
	wsHebrewDQ           // after Hebrew_Letter '"'
	wsLetterM            // after a letter and a MidLetter
	wsDigit              // after a digit (accepts)
	wsDigitM             // after a digit and a MidNum
)

func (s wordState) accepts() bool {
	switch s {
	case wsKatakana, wsJoin, wsLetter, wsHebrew, wsHebrewQ, wsDigit:
		return true
	}
	return false
}

// next returns the state after reading a character of class c in state s.
func (s wordState) next(c wbClass) wordState {
	// A new core may start at the beginning or after ExtendNumLet.
	switch s {
	case wsStart, wsLead, wsJoin:
		switch c {
		case wbExtendNumLet:
			if s == wsJoin {
				return wsJoin
			}
			return wsLead
		case wbKatakana:
			return wsKatakana
		}
	case wsKatakana:
		switch c {
		case wbKatakana:
			return wsKatakana
		case wbExtendNumLet:
			return wsJoin
		}
		return wsDead
	case wsLetterM, wsHebrewDQ:
		if c == wbALetter && s == wsLetterM {
			return wsLetter
		}
		if c == wbHebrew {
			return wsHebrew
		}
		return wsDead
	case wsDigitM:
		if c == wbNumeric {
			return wsDigit
		}
		return wsDead
	case wsLetter, wsHebrew, wsHebrewQ, wsDigit:
		if c == wbExtendNumLet {
			return wsJoin
		}
	}
	// Letters and digits concatenate freely (WB5, WB9, WB10) at the start,
	// after ExtendNumLet and after a letter or digit.
	switch c {
	case wbALetter:
		return wsLetter
	case wbHebrew:
		return wsHebrew
	case wbNumeric:
		return wsDigit
	}
	switch s {
	case wsLetter:
		switch c {
		case wbMidLetter, wbMidNumLet, wbSingleQuote:
			return wsLetterM
		}
	case wsHebrew:
		switch c {
		case wbMidLetter, wbMidNumLet:
			return wsLetterM
		case wbSingleQuote:
			// Either a MidLetter between letters (WB6, WB7) or the end
			// of a Hebrew unit (WB7a); wsHebrewQ accepts both.
			return wsHebrewQ
		case wbDoubleQuote:
			return wsHebrewDQ
		}
	case wsDigit:
		switch c {
		case wbMidNum, wbMidNumLet, wbSingleQuote:
			return wsDigitM
		}
	}
	return wsDead
}

// matchWord returns the end of the longest word starting at byte p of s,
// or p if none does.
func matchWord(s string, p int) int {
	state, end, units := wsStart, p, 0
	for q := p; q < len(s); {
		r, size := decodeRune(s, q)
		units += unitsOf(r)
		if units > MaxTokenLength {
			break
		}
		c := propsOf(r).wb
		if c == wbExtend && state != wsStart {
			// WB4: the mark belongs to the character before it.
			q += size
			if state.accepts() {
				end = q
			}
			continue
		}
		if state = state.next(c); state == wsDead {
			break
		}
		q += size
		if state.accepts() {
			end = q
		}
	}
	return end
}
