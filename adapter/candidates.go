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
// document it does not hold returns nil (RerankLists refuses such a
// candidate).
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

// RerankLists reranks each query's candidate list (lists[i], for the
// query of text texts[i] and vector row i of qv, in the first stage's
// order, with bi-encoder scores: ScoreCandidates', or a vector
// database's) by Rerank, after checking that vs can serve them: the
// reranker's Check, and a vector of the right width for every candidate
// (a missing one would be read as zeros).
func (r *Reranker) RerankLists(vs Vectors, texts []string, qv []float32, lists [][]index.Hit) ([][]index.Hit, error) {
	if err := r.Check(vs); err != nil {
		return nil, err
	}
	d := vs.Dim()
	if len(texts) != len(lists) || len(qv) != len(lists)*d {
		return nil, fmt.Errorf("adapter: %d candidate lists, %d texts and %d floats of query vectors of dimension %d", len(lists), len(texts), len(qv), d)
	}
	out := make([][]index.Hit, len(lists))
	for i, hits := range lists {
		for j, h := range hits {
			if h.Doc < 0 || h.Doc >= vs.Len() || len(vs.Vector(h.Doc)) != d {
				return nil, fmt.Errorf("adapter: query %d, candidate %d: document %d has no vector of dimension %d", i, j, h.Doc, d)
			}
		}
		out[i], _ = r.Rerank(vs, texts[i], qv[i*d:(i+1)*d], hits)
	}
	return out, nil
}
