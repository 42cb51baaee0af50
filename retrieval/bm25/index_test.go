package bm25

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rrra/rrra/kernels"
)

// toyDocs are documents whose analysed terms are worked out by hand.
var toyDocs = []struct {
	text  string
	terms []string
}{
	{"The cat sat on the mat.", []string{"cat", "sat", "mat"}},
	{"The cat chased the dog, and the dog barked.", []string{"cat", "chase", "dog", "dog", "bark"}},
	{"Dogs and cats", []string{"dog", "cat"}},
	{"a bird", []string{"bird"}},
	{"the of and", nil}, // no terms: never matches, not counted in N
	// 45 terms: Lucene's one-byte length stores 24 + 0b10101 as 24 +
	// 0b10100 = 44.
	{"cat" + strings.Repeat(" fish", 44), append([]string{"cat"}, slices.Repeat([]string{"fish"}, 44)...)},
	{"Bird birds", []string{"bird", "bird"}},
	{"birds BIRD", []string{"bird", "bird"}},
}

func toyIndex(t *testing.T, p Params) *Index {
	t.Helper()
	b := New(p)
	var a Analyzer
	for i, d := range toyDocs {
		if got := a.Tokens(nil, d.text); !slices.Equal(got, d.terms) {
			t.Fatalf("toy document %d analyses to %q, want %q", i, got, d.terms)
		}
		b.Add(string(rune('A'+i)), d.text)
	}
	return b.Build()
}

// refScore is BM25 in float64 from the hand-analysed toy documents, with
// the document length quantised as Lucene does unless exact.
func refScore(query []string, doc int, k1, b float64, exact bool) float64 {
	n, total := 0.0, 0.0
	df := map[string]float64{}
	for _, d := range toyDocs {
		if len(d.terms) > 0 {
			n++
		}
		total += float64(len(d.terms))
		seen := map[string]bool{}
		for _, t := range d.terms {
			if !seen[t] {
				seen[t] = true
				df[t]++
			}
		}
	}
	avgdl := total / n
	dl := float64(len(toyDocs[doc].terms))
	if !exact {
		dl = float64(floor4(len(toyDocs[doc].terms)))
	}
	qtf := map[string]float64{}
	for _, t := range query {
		qtf[t]++
	}
	score := 0.0
	for t, q := range qtf {
		tf := 0.0
		for _, u := range toyDocs[doc].terms {
			if u == t {
				tf++
			}
		}
		if tf == 0 {
			continue
		}
		idf := math.Log(1 + (n-df[t]+0.5)/(df[t]+0.5))
		score += q * idf * tf / (tf + k1*(1-b+b*dl/avgdl))
	}
	return score
}

func TestScoresMatchFormula(t *testing.T) {
	queries := []struct {
		text  string
		terms []string
	}{
		{"cat", []string{"cat"}},
		{"cats and dogs", []string{"cat", "dog"}},
		{"the dog chased the cat's dog", []string{"dog", "chase", "cat", "dog"}},
		{"fish cat bird", []string{"fish", "cat", "bird"}},
		{"birds", []string{"bird"}},
	}
	for _, exact := range []bool{false, true} {
		p := Params{K1: 1.2, B: 0.75, ExactLengths: exact}
		ix := toyIndex(t, p)
		for _, q := range queries {
			hits := ix.Search(q.text, 100)
			found := map[int]float32{}
			for _, h := range hits {
				found[h.Doc] = h.Score
			}
			for d := range toyDocs {
				want := refScore(q.terms, d, 1.2, 0.75, exact)
				got, ok := found[d]
				if ok != (want > 0) {
					t.Errorf("exact=%v %q: document %d returned %v, want score %v", exact, q.text, d, ok, want)
				}
				if math.Abs(float64(got)-want) > 1e-6*want {
					t.Errorf("exact=%v %q: document %d scores %v, want %v", exact, q.text, d, got, want)
				}
				if s := ix.Score(q.text, d); s != got {
					t.Errorf("exact=%v %q: Score(%d) = %v, Search gives %v", exact, q.text, d, s, got)
				}
			}
		}
	}
	// The 45-term document is where the lossy length shows.
	lossy := toyIndex(t, Params{K1: 1.2, B: 0.75}).Score("fish", 5)
	exact := toyIndex(t, Params{K1: 1.2, B: 0.75, ExactLengths: true}).Score("fish", 5)
	if !(lossy > exact) {
		t.Errorf("fish in the 45-term document: lossy length scores %v, exact %v; want lossy > exact", lossy, exact)
	}
}

func TestQueryTermCount(t *testing.T) {
	ix := toyIndex(t, DefaultParams())
	// Doubling the weight doubles every float32 step exactly.
	for d := range toyDocs {
		if one, two := ix.Score("dog", d), ix.Score("dog dogs", d); two != 2*one {
			t.Errorf("document %d: score of dog dogs = %v, want 2 × %v", d, two, one)
		}
	}
}

func TestSearchEdgeCases(t *testing.T) {
	ix := toyIndex(t, DefaultParams())
	for _, tc := range []struct {
		query string
		k     int
	}{
		{"", 10}, {"   ", 10}, {"the of and a", 10}, {"unicorn", 10}, {"cat", 0}, {"cat", -1},
	} {
		if hits := ix.Search(tc.query, tc.k); len(hits) != 0 {
			t.Errorf("Search(%q, %d) = %v, want no hits", tc.query, tc.k, hits)
		}
	}
	if s := ix.Score("the", 0); s != 0 {
		t.Errorf("Score of a stop word = %v", s)
	}
	// Documents 6 and 7 are identical bags of words: a tie, lower first.
	hits := ix.Search("bird", 10)
	if len(hits) != 3 || hits[0].Doc != 6 || hits[1].Doc != 7 || hits[0].Score != hits[1].Score || hits[2].Doc != 3 {
		t.Errorf("Search(bird) = %v, want documents 6 and 7 tied, then 3", hits)
	}
	if hits := ix.Search("bird", 1); len(hits) != 1 || hits[0].Doc != 6 {
		t.Errorf("Search(bird, 1) = %v, want document 6", hits)
	}
	if ix.Len() != len(toyDocs) || ix.ID(3) != "D" || ix.DocLen(5) != 45 || ix.DocFreq("dog") != 2 || ix.DocFreq("the") != 0 {
		t.Errorf("Len %d, ID(3) %q, DocLen(5) %d, DocFreq(dog) %d, DocFreq(the) %d",
			ix.Len(), ix.ID(3), ix.DocLen(5), ix.DocFreq("dog"), ix.DocFreq("the"))
	}
	if st := ix.Stats(); st.Docs != 8 || st.NonEmptyDocs != 7 || st.Terms != 60 || st.Vocabulary != 8 {
		t.Errorf("Stats() = %+v, want 8 documents, 7 non-empty, 60 terms, 8 distinct", st)
	}
}

func TestNewPanicsOnBadParams(t *testing.T) {
	for _, p := range []Params{
		{K1: -1, B: 0.5}, {K1: float32(math.Inf(1)), B: 0.5}, {K1: float32(math.NaN()), B: 0.5},
		{K1: 1, B: -0.1}, {K1: 1, B: 1.5}, {K1: 1, B: float32(math.NaN())},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", p)
				}
			}()
			New(p)
		}()
	}
}

// randomCorpus returns an index of n random documents over a small
// vocabulary with skewed frequencies, so that scores tie often, and random
// queries over the same vocabulary.
func randomCorpus(n int) (*Index, []string) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("apple banana cherry date elder fig grape honeydew iris jasmine kiwi lemon mango nectar olive")
	pick := func() string { return words[min(int(rng.ExpFloat64()*3), len(words)-1)] }
	b := New(DefaultParams())
	for i := range n {
		var sb strings.Builder
		for range 1 + rng.IntN(60) {
			sb.WriteString(pick() + " ")
		}
		b.Add(strings.Repeat("d", i%3)+string(rune('0'+i%10)), sb.String())
	}
	var queries []string
	for range 40 {
		var q []string
		for range 1 + rng.IntN(5) {
			q = append(q, pick())
		}
		queries = append(queries, strings.Join(q, " "))
	}
	queries = append(queries, "apple", "olive", "olive olive olive apple")
	return b.Build(), queries
}

// TestTopKMatchesFullSort checks Search against scoring every document
// with Score and sorting them all, across window boundaries and ties.
func TestTopKMatchesFullSort(t *testing.T) {
	ix, queries := randomCorpus(5000)
	ties := 0
	for _, q := range queries {
		var all []Hit
		for d := range ix.Len() {
			if s := ix.Score(q, d); s > 0 {
				all = append(all, Hit{d, s})
			}
		}
		slices.SortFunc(all, func(a, b Hit) int {
			return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Doc, b.Doc))
		})
		for i := 1; i < len(all); i++ {
			if all[i].Score == all[i-1].Score {
				ties++
			}
		}
		for _, k := range []int{1, 10, 1000, 10000} {
			want := all[:min(k, len(all))]
			if got := ix.Search(q, k); !slices.Equal(got, want) {
				t.Fatalf("Search(%q, %d) differs from the full sort: %d hits, first %v; want %d, first %v",
					q, k, len(got), got[:min(3, len(got))], len(want), want[:min(3, len(want))])
			}
		}
	}
	if ties == 0 {
		t.Error("the random corpus produced no tied scores to test")
	}
	t.Logf("%d tied neighbours", ties)
}

func TestSearchBatchMatchesSerial(t *testing.T) {
	ix, queries := randomCorpus(3000)
	queries = append(queries, "", "the")
	var want [][]Hit
	for _, q := range queries {
		want = append(want, ix.Search(q, 50))
	}
	for _, threads := range []int{1, 2, 7} {
		prev := kernels.SetThreads(threads)
		got := ix.SearchBatch(queries, 50)
		kernels.SetThreads(prev)
		if len(got) != len(want) {
			t.Fatalf("%d threads: %d results for %d queries", threads, len(got), len(want))
		}
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("%d threads: query %q: batch %v, serial %v", threads, queries[i], got[i], want[i])
			}
		}
	}
	if got := ix.SearchBatch(nil, 10); len(got) != 0 {
		t.Errorf("SearchBatch(nil) = %v", got)
	}
}

// TestOverlap checks the distinct query terms a document holds against the
// hand-analysed toy documents: repeats count once, stop words and terms
// the index does not know count in neither or only in the total.
func TestOverlap(t *testing.T) {
	ix := toyIndex(t, DefaultParams())
	for _, c := range []struct {
		query          string
		doc            int
		matched, terms int
	}{
		{"cat dog", 1, 2, 2},
		{"cat dog", 0, 1, 2},
		{"Dogs dogs DOG", 2, 1, 1},
		{"the cat and the zebra", 0, 1, 2}, // zebra: unknown to the index
		{"the of and", 0, 0, 0},
		{"bird", 4, 0, 1},
	} {
		m, n := ix.Overlap(c.query, c.doc)
		if m != c.matched || n != c.terms {
			t.Errorf("Overlap(%q, %d) = %d of %d, want %d of %d", c.query, c.doc, m, n, c.matched, c.terms)
		}
	}
}

// TestScoreDocs checks the batched form against Score and Overlap one
// document at a time.
func TestScoreDocs(t *testing.T) {
	ix := toyIndex(t, DefaultParams())
	docs := []int{0, 1, 2, 3, 4, 5, 1}
	for _, q := range []string{"cat dog", "the cat and the zebra", "fish fish cat", "the of and"} {
		scores, matched := make([]float32, len(docs)), make([]int, len(docs))
		terms := ix.ScoreDocs(q, docs, scores, matched)
		for i, d := range docs {
			m, n := ix.Overlap(q, d)
			if scores[i] != ix.Score(q, d) || matched[i] != m || terms != n {
				t.Errorf("%q, doc %d: %v %d of %d, want %v %d of %d", q, d, scores[i], matched[i], terms, ix.Score(q, d), m, n)
			}
		}
	}
}

// TestSearchScored checks SearchScored against Search (its hits), against
// ScoreDocs (every document's score and matched terms, bit for bit) and
// its reuse: one DocScores across queries of different terms, across
// window boundaries, with k 0 and with queries of no indexed term.
func TestSearchScored(t *testing.T) {
	ix, queries := randomCorpus(5000)
	queries = append(queries, "", "the of", "zebra apple", "kiwi kiwi lemon")
	docs := make([]int, ix.Len())
	for d := range docs {
		docs[d] = d
	}
	scores, matched := make([]float32, len(docs)), make([]int, len(docs))
	var ds DocScores
	for _, q := range queries {
		for _, k := range []int{0, 10, 10000} {
			hits := ix.SearchScored(q, k, &ds)
			if want := ix.Search(q, k); !slices.Equal(hits, want) {
				t.Fatalf("SearchScored(%q, %d): %d hits, Search %d", q, k, len(hits), len(want))
			}
			terms := ix.ScoreDocs(q, docs, scores, matched)
			if ds.Terms() != terms {
				t.Errorf("%q: %d distinct terms, ScoreDocs %d", q, ds.Terms(), terms)
			}
			for d := range docs {
				if s, m := ds.Get(d); s != scores[d] || m != matched[d] {
					t.Fatalf("%q, k %d, doc %d: score %v, %d matched; ScoreDocs %v, %d", q, k, d, s, m, scores[d], matched[d])
				}
			}
		}
	}
}
