package adapter

import (
	"fmt"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval/index"
)

// ScoreCandidates scores another system's candidates for one query with
// the bi-encoder: docs are corpus document numbers, in that system's
// order, and each hit's score is the inner product of the query's
// vector qv with the document's vector in ix (what an exact search of
// ix would give, to float32 rounding: the sums may be taken in another
// order). The hits keep docs' order, ready for Reranker.Rerank, which
// takes the first K of them. A document number outside ix or a query
// vector of another width is an error.
func ScoreCandidates(ix Vectors, qv []float32, docs []int) ([]index.Hit, error) {
	if len(qv) != ix.Dim() {
		return nil, fmt.Errorf("adapter: a query vector of dimension %d for vectors of dimension %d", len(qv), ix.Dim())
	}
	hits := make([]index.Hit, len(docs))
	for i, d := range docs {
		if d < 0 || d >= ix.Len() {
			return nil, fmt.Errorf("adapter: candidate %d is document %d of a collection of %d", i, d, ix.Len())
		}
		hits[i] = index.Hit{Doc: d, Score: kernels.Dot(qv, ix.Vector(d))}
	}
	return hits, nil
}

// SparseVectors are the vectors of some documents of a corpus of N
// documents of dimension D, by document number: what a vector database
// returns with its candidates, enough to rerank them. Vector of a
// document it does not hold returns nil; Check reports the first
// document of a result list without one.
type SparseVectors struct {
	D, N int
	M    map[int][]float32
}

// Dim returns the vectors' dimension.
func (s *SparseVectors) Dim() int { return s.D }

// Len returns the number of documents in the corpus.
func (s *SparseVectors) Len() int { return s.N }

// Vector returns document i's vector, or nil when s does not hold it.
func (s *SparseVectors) Vector(i int) []float32 { return s.M[i] }

// Check reports a hit whose document s holds no vector of dimension D
// for, which reranking would otherwise read as zeros.
func (s *SparseVectors) Check(hits []index.Hit) error {
	for i, h := range hits {
		if v := s.M[h.Doc]; len(v) != s.D {
			return fmt.Errorf("adapter: candidate %d (document %d) has a vector of dimension %d, want %d", i, h.Doc, len(v), s.D)
		}
	}
	return nil
}
