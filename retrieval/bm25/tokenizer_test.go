package bm25

import (
	"slices"
	"strings"
	"testing"
)

// TestTokenize checks hand-worked cases of the UAX #29 word-boundary rules
// as Lucene's StandardTokenizer grammar applies them. Each case names the
// rule that decides it: WB4 (Extend and Format characters attach to the
// character before), WB5 (letter × letter), WB6/WB7 (letter × MidLetter,
// MidNumLet or apostrophe × letter), WB7a–c (Hebrew quotes), WB8 (digit ×
// digit), WB9/WB10 (letter × digit, digit × letter), WB11/WB12 (digit ×
// MidNum, MidNumLet or apostrophe × digit), WB13 (Katakana × Katakana),
// WB13a/b (anything × "_" × anything), WB999 (break everywhere else).
// Tokens are the words with a letter, digit, ideograph, kana,
// South-East-Asian letter or emoji; the rest is dropped.
func TestTokenize(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"empty", "", nil},
		{"punctuation only", ". , ; -- !?", nil},
		{"spaces and punctuation separate (WB999)", "Hello, world!  foo\tbar\nbaz", []string{"Hello", "world", "foo", "bar", "baz"}},
		{"hyphen separates", "e-mail IL-6 some-dashed-phrase", []string{"e", "mail", "IL", "6", "some", "dashed", "phrase"}},
		{"apostrophe inside a word (WB6/7)", "don't O'Reilly's", []string{"don't", "O'Reilly's"}},
		{"right single quote inside a word (WB6/7)", "don\u2019t", []string{"don\u2019t"}},
		{"quotes around a word", "\u2018quoted\u2019 'single' \"double\"", []string{"quoted", "single", "double"}},
		{"full stops between letters (WB6/7)", "u.s.a. U.S.", []string{"u.s.a", "U.S"}},
		{"colon is MidLetter (WB6/7)", "A:B", []string{"A:B"}},
		{"two MidLetters break", "A::B A.:B A:.B A..B", []string{"A", "B", "A", "B", "A", "B", "A", "B"}},
		{"middle dot is MidLetter", "a·b CD4·CD8", []string{"a·b", "CD4", "CD8"}},
		{"decimal and thousands (WB11/12)", "3.14 1,000,000 216.239.63.104", []string{"3.14", "1,000,000", "216.239.63.104"}},
		{"semicolon is MidNum", "1;2 a;b", []string{"1;2", "a", "b"}},
		{"colon is not MidNum", "12:30", []string{"12", "30"}},
		{"two MidNums break", "1..2 1,,2 1,.2", []string{"1", "2", "1", "2", "1", "2"}},
		{"MidNumLet needs the same kind on both sides", "a.1 1.a", []string{"a", "1", "1", "a"}},
		{"letters and digits join (WB9/10)", "B2B 2B R2D2 1990s x2.5y", []string{"B2B", "2B", "R2D2", "1990s", "x2.5y"}},
		{"symbols separate", "CD4+ 10% p<0.05 a/b x=y", []string{"CD4", "10", "p", "0.05", "a", "b", "x", "y"}},
		{"connector punctuation joins (WB13a/b)", "foo_bar _x_ A:B_A:B 1.2_1..2", []string{"foo_bar", "_x_", "A:B_A:B", "1.2_1", "2"}},
		{"connector punctuation alone", "__ _", nil},
		{"URL and e-mail", "http://www.example.com/p mail@example.org", []string{"http", "www.example.com", "p", "mail", "example.org"}},
		{"Greek and Latin letters", "α-synuclein β2 μM ΑΒΓ café", []string{"α", "synuclein", "β2", "μM", "ΑΒΓ", "café"}},
		{"combining mark (WB4)", "cafe\u0301 mo\u0364chte", []string{"cafe\u0301", "mo\u0364chte"}},
		{"soft hyphen is Format (WB4)", "co\u00ADoperate", []string{"co\u00ADoperate"}},
		{"zero width space is not Format", "a\u200Bb", []string{"a", "b"}},
		{"superscripts are not digits", "m² 10³", []string{"m", "10"}},
		{"Hebrew apostrophe (WB7a)", "א' a'", []string{"א'", "a"}},
		{"Hebrew double quote (WB7b/c)", "א\"ב a\"b", []string{"א\"ב", "a", "b"}},
		{"ideographs one by one", "我是中国人。", []string{"我", "是", "中", "国", "人"}},
		{"hiragana one by one, katakana together (WB13)", "仮名遣い カタカナ カー", []string{"仮", "名", "遣", "い", "カタカナ", "カー"}},
		{"hangul together", "안녕하세요 훈민정음", []string{"안녕하세요", "훈민정음"}},
		{"Thai runs, Thai digits", "การที่ได้ต้องแสดงว่างานดี. แล้วเธอจะไปไหน? ๑๒๓๔", []string{"การที่ได้ต้องแสดงว่างานดี", "แล้วเธอจะไปไหน", "๑๒๓๔"}},
		{"fullwidth digits and letters", "１２３４ Ｔｅｓｔｓ", []string{"１２３４", "Ｔｅｓｔｓ"}},
		{"pictographs are emoji tokens", "©2014 Elsevier® ™ ☆ ★", []string{"©", "2014", "Elsevier", "®", "™", "★"}}, // U+2606 is no Extended_Pictographic,
		{"emoji", "💩 💩💩 poo💩poo", []string{"💩", "💩", "💩", "poo", "💩", "poo"}},
		{"emoji ZWJ sequence", "👩\u200D❤\uFE0F\u200D👩", []string{"👩\u200D❤\uFE0F\u200D👩"}},
		{"emoji modifier", "👍\U0001F3FD!", []string{"👍\U0001F3FD"}},
		{"flags pair up", "🇺🇸🇺🇸🇺", []string{"🇺🇸", "🇺🇸"}},
		{"keycap", "#\uFE0F\u20E3 3\uFE0F\u20E3 #\uFE0E 3\uFE0E", []string{"#\uFE0F\u20E3", "3\uFE0F\u20E3", "3\uFE0E"}},
		{"text presentation selector ends an emoji", "\u2B55\uFE0E\u200D\u2B55\uFE0E", []string{"\u2B55", "\u200D\u2B55"}},
	} {
		got := Tokenize(nil, tc.text)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: Tokenize(%q) = %q, want %q", tc.name, tc.text, got, tc.want)
		}
	}
}

// TestTokenizeMaxLength checks that a word longer than MaxTokenLength
// UTF-16 code units is cut into pieces, counting a character outside the
// Basic Multilingual Plane as two units.
func TestTokenizeMaxLength(t *testing.T) {
	b255 := strings.Repeat("b", 255)
	got := Tokenize(nil, "x "+b255+" "+b255+"b")
	if want := []string{"x", b255, b255, "b"}; !slices.Equal(got, want) {
		t.Errorf("got %d tokens of lengths %v, want x, 255 b, 255 b, b", len(got), lengths(got))
	}
	a := "\U0001D400" // MATHEMATICAL BOLD CAPITAL A, a letter
	got = Tokenize(nil, strings.Repeat(a, 200))
	if want := []string{strings.Repeat(a, 127), strings.Repeat(a, 73)}; !slices.Equal(got, want) {
		t.Errorf("200 supplementary letters: token lengths %v, want [508 292] bytes", lengths(got))
	}
}

func lengths(ss []string) []int {
	var n []int
	for _, s := range ss {
		n = append(n, len(s))
	}
	return n
}
