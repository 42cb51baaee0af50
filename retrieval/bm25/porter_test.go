package bm25

import (
	"bufio"
	"compress/gzip"
	"os"
	"strings"
	"testing"
)

// paperStem stems word by the algorithm as published in 1980.
func paperStem(word string) string {
	s := stemmer[byte]{b: []byte(word)}
	s.stem(true)
	return string(s.b[:s.k+1])
}

// TestStemGolden checks Stem against nltk's implementation of Porter's
// own releases (which Lucene's stemmer follows) on every word of
// testdata/porter.tsv.gz, and the published-algorithm variant against
// nltk's ORIGINAL_ALGORITHM mode and Snowball's Porter stemmer
// (PyStemmer). See testdata/README.md.
func TestStemGolden(t *testing.T) {
	f, err := os.Open("testdata/porter.tsv.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	n, departures, bad := 0, 0, 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		word, lucene := cols[0], cols[1]
		paper, snowball := lucene, lucene
		switch len(cols) {
		case 2:
		case 4:
			paper, snowball = cols[2], cols[3]
		default:
			t.Fatalf("bad golden line %q", sc.Text())
		}
		n++
		if paper != lucene {
			departures++
		}
		if got := Stem(word); got != lucene {
			t.Errorf("Stem(%q) = %q, want %q", word, got, lucene)
			bad++
		}
		if got := paperStem(word); got != paper || got != snowball {
			t.Errorf("paper stem of %q = %q, want %q (nltk) and %q (Snowball)", word, got, paper, snowball)
			bad++
		}
		if bad > 20 {
			t.Fatal("too many errors")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 30000 {
		t.Fatalf("only %d golden words", n)
	}
	t.Logf("%d words, %d where Lucene departs from the paper", n, departures)
}

func TestStemCases(t *testing.T) {
	for _, tc := range []struct{ word, want string }{
		// Porter's examples, worked by hand through the steps.
		{"caresses", "caress"}, {"ponies", "poni"}, {"ties", "ti"}, {"cats", "cat"},
		{"feed", "feed"}, {"agreed", "agre"}, {"hopping", "hop"}, {"falling", "fall"},
		{"filing", "file"}, {"happy", "happi"}, {"relational", "relat"},
		{"generalizations", "gener"}, {"controll", "control"},
		// Lucene's departures.
		{"as", "as"}, {"is", "is"}, {"probably", "probabl"}, {"analogy", "analog"}, {"biology", "biologi"},
		// Anything but a e i o u y is a consonant, digits and accents too.
		{"1990s", "1990"}, {"cd4", "cd4"}, {"naïve", "naïv"}, {"réactions", "réaction"},
		// Lucene stems UTF-16 code units: the surrogate halves of U+1D400
		// differ, so "𝐀𝐀" is no double consonant for the -ing rule.
		{"a\U0001D400\U0001D400ing", "a\U0001D400\U0001D400"},
		{"", ""}, {"y", "y"}, {"yyy", "yyi"},
	} {
		if got := Stem(tc.word); got != tc.want {
			t.Errorf("Stem(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}
