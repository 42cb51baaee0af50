package adapter

import "github.com/rrra/rrra/retrieval/bm25"

// Lexical gives the adapter's lexical-match feature: a pair's BM25 score
// divided by the best BM25 score of its query over the whole corpus, so
// that it lies in [0, 1] and means the same for long and short queries
// (0 when the query matches nothing). The best scores are cached per
// query text, so a Lexical must not be used from two goroutines at once.
type Lexical struct {
	BM25 *bm25.Index // over the corpus, numbered as the adapter's documents
	best map[string]float32
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
