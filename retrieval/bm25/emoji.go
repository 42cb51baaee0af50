package bm25

import "slices"

// Emoji properties for the emoji rule of Lucene's StandardTokenizer grammar
// (UTS #51 emoji sequences). The ranges are those of emoji-data.txt for
// Unicode 14.0, the data Lucene's grammar is generated from. The grammar's
// EmojiChar (Extended_Pictographic, or Emoji other than the regional
// indicators, keycap bases, emoji modifiers and a few "accidental" emoji)
// is exactly Extended_Pictographic in this data, so one table serves.

// emojiFlags returns the emoji flags of r.
func emojiFlags(r rune) uint8 {
	var f uint8
	switch {
	case r == '#' || r == '*' || '0' <= r && r <= '9':
		return fKeycapBase
	case r < 0xA9:
		return 0
	case 0x1F3FB <= r && r <= 0x1F3FF:
		return fEmojiMod
	}
	if inRanges(r, emojiChar) {
		f |= fEmoji
	}
	if inRanges(r, emojiModifierBase) {
		f |= fEmojiModBase
	}
	return f
}

// emojiChar is Extended_Pictographic.
var emojiChar = [][2]rune{
	{0x00A9, 0x00A9}, {0x00AE, 0x00AE}, {0x203C, 0x203C}, {0x2049, 0x2049},
	{0x2122, 0x2122}, {0x2139, 0x2139}, {0x2194, 0x2199}, {0x21A9, 0x21AA},
	{0x231A, 0x231B}, {0x2328, 0x2328}, {0x2388, 0x2388}, {0x23CF, 0x23CF},
	{0x23E9, 0x23F3}, {0x23F8, 0x23FA}, {0x24C2, 0x24C2}, {0x25AA, 0x25AB},
	{0x25B6, 0x25B6}, {0x25C0, 0x25C0}, {0x25FB, 0x25FE}, {0x2600, 0x2605},
	{0x2607, 0x2612}, {0x2614, 0x2685}, {0x2690, 0x2705}, {0x2708, 0x2712},
	{0x2714, 0x2714}, {0x2716, 0x2716}, {0x271D, 0x271D}, {0x2721, 0x2721},
	{0x2728, 0x2728}, {0x2733, 0x2734}, {0x2744, 0x2744}, {0x2747, 0x2747},
	{0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755}, {0x2757, 0x2757},
	{0x2763, 0x2767}, {0x2795, 0x2797}, {0x27A1, 0x27A1}, {0x27B0, 0x27B0},
	{0x27BF, 0x27BF}, {0x2934, 0x2935}, {0x2B05, 0x2B07}, {0x2B1B, 0x2B1C},
	{0x2B50, 0x2B50}, {0x2B55, 0x2B55}, {0x3030, 0x3030}, {0x303D, 0x303D},
	{0x3297, 0x3297}, {0x3299, 0x3299}, {0x1F000, 0x1F0FF}, {0x1F10D, 0x1F10F},
	{0x1F12F, 0x1F12F}, {0x1F16C, 0x1F171}, {0x1F17E, 0x1F17F}, {0x1F18E, 0x1F18E},
	{0x1F191, 0x1F19A}, {0x1F1AD, 0x1F1E5}, {0x1F201, 0x1F20F}, {0x1F21A, 0x1F21A},
	{0x1F22F, 0x1F22F}, {0x1F232, 0x1F23A}, {0x1F23C, 0x1F23F}, {0x1F249, 0x1F3FA},
	{0x1F400, 0x1F53D}, {0x1F546, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F774, 0x1F77F},
	{0x1F7D5, 0x1F7FF}, {0x1F80C, 0x1F80F}, {0x1F848, 0x1F84F}, {0x1F85A, 0x1F85F},
	{0x1F888, 0x1F88F}, {0x1F8AE, 0x1F8FF}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945},
	{0x1F947, 0x1FAFF}, {0x1FC00, 0x1FFFD},
}

// emojiModifierBase is Emoji_Modifier_Base.
var emojiModifierBase = [][2]rune{
	{0x261D, 0x261D}, {0x26F9, 0x26F9}, {0x270A, 0x270D}, {0x1F385, 0x1F385},
	{0x1F3C2, 0x1F3C4}, {0x1F3C7, 0x1F3C7}, {0x1F3CA, 0x1F3CC}, {0x1F442, 0x1F443},
	{0x1F446, 0x1F450}, {0x1F466, 0x1F478}, {0x1F47C, 0x1F47C}, {0x1F481, 0x1F483},
	{0x1F485, 0x1F487}, {0x1F48F, 0x1F48F}, {0x1F491, 0x1F491}, {0x1F4AA, 0x1F4AA},
	{0x1F574, 0x1F575}, {0x1F57A, 0x1F57A}, {0x1F590, 0x1F590}, {0x1F595, 0x1F596},
	{0x1F645, 0x1F647}, {0x1F64B, 0x1F64F}, {0x1F6A3, 0x1F6A3}, {0x1F6B4, 0x1F6B6},
	{0x1F6C0, 0x1F6C0}, {0x1F6CC, 0x1F6CC}, {0x1F90C, 0x1F90C}, {0x1F90F, 0x1F90F},
	{0x1F918, 0x1F91F}, {0x1F926, 0x1F926}, {0x1F930, 0x1F939}, {0x1F93C, 0x1F93E},
	{0x1F977, 0x1F977}, {0x1F9B5, 0x1F9B6}, {0x1F9B8, 0x1F9B9}, {0x1F9BB, 0x1F9BB},
	{0x1F9CD, 0x1F9CF}, {0x1F9D1, 0x1F9DD}, {0x1FAC3, 0x1FAC5}, {0x1FAF0, 0x1FAF6},
}

const (
	zwj          = 0x200D // zero width joiner
	presSelector = 0xFE0F // emoji presentation selector
	textSelector = 0xFE0E // text presentation selector
	keycap       = 0x20E3 // combining enclosing keycap
)

// matchEmoji returns the end of the longest emoji sequence starting at
// byte p of s, or p if none does. The grammar's rule is
//
//	element (ZWJ element)* | element tag+ tag_term
//	| keycap_base X* FE0F? 20E3 X* | RI X* RI X*
//
// with element = ZWJ* (EmojiChar X* FE0F? | (Emoji_Modifier_Base X*)?
// Emoji_Modifier X*), where X is Extend, Format or ZWJ other than the
// presentation selectors FE0E and FE0F (plain Extend, Format or ZWJ after a
// regional indicator). Tag characters are Extend or Format, so the X* of
// the element already covers a tag sequence. The rule backtracks, so each
// step yields every end it can reach.
func matchEmoji(s string, p int) int {
	best := p
	r, size := decodeRune(s, p)
	pr := propsOf(r)
	switch {
	case pr.flags&fKeycapBase != 0:
		for _, e := range extendEnds(s, p+size, true) {
			for _, c := range [2]int{e, afterRune(s, e, presSelector)} {
				if c >= 0 {
					if k := afterRune(s, c, keycap); k >= 0 {
						best = max(best, lastOf(extendEnds(s, k, true)))
					}
				}
			}
		}
		return best
	case pr.wb == wbRegionalIndicator:
		for _, e := range extendEnds(s, p+size, false) {
			if e < len(s) {
				r2, size2 := decodeRune(s, e)
				if propsOf(r2).wb == wbRegionalIndicator {
					best = max(best, lastOf(extendEnds(s, e+size2, false)))
				}
			}
		}
		return best
	}
	ends := emojiElement(s, p, nil)
	for len(ends) > 0 {
		var next []int
		for _, e := range ends {
			best = max(best, e)
			if z := afterRune(s, e, zwj); z >= 0 {
				next = emojiElement(s, z, next)
			}
		}
		ends = dedupe(next)
	}
	return best
}

// emojiElement appends to ends every end of an emoji element starting at
// byte p of s.
func emojiElement(s string, p int, ends []int) []int {
	for q := p; q < len(s); {
		r, size := decodeRune(s, q)
		f := propsOf(r).flags
		if f&fEmoji != 0 {
			for _, e := range extendEnds(s, q+size, true) {
				ends = append(ends, e)
				if v := afterRune(s, e, presSelector); v >= 0 {
					ends = append(ends, v)
				}
			}
		}
		if f&fEmojiModBase != 0 {
			for _, e := range extendEnds(s, q+size, true) {
				if e < len(s) {
					if r2, size2 := decodeRune(s, e); propsOf(r2).flags&fEmojiMod != 0 {
						ends = append(ends, extendEnds(s, e+size2, true)...)
					}
				}
			}
		}
		if f&fEmojiMod != 0 {
			ends = append(ends, extendEnds(s, q+size, true)...)
		}
		if r != zwj {
			break
		}
		q += size // the element's leading ZWJ*
	}
	return ends
}

// extendEnds returns p and every end of a run of Extend, Format and ZWJ
// characters starting at byte p of s, excluding the presentation selectors
// if sansSelectors.
func extendEnds(s string, p int, sansSelectors bool) []int {
	ends := []int{p}
	for p < len(s) {
		r, size := decodeRune(s, p)
		if propsOf(r).wb != wbExtend || sansSelectors && (r == presSelector || r == textSelector) {
			break
		}
		p += size
		ends = append(ends, p)
	}
	return ends
}

// afterRune returns the end of the rune at byte p of s if it is r, or -1.
func afterRune(s string, p int, r rune) int {
	if p >= len(s) {
		return -1
	}
	if r2, size := decodeRune(s, p); r2 == r {
		return p + size
	}
	return -1
}

func lastOf(xs []int) int { return xs[len(xs)-1] }

// dedupe sorts xs and removes repeats.
func dedupe(xs []int) []int {
	slices.Sort(xs)
	return slices.Compact(xs)
}
