package adapter

import (
	"math"
	"slices"

	"github.com/rrra/rrra/retrieval/bm25"
)

// Lexical gives the adapter's lexical-match feature: a pair's BM25 score
// divided by the best BM25 score of its query over the whole corpus, so
// that it lies in [0, 1] and means the same for long and short queries
// (0 when the query matches nothing). The best scores are cached per
// query text, so a Lexical must not be used from two goroutines at once.
type Lexical struct {
	BM25 *bm25.Index // over the corpus, numbered as the adapter's documents
	best map[string]float32
	vecs []docVec // the documents' TF-IDF vectors, for DocSim
}

// NewLexical returns the lexical feature over a corpus's BM25 index.
func NewLexical(ix *bm25.Index) *Lexical {
	return &Lexical{BM25: ix, best: map[string]float32{}}
}

// Score returns BM25(query, doc) / max over documents of BM25(query, ·).
func (l *Lexical) Score(query string, doc int) float32 {
	best, ok := l.best[query]
	if !ok {
		if hits := l.BM25.Search(query, 1); len(hits) > 0 {
			best = hits[0].Score
		}
		l.best[query] = best
	}
	if best <= 0 {
		return 0
	}
	return l.BM25.Score(query, doc) / best
}

// docVec is a document's TF-IDF vector: terms (sorted) and weights, of
// unit length.
type docVec struct {
	terms []string
	w     []float32
}

// DocSim returns the cosine of the TF-IDF vectors (log tf + 1, idf from
// the BM25 index) of documents a and b of docs, the corpus's texts as the
// index numbers them: a lexical similarity of two documents, for the
// relevance-feedback feature. The vectors are built on first use.
func (l *Lexical) DocSim(docs []string, a, b int) float32 {
	if l.vecs == nil {
		l.vecs = make([]docVec, len(docs))
		var an bm25.Analyzer
		n := float64(l.BM25.Len())
		var toks []string
		for i, text := range docs {
			toks = an.Tokens(toks[:0], text)
			tf := map[string]int{}
			for _, t := range toks {
				tf[t]++
			}
			v := docVec{terms: make([]string, 0, len(tf))}
			for t := range tf {
				v.terms = append(v.terms, t)
			}
			slices.Sort(v.terms)
			norm := 0.0
			for _, t := range v.terms {
				x := (1 + math.Log(float64(tf[t]))) * math.Log(1+n/float64(max(1, l.BM25.DocFreq(t))))
				v.w = append(v.w, float32(x))
				norm += x * x
			}
			for k := range v.w {
				v.w[k] /= float32(math.Sqrt(norm))
			}
			l.vecs[i] = v
		}
	}
	x, y := &l.vecs[a], &l.vecs[b]
	var s float32
	for i, j := 0, 0; i < len(x.terms) && j < len(y.terms); {
		switch {
		case x.terms[i] < y.terms[j]:
			i++
		case x.terms[i] > y.terms[j]:
			j++
		default:
			s += x.w[i] * y.w[j]
			i++
			j++
		}
	}
	return s
}
