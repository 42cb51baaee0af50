package bm25

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestAnalyzer(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"", nil},
		{"the of and to a", nil},
		{"The quick brown fox's jumps", []string{"quick", "brown", "fox", "jump"}},
		// The possessive goes before lower-casing, then "it" is a stop word.
		{"IT'S", nil},
		{"Dogs’ owner’s owner＇S", []string{"dog", "owner", "owner"}},
		{"This is not a test", []string{"test"}},
		{"CD4+ T-cells express IL-6.", []string{"cd4", "t", "cell", "express", "il", "6"}},
		{"Relational DATABASES", []string{"relat", "databas"}},
		{"NAÏVE Naïve", []string{"naïv", "naïv"}},
		{"α-Synuclein β-Amyloid", []string{"α", "synuclein", "β", "amyloid"}},
		{"u.s.a. U.S.A.", []string{"u.s.a", "u.s.a"}},
	} {
		var a Analyzer
		got := a.Tokens(nil, tc.text)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tc.text, got, tc.want)
		}
		// A second pass, served from the cache, gives the same terms.
		if again := a.Tokens(nil, tc.text); !slices.Equal(again, got) {
			t.Errorf("Tokens(%q) again = %q, first %q", tc.text, again, got)
		}
	}
}

// TestAnalyzerPipeline checks, on the SciFact corpus, that Analyzer (with
// its cache) gives the same terms as the filters applied one by one with
// the standard library: strings.TrimSuffix, unicode.ToLower, StopWords
// and Stem.
func TestAnalyzerPipeline(t *testing.T) {
	c := loadCollection(t, "scifact", "test")
	stop := map[string]bool{}
	for _, w := range StopWords() {
		stop[w] = true
	}
	var a Analyzer
	var got []string
	for i, text := range c.docTexts[:1000] {
		var want []string
		for _, tok := range Tokenize(nil, text) {
			for _, suffix := range []string{"'s", "'S", "’s", "’S", "＇s", "＇S"} {
				if s, ok := strings.CutSuffix(tok, suffix); ok {
					tok = s
					break
				}
			}
			tok = strings.Map(unicode.ToLower, tok)
			if !stop[tok] {
				want = append(want, Stem(tok))
			}
		}
		got = a.Tokens(got[:0], text)
		if !slices.Equal(got, want) {
			t.Fatalf("document %d: Tokens = %q, want %q", i, got, want)
		}
	}
}

func TestAnalyzerNoAllocs(t *testing.T) {
	text := "Microstructural development of human newborn cerebral white matter assessed in vivo by diffusion tensor MRI."
	var a Analyzer
	dst := a.Tokens(nil, text)
	allocs := testing.AllocsPerRun(10, func() { dst = a.Tokens(dst[:0], text) })
	if allocs != 0 {
		t.Errorf("Tokens of seen text: %v allocations, want 0", allocs)
	}
}

func TestStopWords(t *testing.T) {
	w := StopWords()
	if len(w) != 33 || !slices.IsSorted(w) || w[0] != "a" || w[32] != "with" {
		t.Errorf("StopWords() = %q", w)
	}
	w[0] = "changed"
	if StopWords()[0] != "a" {
		t.Error("StopWords returns the package's own slice")
	}
}
