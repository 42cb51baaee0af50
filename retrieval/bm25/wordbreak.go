package bm25

import (
	"unicode"
	"unicode/utf8"
)

// Character properties for the StandardTokenizer grammar: the Word_Break
// property of UAX #29 as Unicode 9.0 defines it (Lucene's grammar is
// compiled for Unicode 9), plus the few script, line-break and emoji
// properties the grammar uses. Go's unicode tables (a later Unicode
// version) supply the general categories and scripts, so characters added
// after Unicode 9 get properties Lucene does not give them; none occurs in
// the collections this package is tested on.

// A wbClass is a Word_Break property value, with Extend, Format and ZWJ
// merged (the grammar treats them alike, WB4) and the values the grammar
// does not use folded into wbOther.
type wbClass uint8

const (
	wbOther wbClass = iota
	wbALetter
	wbHebrew // Hebrew_Letter
	wbNumeric
	wbKatakana
	wbExtendNumLet
	wbMidLetter
	wbMidNumLet
	wbMidNum
	wbSingleQuote
	wbDoubleQuote
	wbExtend // Extend, Format or ZWJ
	wbRegionalIndicator
)

// Flags for properties that overlap the Word_Break classes.
const (
	fHan          uint8 = 1 << iota // Script=Han
	fHiragana                       // Script=Hiragana
	fComplex                        // Line_Break=Complex_Context (SA)
	fEmoji                          // may start an emoji sequence (see emoji.go)
	fEmojiModBase                   // Emoji_Modifier_Base
	fEmojiMod                       // Emoji_Modifier
	fKeycapBase                     // [0-9#*]
)

// A props holds the properties of one character.
type props struct {
	wb    wbClass
	flags uint8
}

// asciiProps holds the properties of the ASCII characters; it is never
// written after initialisation.
var asciiProps = func() (t [utf8.RuneSelf]props) {
	for r := rune(0); r < utf8.RuneSelf; r++ {
		t[r] = computeProps(r)
	}
	return t
}()

// propsOf returns the properties of r.
func propsOf(r rune) props {
	if r < utf8.RuneSelf {
		return asciiProps[r]
	}
	return computeProps(r)
}

// Word_Break values defined by explicit lists in UAX #29 (Unicode 9.0).
var (
	midLetter = []rune{0x003A, 0x00B7, 0x0387, 0x05F4, 0x2027, 0xFE13, 0xFE55, 0xFF1A}
	midNumLet = []rune{0x002E, 0x2018, 0x2019, 0x2024, 0xFE52, 0xFF07, 0xFF0E}
	midNum    = []rune{
		0x002C, 0x003B, 0x037E, 0x0589, 0x060C, 0x060D, 0x066C, 0x07F8,
		0x2044, 0xFE10, 0xFE14, 0xFE50, 0xFE54, 0xFF0C, 0xFF1B,
	}
	// Katakana beyond Script=Katakana.
	katakanaExtra = []rune{0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x309B, 0x309C, 0x30A0, 0x30FC, 0xFF70}
	// ALetter beyond Alphabetic=Yes.
	aLetterExtra = [][2]rune{
		{0x02C2, 0x02C5}, {0x02D2, 0x02D7}, {0x02DE, 0x02DF}, {0x02E5, 0x02EB},
		{0x02ED, 0x02ED}, {0x02EF, 0x02FF}, {0x05F3, 0x05F3}, {0xA720, 0xA721},
		{0xA789, 0xA78A}, {0xAB5B, 0xAB5B},
	}
	// Scripts whose letters and marks have Line_Break=Complex_Context.
	complexScripts = []*unicode.RangeTable{
		unicode.Thai, unicode.Lao, unicode.Myanmar, unicode.Khmer, unicode.Tai_Le,
		unicode.New_Tai_Lue, unicode.Tai_Tham, unicode.Tai_Viet, unicode.Ahom,
	}
)

func inList(r rune, list []rune) bool {
	for _, c := range list {
		if c == r {
			return true
		}
	}
	return false
}

func inRanges(r rune, ranges [][2]rune) bool {
	lo, hi := 0, len(ranges)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch {
		case r < ranges[m][0]:
			hi = m
		case r > ranges[m][1]:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

// computeProps derives the properties of r from Unicode data.
func computeProps(r rune) props {
	var p props
	if unicode.Is(unicode.Han, r) {
		p.flags |= fHan
	}
	if unicode.Is(unicode.Hiragana, r) {
		p.flags |= fHiragana
	}
	complex := false
	if unicode.In(r, unicode.L, unicode.M) {
		for _, t := range complexScripts {
			if unicode.Is(t, r) {
				complex = true
				p.flags |= fComplex
				break
			}
		}
	}
	p.flags |= emojiFlags(r)
	p.wb = wordBreak(r, complex)
	return p
}

// wordBreak returns the Word_Break class of r; complex reports whether r
// has Line_Break=Complex_Context.
func wordBreak(r rune, complex bool) wbClass {
	switch {
	case r == '\'':
		return wbSingleQuote
	case r == '"':
		return wbDoubleQuote
	case inList(r, midNumLet):
		return wbMidNumLet
	case inList(r, midLetter):
		return wbMidLetter
	case inList(r, midNum):
		return wbMidNum
	case 0x1F1E6 <= r && r <= 0x1F1FF:
		return wbRegionalIndicator
	case r == 0x200D: // ZWJ
		return wbExtend
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc, unicode.Other_Grapheme_Extend):
		return wbExtend // Extend: Grapheme_Extend or Spacing_Mark
	case unicode.Is(unicode.Cf, r) && r != 0x200B && r != 0x200C:
		return wbExtend // Format
	case unicode.Is(unicode.Katakana, r) || inList(r, katakanaExtra):
		return wbKatakana
	case unicode.Is(unicode.Hebrew, r) && unicode.Is(unicode.Lo, r):
		return wbHebrew
	case unicode.Is(unicode.Nd, r) || r == 0x066B:
		// Numeric is Line_Break=Numeric: the decimal digits and the Arabic
		// decimal separator. Lucene adds the fullwidth digits, which are Nd.
		return wbNumeric
	case unicode.Is(unicode.Pc, r) || r == 0x202F:
		return wbExtendNumLet
	}
	alphabetic := unicode.In(r, unicode.L, unicode.Nl, unicode.Other_Alphabetic) || inRanges(r, aLetterExtra)
	if alphabetic && !complex && !unicode.Is(unicode.Ideographic, r) && !unicode.Is(unicode.Hiragana, r) {
		return wbALetter
	}
	return wbOther
}
