package wordpiece

import (
	"slices"
	"strings"
	"testing"
)

func texts(ts ...string) func() (string, bool) {
	i := 0
	return func() (string, bool) {
		if i == len(ts) {
			return "", false
		}
		i++
		return ts[i-1], true
	}
}

var trainCorpus = []string{
	"The low lower lowest, newer and wider: widest!",
	"Lower the newest widget; LOW lows are lower.",
	"Experimental investigation of the aerodynamics of a wing in a slipstream.",
	"Simple shear flow past a flat plate in an incompressible fluid of small viscosity.",
	"The boundary layer in simple shear flow past a flat plate.",
	"Café naïve résumé — déjà vu.",
}

func TestTrain(t *testing.T) {
	v, err := Train(texts(trainCorpus...), TrainOptions{VocabSize: 120, Lower: true})
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() > 120 || v.Len() < 60 {
		t.Fatalf("vocabulary of %d tokens", v.Len())
	}
	for i, s := range []string{PadToken, UnkToken, ClsToken, SepToken, MaskToken} {
		if v.Token(int32(i)) != s {
			t.Errorf("token %d is %q, want %q", i, v.Token(int32(i)), s)
		}
	}
	// Merges happened: frequent words or parts became tokens.
	for _, want := range []string{"the", "low", "flow"} {
		if _, ok := v.ID(want); !ok {
			t.Errorf("%q not learned", want)
		}
	}
	// Every training word tokenizes without [UNK] (its characters are all
	// in the vocabulary), and accents were stripped as the tokenizer does.
	tok := New(v, true)
	for _, s := range trainCorpus {
		for _, id := range tok.Tokenize(nil, s) {
			if id == v.Unk {
				t.Fatalf("%q tokenizes with [UNK]: %s", s, pieces(v, tok.Tokenize(nil, s)))
			}
		}
	}
	if _, ok := v.ID("é"); ok {
		t.Error("accented character kept by an uncased vocabulary")
	}
	// Deterministic.
	again, _ := Train(texts(trainCorpus...), TrainOptions{VocabSize: 120, Lower: true})
	if !slices.Equal(v.tokens, again.tokens) {
		t.Error("two runs learned different vocabularies")
	}
}

func TestTrainMerges(t *testing.T) {
	// "aaaa" three times is a ##a ##a ##a: the alphabet is ##a (9
	// occurrences) then a (3); the pair (##a, ##a) occurs 6 times and
	// merges first into ##aa, leaving a ##aa ##a; then (a, ##aa) and
	// (##aa, ##a) tie at 3 and "##aaa" sorts before "aaa".
	v, err := Train(texts("aaaa aaaa aaaa"), TrainOptions{VocabSize: 9, MinFrequency: 1, Lower: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(v.tokens[5:], " "); got != "##a a ##aa ##aaa" {
		t.Errorf("learned %q, want \"##a a ##aa ##aaa\"", got)
	}
	if s := pieces(v, New(v, true).Tokenize(nil, "aaaa")); s != "a ##aaa" {
		t.Errorf("aaaa → %s", s)
	}
	if _, err := Train(texts("x"), TrainOptions{VocabSize: 5}); err == nil {
		t.Error("a size with no room for tokens was accepted")
	}
}
