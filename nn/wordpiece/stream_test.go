package wordpiece

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The reference: the tokenizer as it was before it streamed (normalise the
// whole text into runes, lower-case and decompose them all, then split
// into words), kept verbatim so that the streaming one can be held to it.
type refTokenizer struct {
	*Tokenizer
	runes, low []rune
}

func (t *refTokenizer) tokenize(dst []int32, text string) []int32 {
	t.normalize(text)
	t.eachWord(func(w []rune) { dst = t.wordIDs(dst, w) })
	return dst
}

// encode is the old Encode: tokenise everything, then truncate.
func (t *refTokenizer) encode(dst []int32, text string, maxLen int) []int32 {
	start := len(dst)
	dst = append(dst, t.vocab.Cls)
	dst = t.tokenize(dst, text)
	if maxLen > 0 && len(dst)-start+1 > maxLen {
		dst = dst[:start+max(maxLen-1, 1)]
	}
	return append(dst, t.vocab.Sep)
}

// oldTruncate is what encode makes of text's ids: [CLS] ids [SEP] cut to
// maxLen as it cuts them, appended to dst.
func oldTruncate(dst []int32, v *Vocab, ids []int32, maxLen int) []int32 {
	start := len(dst)
	dst = append(append(dst, v.Cls), ids...)
	if maxLen > 0 && len(dst)-start+1 > maxLen {
		dst = dst[:start+max(maxLen-1, 1)]
	}
	return append(dst, v.Sep)
}

func (t *refTokenizer) eachWord(f func(w []rune)) {
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

func (t *refTokenizer) normalize(text string) {
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
	low := t.low[:0]
	for i, r := range rs {
		low = append(low, refLowerAt(rs, i, r))
	}
	t.low = low
	rs = rs[:0]
	for _, r := range low {
		rs = appendDecomposed(rs, r)
	}
	t.runes = rs
}

func refLowerAt(rs []rune, i int, r rune) rune {
	if r == 'Σ' {
		before := i > 0 && unicode.IsLetter(rs[i-1])
		after := i+1 < len(rs) && unicode.IsLetter(rs[i+1])
		if before && !after {
			return 'ς'
		}
		return 'σ'
	}
	if r == 'İ' {
		return 'i'
	}
	return unicode.ToLower(r)
}

// TestIsControlASCII checks isControl's ASCII fast path against the
// Unicode categories it stands for.
func TestIsControlASCII(t *testing.T) {
	for r := rune(0); r < utf8.RuneSelf; r++ {
		want := unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) && r != '\t' && r != '\n' && r != '\r'
		if got := isControl(r); got != want {
			t.Errorf("isControl(%U) = %v, want %v", r, got, want)
		}
	}
}

// goldenTexts returns the texts of testdata/golden.jsonl.
func goldenTexts(tb testing.TB) []string {
	f, err := os.Open("testdata/golden.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var out []string
	for sc.Scan() {
		var g struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			tb.Fatal(err)
		}
		out = append(out, g.Text)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// pieces of text for random texts: words the vocabulary splits into
// several WordPieces, accents precomposed and combining, the capital
// sigma in every position, CJK (unified and compatibility ideographs),
// ASCII and Unicode punctuation (some of it punctuation only after
// decomposition), every kind of space, control characters, NUL, U+FFFD,
// invalid bytes, Hangul, and a word longer than MaxWordChars.
var randomPieces = []string{
	"the", "quick", "Brown", "fox", "unaffable", "tokenization", "immunohistochemistry", "Xylophonist",
	"café", "Cafe\u0301", "naïve", "ÅNGSTRÖM", "ß", "ẞ", "İstanbul", "ı", "K", "Ω",
	"Σ", "ΣΑΣ", "ΟΔΟΣ", "σ", "ς", "aΣ", "Σa",
	"中", "文字", "\uF900", "\U00020000", "한국어", "가",
	".", ",", "-", "'", "!", "…", "—", "¿", "\u037E", "\u0387", "\u1FEF", "\u00B4", "$", "€",
	" ", "  ", "\t", "\n", "\r\n", "\u00A0", "\u2003", "\u3000",
	"\x00", "\x01", "\u200B", "\u00AD", "\uFFFD", "\xff", "\xe2\x82", "\u0301", "\u0308",
	"42", "3.14", "x²", "ﬁ",
	strings.Repeat("a", MaxWordChars), strings.Repeat("b", MaxWordChars+1), strings.Repeat("é", 60),
}

func randomText(r *rand.Rand) string {
	var b strings.Builder
	for n := r.IntN(40); n > 0; n-- {
		p := randomPieces[r.IntN(len(randomPieces))]
		if len(p) > 50 && r.IntN(8) > 0 { // long words are slow to split: fewer
			continue
		}
		b.WriteString(p)
		if r.IntN(3) == 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// TestStreamingMatchesReference checks, for golden and random texts, cased
// and uncased, that Tokenize gives the reference's ids and that
// TokenizeN(n) and Encode(maxLen) give the reference's, truncated, for
// every n and maxLen: so that cutting a text short, inside a word split
// into several WordPieces or not, changes nothing but the length.
func TestStreamingMatchesReference(t *testing.T) {
	v := loadVocab(t)
	texts := goldenTexts(t)
	r := rand.New(rand.NewPCG(1, 2))
	for range shortScale(2000, 300) {
		texts = append(texts, randomText(r))
	}
	for _, lower := range []bool{true, false} {
		tok := New(v, lower)
		ref := &refTokenizer{Tokenizer: New(v, lower)}
		for _, s := range texts {
			want := ref.tokenize(nil, s)
			if got := tok.Tokenize(nil, s); !slices.Equal(got, want) {
				t.Fatalf("lower %v: Tokenize(%q)\n got %s\nwant %s", lower, s, pieces(v, got), pieces(v, want))
			}
			for _, n := range cuts(r, len(want)+2) {
				got := tok.TokenizeN([]int32{7}, s, n)
				if !slices.Equal(got[1:], want[:min(n, len(want))]) || got[0] != 7 {
					t.Fatalf("lower %v: TokenizeN(%q, %d)\n got %s\nwant %s", lower, s, n, pieces(v, got[1:]), pieces(v, want[:min(n, len(want))]))
				}
			}
			for _, maxLen := range append(cuts(r, len(want)+3), -1) {
				got, want := tok.Encode([]int32{7}, s, maxLen), oldTruncate([]int32{7}, v, want, maxLen)
				if !slices.Equal(got, want) {
					t.Fatalf("lower %v: Encode(%q, %d)\n got %s\nwant %s", lower, s, maxLen, pieces(v, got), pieces(v, want))
				}
			}
		}
	}
}

// cuts returns the lengths 0 to top to cut a text's ids at: all of them
// up to 80, and beyond that 40 chosen at random and the last 3.
func cuts(r *rand.Rand, top int) []int {
	var out []int
	for n := 0; n <= min(top, 80); n++ {
		out = append(out, n)
	}
	if top > 80 {
		for range 40 {
			out = append(out, 81+r.IntN(top-80))
		}
		out = append(out, top-2, top-1, top)
	}
	return out
}

// TestEncodePrefixed checks that EncodePrefixed(prefix, text) is
// Encode(prefix+text) for random prefixes and texts, cased and uncased,
// for every length (prefixes ending inside a word, in a capital sigma, in
// an incomplete UTF-8 character...), and that a prompt before a 50 MB (8 MB under -short)
// document costs no copy of the document.
func TestEncodePrefixed(t *testing.T) {
	v := loadVocab(t)
	r := rand.New(rand.NewPCG(3, 4))
	prefixes := []string{"", "query: ", "passage:", "Σ", "aΣ", "una", "中", "\xe2\x82", "x\xff", "\u0301"}
	for range shortScale(300, 50) {
		prefixes = append(prefixes, randomText(r))
	}
	for _, lower := range []bool{true, false} {
		tok := New(v, lower)
		for _, p := range prefixes {
			for range 3 {
				text := randomText(r)
				if r.IntN(2) == 0 {
					text = randomPieces[r.IntN(len(randomPieces))] + text // often a word's continuation
				}
				full := tok.Encode(nil, p+text, 0)
				for _, maxLen := range append(cuts(r, len(full)+1), -1) {
					if got, want := tok.EncodePrefixed([]int32{7}, p, text, maxLen), tok.Encode([]int32{7}, p+text, maxLen); !slices.Equal(got, want) {
						t.Fatalf("lower %v: EncodePrefixed(%q, %q, %d)\n got %s\nwant %s", lower, p, text, maxLen, pieces(v, got), pieces(v, want))
					}
				}
			}
		}
	}
	tok := New(v, true)
	doc := strings.Repeat("long document text ", longDocBytes()/19)
	var ids []int32
	if n := allocated(func() { ids = tok.EncodePrefixed(nil, "query: ", doc, 512) }); n > 1<<20 {
		t.Errorf("EncodePrefixed(%d MB, 512) allocated %d bytes", longDocBytes()>>20, n)
	}
	if want := tok.Encode(nil, "query: "+doc[:1<<20], 512); !slices.Equal(ids, want) {
		t.Errorf("EncodePrefixed(%d MB, 512) differs from Encode of the concatenation", longDocBytes()>>20)
	}
}

// FuzzStreamingMatchesReference is TestStreamingMatchesReference for any
// text and length.
func FuzzStreamingMatchesReference(f *testing.F) {
	v, err := ReadVocabFile("testdata/vocab.txt")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "Hello, world!", "Café 中文 ΣΑΣ 한국어", "\xff\xfe", "unaffable tokenization", strings.Repeat("x", 150)} {
		f.Add(s, 4, true)
	}
	tok := [2]*Tokenizer{New(v, false), New(v, true)}
	ref := [2]*refTokenizer{{Tokenizer: New(v, false)}, {Tokenizer: New(v, true)}}
	f.Fuzz(func(t *testing.T, s string, maxLen int, lower bool) {
		i := 0
		if lower {
			i = 1
		}
		maxLen %= 1 << 12
		if got, want := tok[i].Encode(nil, s, maxLen), ref[i].encode(nil, s, maxLen); !slices.Equal(got, want) {
			t.Fatalf("lower %v: Encode(%q, %d)\n got %s\nwant %s", lower, s, maxLen, pieces(v, got), pieces(v, want))
		}
	})
}

// longDoc returns a text of at least size bytes: the golden texts (prose,
// accents, CJK, punctuation) over and over, from the off-th on.
func longDoc(texts []string, size, off int) string {
	var b strings.Builder
	b.Grow(size + 4096)
	for i := off; b.Len() < size; i++ {
		b.WriteString(texts[i%len(texts)])
		b.WriteByte(' ')
	}
	return b.String()
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestEncodeLongDocument checks that encoding a 50 MB document (8 MB under -short) cut to 512
// tokens allocates in proportion to the 512 tokens, not to the document
// (the tokenizer used to hold the whole document as runes, twice: 1 GB for
// three such documents), also for a document that is one 50 MB word and
// one of 50 MB of ideographs; and, on its first 1 MB (64 KB under -short), that the result is
// the reference's: tokenise it all and truncate.
func TestEncodeLongDocument(t *testing.T) {
	v := loadVocab(t)
	texts := goldenTexts(t)
	docs := map[string]string{
		"prose":       longDoc(texts, longDocBytes(), 0),
		"one word":    strings.Repeat("x", longDocBytes()),
		"ideographs":  strings.Repeat("中文字符", longDocBytes()/12),
		"punctuation": strings.Repeat("…!", longDocBytes()/4),
	}
	for _, lower := range []bool{true, false} {
		for name, doc := range docs {
			tok := New(v, lower)
			ref := &refTokenizer{Tokenizer: New(v, lower)}
			small := doc[:shortScale(1<<20, 64<<10)]
			for _, maxLen := range []int{512, 3, 2, 1} {
				var ids []int32
				if n := allocated(func() { ids = tok.Encode(nil, doc, maxLen) }); n > 1<<20 {
					t.Errorf("lower %v, %s: Encode(%d MB, %d) allocated %d bytes", lower, name, longDocBytes()>>20, maxLen, n)
				}
				// The first 512 tokens lie well inside the first 64 KB.
				if want := ref.encode(nil, small, maxLen); !slices.Equal(ids, want) {
					t.Errorf("lower %v, %s: Encode(%d MB, %d) = %v, want %v", lower, name, longDocBytes()>>20, maxLen, ids[:min(len(ids), 20)], want[:min(len(want), 20)])
				}
			}
			if got, want := tok.Encode(nil, small, 0), ref.encode(nil, small, 0); !slices.Equal(got, want) {
				t.Errorf("lower %v, %s: Encode(%d KB, 0): %d ids, want %d", lower, name, len(small)>>10, len(got), len(want))
			}
		}
	}
}

// BenchmarkEncodeLongDocs encodes three 50 MB documents cut to 512 tokens,
// what a corpus with a few huge documents costs the tokenizer (before it
// streamed: 26.5 s and 2.5 GiB allocated for the three).
func BenchmarkEncodeLongDocs(b *testing.B) {
	tok := New(loadVocab(b), true)
	texts := goldenTexts(b)
	docs := make([]string, 3)
	bytes := 0
	for i := range docs {
		docs[i] = longDoc(texts, 50<<20, i*100)
		bytes += len(docs[i])
	}
	var ids []int32
	b.ReportAllocs()
	b.ResetTimer()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for b.Loop() {
		for _, d := range docs {
			ids = tok.Encode(ids[:0], d, 512)
		}
	}
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(bytes)*float64(b.N)/b.Elapsed().Seconds()/1e6, "docMB/s")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(b.N), "alloc-B/op")
}

// shortScale is full, or short under -short (the arm64 leg of CI runs the
// suite under qemu, where these tests took two minutes at full size).
func shortScale(full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}

// longDocBytes is the size of the long documents: 50 MB, or 8 MB under
// -short, still eight times the 1 MiB the allocation checks allow.
func longDocBytes() int { return shortScale(50<<20, 8<<20) }
