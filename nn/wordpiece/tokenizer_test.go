package wordpiece

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

func loadVocab(t testing.TB) *Vocab {
	v, err := ReadVocabFile("testdata/vocab.txt")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestGolden compares our ids with those of npm's @huggingface/tokenizers
// (testdata/gen_golden.mjs) for a few hundred varied strings and the first
// SciFact and Cranfield documents.
func TestGolden(t *testing.T) {
	v := loadVocab(t)
	tok := New(v, true)
	f, err := os.Open("testdata/golden.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n, bad := 0, 0
	for sc.Scan() {
		var g struct {
			Text string  `json:"text"`
			IDs  []int32 `json:"ids"`
		}
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		n++
		got := tok.Encode(nil, g.Text, 0)
		if !slices.Equal(got, g.IDs) {
			bad++
			if bad <= 10 {
				t.Errorf("%q:\n got %v\nwant %v\n(%s vs %s)", g.Text, got, g.IDs, pieces(v, got), pieces(v, g.IDs))
			}
		}
	}
	if n < 300 {
		t.Fatalf("only %d golden cases", n)
	}
	if bad > 0 {
		t.Errorf("%d of %d texts differ", bad, n)
	}
}

func pieces(v *Vocab, ids []int32) string {
	var s []string
	for _, id := range ids {
		s = append(s, v.Token(id))
	}
	return strings.Join(s, " ")
}

func TestEncodeTruncateAndBatch(t *testing.T) {
	v := loadVocab(t)
	tok := New(v, true)
	full := tok.Encode(nil, "the quick brown fox jumps over the lazy dog", 0)
	if full[0] != v.Cls || full[len(full)-1] != v.Sep || len(full) != 11 {
		t.Fatalf("Encode = %s", pieces(v, full))
	}
	for _, maxLen := range []int{1, 2, 3, 5, 11, 12} {
		got := tok.Encode(nil, "the quick brown fox jumps over the lazy dog", maxLen)
		wantLen := min(max(maxLen, 2), 11)
		if len(got) != wantLen || got[0] != v.Cls || got[len(got)-1] != v.Sep || !slices.Equal(got[1:len(got)-1], full[1:wantLen-1]) {
			t.Errorf("maxLen %d: %s", maxLen, pieces(v, got))
		}
	}
	var b Batch
	texts := []string{"short", "a somewhat longer sentence here", "", "mid length text"}
	tok.EncodeBatch(&b, texts, 6)
	if b.B != 4 || b.T != 6 || len(b.IDs) != 24 || len(b.Mask) != 24 {
		t.Fatalf("batch B=%d T=%d ids %d mask %d", b.B, b.T, len(b.IDs), len(b.Mask))
	}
	for i, s := range texts {
		want := tok.Encode(nil, s, 6)
		row, mask := b.IDs[i*6:(i+1)*6], b.Mask[i*6:(i+1)*6]
		if b.Lens[i] != len(want) || !slices.Equal(row[:len(want)], want) {
			t.Errorf("row %d: %s, want %s", i, pieces(v, row), pieces(v, want))
		}
		for j := range row {
			pad := j >= len(want)
			if pad && (row[j] != v.Pad || mask[j] != 0) || !pad && mask[j] != 1 {
				t.Errorf("row %d position %d: id %d mask %v", i, j, row[j], mask[j])
			}
		}
	}
	// Reusing the batch allocates nothing.
	if a := testing.AllocsPerRun(20, func() { tok.EncodeBatch(&b, texts, 6) }); a != 0 {
		t.Errorf("EncodeBatch: %v allocations per call in steady state", a)
	}
	accented := []string{"Café déjà vu — naïve résumé", "中文字符测试 ΣΑΣ"}
	tok.EncodeBatch(&b, accented, 0)
	if a := testing.AllocsPerRun(20, func() { tok.EncodeBatch(&b, accented, 0) }); a != 0 {
		t.Errorf("EncodeBatch (non-ASCII): %v allocations per call", a)
	}
}

func TestCased(t *testing.T) {
	// A tiny cased vocabulary: no lower-casing, accents kept.
	v, err := ParseVocab(strings.NewReader("[PAD]\n[UNK]\n[CLS]\n[SEP]\nHello\nhello\nCafé\n,\n!\n##s\n"), "tiny")
	if err != nil {
		t.Fatal(err)
	}
	got := New(v, false).Encode(nil, "Hello, hello! Cafés Cafe", 0)
	if s := pieces(v, got); s != "[CLS] Hello , hello ! Café ##s [UNK] [SEP]" {
		t.Errorf("cased: %s", s)
	}
	got = New(v, true).Encode(nil, "HELLO Hello", 0)
	if s := pieces(v, got); s != "[CLS] hello hello [SEP]" {
		t.Errorf("uncased: %s", s)
	}
}

func TestVocabErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"no UNK", "[PAD]\n[CLS]\n[SEP]\na\n", "vocab.txt: the vocabulary has no [UNK] token"},
		{"no CLS", "[PAD]\n[UNK]\n[SEP]\n", "no [CLS] token"},
		{"no SEP", "[PAD]\n[UNK]\n[CLS]\n", "no [SEP] token"},
		{"no PAD", "[UNK]\n[CLS]\n[SEP]\n", "no [PAD] token"},
		{"duplicate", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nx\nx\n", `vocab.txt:6: token "x" repeats line 5`},
		{"empty line", "[PAD]\n\n[UNK]\n", "vocab.txt:2: empty token"},
		{"bad UTF-8", "[PAD]\n\xff\xfe\n", "vocab.txt:2: token is not valid UTF-8"},
		{"UTF-16 mark", "\xff\xfe[\x00P\x00", "vocab.txt:1: the file starts with a UTF-16 byte-order mark"},
	}
	for _, c := range cases {
		_, err := ParseVocab(strings.NewReader(c.text), "vocab.txt")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// A UTF-8 byte-order mark is not part of the first token.
	if v, err := ParseVocab(strings.NewReader("\uFEFF[PAD]\n[UNK]\n[CLS]\n[SEP]\n"), "vocab.txt"); err != nil || v.Pad != 0 || v.Token(0) != "[PAD]" {
		t.Errorf("vocabulary after a UTF-8 mark: %v", err)
	}
	v := loadVocab(t)
	if v.Len() != 30522 || v.Pad != 0 || v.Unk != 100 || v.Cls != 101 || v.Sep != 102 || v.Mask != 103 {
		t.Errorf("bert-base-uncased: len %d pad %d unk %d cls %d sep %d mask %d", v.Len(), v.Pad, v.Unk, v.Cls, v.Sep, v.Mask)
	}
}

func TestInvalidUTF8(t *testing.T) {
	v := loadVocab(t)
	tok := New(v, true)
	got := tok.Encode(nil, "ok\xff\xfeword", 0)
	if s := pieces(v, got); s != "[CLS] ok ##word [SEP]" && s != "[CLS] okword [SEP]" {
		t.Errorf("invalid bytes: %s", s)
	}
}

func BenchmarkTokenize(b *testing.B) {
	v := loadVocab(b)
	tok := New(v, true)
	texts := []string{
		"Alterations of the architecture of cerebral white matter in the developing human brain can affect cortical development.",
		"Café déjà vu — naïve résumé; β-amyloid Aβ42 and IL-6/STAT3 signalling in 中文 text.",
	}
	var ids []int32
	bytes := 0
	for _, s := range texts {
		bytes += len(s)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range texts {
			ids = tok.Encode(ids[:0], s, 512)
		}
	}
	b.ReportMetric(float64(bytes)*float64(b.N)/b.Elapsed().Seconds()/1e6, "MB/s")
}

// FuzzTokenize checks that any input, valid UTF-8 or not, tokenizes without
// panicking into ids of the vocabulary, deterministically.
func FuzzTokenize(f *testing.F) {
	v, err := ReadVocabFile("testdata/vocab.txt")
	if err != nil {
		f.Fatal(err)
	}
	tok := New(v, true)
	for _, s := range []string{"", "Hello, world!", "Café 中文 ΣΑΣ 한국어", "\xff\xfe", strings.Repeat("x", 150)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(nil, s, 0)
		if len(ids) < 2 || ids[0] != v.Cls || ids[len(ids)-1] != v.Sep {
			t.Fatalf("%q: %v", s, ids)
		}
		for _, id := range ids {
			if id < 0 || int(id) >= v.Len() {
				t.Fatalf("%q: id %d out of range", s, id)
			}
		}
		if again := tok.Encode(nil, s, 0); !slices.Equal(ids, again) {
			t.Fatalf("%q: not deterministic", s)
		}
	})
}
