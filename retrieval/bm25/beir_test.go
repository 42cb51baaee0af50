package bm25

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rrra/rrra/retrieval/datasets"
)

// A collection is an embedded BEIR collection as these tests need it.
type collection struct {
	docIDs   []string
	docTexts []string // title + " " + text, as Anserini's BeirFlatCollection
	queries  map[string]string
	qrels    map[string]map[string]int // query → document → grade
}

var collections sync.Map // name/split → *collection

// loadCollection reads a split of an embedded collection with the
// standard library (the real loader is package retrieval/beir).
func loadCollection(t testing.TB, name, split string) *collection {
	t.Helper()
	if c, ok := collections.Load(name + "/" + split); ok {
		return c.(*collection)
	}
	fsys, err := datasets.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	c := &collection{queries: map[string]string{}, qrels: map[string]map[string]int{}}

	f, err := fsys.Open("corpus.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(zr)
	for dec.More() {
		var d beirDoc
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("%s corpus: %v", name, err)
		}
		c.docIDs = append(c.docIDs, d.ID)
		c.docTexts = append(c.docTexts, d.Title+" "+d.Text)
	}

	data, err := fs.ReadFile(fsys, "queries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	dec = json.NewDecoder(strings.NewReader(string(data)))
	for dec.More() {
		var q beirDoc
		if err := dec.Decode(&q); err != nil {
			t.Fatalf("%s queries: %v", name, err)
		}
		c.queries[q.ID] = q.Text
	}

	data, err = fs.ReadFile(fsys, "qrels/"+split+".tsv")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 {
			t.Fatalf("%s qrels: bad line %q", name, sc.Text())
		}
		g, err := strconv.Atoi(f[2])
		if err != nil {
			t.Fatalf("%s qrels: %v", name, err)
		}
		if c.qrels[f[0]] == nil {
			c.qrels[f[0]] = map[string]int{}
		}
		c.qrels[f[0]][f[1]] = g
	}
	collections.Store(name+"/"+split, c)
	return c
}

// A beirDoc is a line of a BEIR corpus.jsonl or queries.jsonl.
type beirDoc struct {
	ID    string `json:"_id"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// index builds the index of a collection's corpus.
func (c *collection) index(p Params) *Index {
	b := New(p)
	for i, id := range c.docIDs {
		b.Add(id, c.docTexts[i])
	}
	return b.Build()
}

// evaluation holds the mean metrics of a run over the queries of a split.
type evaluation struct {
	ndcg10, recall100, recall1000 float64
	queries                       int
}

// evaluate runs every judged query with k = 1000 and scores the run as
// trec_eval -c does for Anserini's run files: each score written with
// six decimals, ranking by that score descending then document id
// descending, hits whose id equals the query id removed (Anserini's
// -removeQuery, BEIR's ignore_identical_ids), and the mean taken over all
// judged queries.
func evaluate(t testing.TB, c *collection, ix *Index) evaluation {
	t.Helper()
	var qids []string
	for q := range c.qrels {
		qids = append(qids, q)
	}
	slices.Sort(qids)
	texts := make([]string, len(qids))
	for i, q := range qids {
		text, ok := c.queries[q]
		if !ok {
			t.Fatalf("query %s judged but missing", q)
		}
		texts[i] = text
	}
	runs := ix.SearchBatch(texts, 1000)
	var e evaluation
	for i, q := range qids {
		var ranked []rankedDoc
		for _, h := range runs[i] {
			if id := ix.ID(h.Doc); id != q {
				ranked = append(ranked, rankedDoc{id, fmt.Sprintf("%.6f", h.Score)})
			}
		}
		e.ndcg10 += ndcgAt(10, ranked, c.qrels[q])
		e.recall100 += recallAt(100, ranked, c.qrels[q])
		e.recall1000 += recallAt(1000, ranked, c.qrels[q])
	}
	n := float64(len(qids))
	e.ndcg10 /= n
	e.recall100 /= n
	e.recall1000 /= n
	e.queries = len(qids)
	return e
}

// A rankedDoc is one line of a run file: a document id and its score as
// written.
type rankedDoc struct{ id, score string }

// trecOrder sorts a run as trec_eval does: score descending, then document
// id descending.
func trecOrder(run []rankedDoc) []rankedDoc {
	run = slices.Clone(run)
	slices.SortStableFunc(run, func(a, b rankedDoc) int {
		sa, _ := strconv.ParseFloat(a.score, 64)
		sb, _ := strconv.ParseFloat(b.score, 64)
		switch {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return -strings.Compare(a.id, b.id)
	})
	return run
}

// ndcgAt is trec_eval's ndcg_cut.k: gains are the judged grades, the
// discount is log2(rank + 1), and the ideal ranking sorts all judged
// relevant documents by grade.
func ndcgAt(k int, run []rankedDoc, qrels map[string]int) float64 {
	run = trecOrder(run)
	dcg := 0.0
	for i, d := range run[:min(k, len(run))] {
		if g := qrels[d.id]; g > 0 {
			dcg += float64(g) / math.Log2(float64(i+2))
		}
	}
	var grades []int
	for _, g := range qrels {
		if g > 0 {
			grades = append(grades, g)
		}
	}
	slices.Sort(grades)
	slices.Reverse(grades)
	ideal := 0.0
	for i, g := range grades[:min(k, len(grades))] {
		ideal += float64(g) / math.Log2(float64(i+2))
	}
	if ideal == 0 {
		return 0
	}
	return dcg / ideal
}

// recallAt is trec_eval's recall.k.
func recallAt(k int, run []rankedDoc, qrels map[string]int) float64 {
	run = trecOrder(run)
	rel, found := 0, 0
	for _, g := range qrels {
		if g > 0 {
			rel++
		}
	}
	for _, d := range run[:min(k, len(run))] {
		if qrels[d.id] > 0 {
			found++
		}
	}
	if rel == 0 {
		return 0
	}
	return float64(found) / float64(rel)
}

func TestNDCGHelper(t *testing.T) {
	// Hand-computed: relevant d1 (grade 2) at rank 2 and d3 (grade 1) at
	// rank 1; ties ranked by id descending put "d3" before "d2".
	run := []rankedDoc{{"d2", "1.000000"}, {"d3", "1.000000"}, {"d1", "0.500000"}}
	qrels := map[string]int{"d1": 2, "d3": 1, "d9": 0}
	dcg := 1/math.Log2(2) + 2/math.Log2(4)
	ideal := 2/math.Log2(2) + 1/math.Log2(3)
	if got, want := ndcgAt(10, run, qrels), dcg/ideal; math.Abs(got-want) > 1e-12 {
		t.Errorf("ndcg@10 = %v, want %v", got, want)
	}
	if got := ndcgAt(1, run, qrels); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("ndcg@1 = %v, want 0.5", got)
	}
	if got := recallAt(1, run, qrels); got != 0.5 {
		t.Errorf("recall@1 = %v, want 0.5", got)
	}
}

// TestSciFact is the acceptance test: Anserini's published BM25 flat
// figures for BEIR SciFact (regression beir-v1.0.0-scifact.flat: 5,183
// documents, 838,128 terms; nDCG@10 0.6789, R@100 0.9253, R@1000 0.9767
// with k1 = 0.9, b = 0.4).
func TestSciFact(t *testing.T) {
	c := loadCollection(t, "scifact", "test")
	ix := c.index(DefaultParams())
	st := ix.Stats()
	if st.Docs != 5183 || st.NonEmptyDocs != 5183 || st.Terms != 838128 {
		t.Errorf("stats %+v, Anserini has 5183 documents, 838128 terms", st)
	}
	e := evaluate(t, c, ix)
	t.Logf("SciFact test (%d queries): nDCG@10 %.4f, R@100 %.4f, R@1000 %.4f; %+v",
		e.queries, e.ndcg10, e.recall100, e.recall1000, st)
	if e.queries != 300 {
		t.Errorf("%d judged queries, want 300", e.queries)
	}
	for _, m := range []struct {
		name      string
		got, want float64
	}{
		{"nDCG@10", e.ndcg10, 0.679},
		{"R@100", e.recall100, 0.9253},
		{"R@1000", e.recall1000, 0.9767},
	} {
		if math.Abs(m.got-m.want) > 0.01 {
			t.Errorf("%s = %.4f, Anserini has %.4f", m.name, m.got, m.want)
		}
	}
}

// TestCranfield reports BM25 on the Cranfield test split, which has no
// published target: it must only be far above random.
func TestCranfield(t *testing.T) {
	c := loadCollection(t, "cranfield", "test")
	ix := c.index(DefaultParams())
	e := evaluate(t, c, ix)
	t.Logf("Cranfield test (%d queries): nDCG@10 %.4f, R@100 %.4f, R@1000 %.4f; %+v",
		e.queries, e.ndcg10, e.recall100, e.recall1000, ix.Stats())
	if e.queries != 90 {
		t.Errorf("%d judged queries, want 90", e.queries)
	}
	if e.ndcg10 < 0.3 {
		t.Errorf("nDCG@10 = %.4f, want > 0.3", e.ndcg10)
	}
}
