package retrieval

import (
	"fmt"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval/bm25"
	"github.com/rrra/rrra/retrieval/index"
)

// MineDense builds a dense pool: it scores every training query against
// docVecs (the corpus encoded by the current document tower) and keeps, per
// query, the top k documents that are not known positives, with their
// scores scaled by scale (1/τ: the model's logits). Each positive's score
// is computed directly, whether or not it ranks in the top k.
func MineDense(td *TrainData, queryVecs, docVecs []float32, dim, k int, scale float32) (*Pool, error) {
	nq, nd := len(td.Queries), len(td.Docs)
	if len(queryVecs) != nq*dim || len(docVecs) != nd*dim {
		return nil, fmt.Errorf("retrieval: MineDense: %d query and %d document values for %d×%d and %d×%d",
			len(queryVecs), len(docVecs), nq, dim, nd, dim)
	}
	ix := index.New(dim)
	if err := ix.Add(td.DocIDs, docVecs); err != nil {
		return nil, err
	}
	p := poolOf("dense", td, ix.Search(queryVecs, nq, k+td.maxPositives()), k, scale)
	for q := range p.Cands {
		qv := queryVecs[q*dim : (q+1)*dim]
		for _, d := range td.Positives[q] {
			s := kernels.Dot(qv, docVecs[int(d)*dim:(int(d)+1)*dim])
			p.PosScores[q] = append(p.PosScores[q], s*scale)
		}
	}
	return p, nil
}

// MineWith encodes the training queries and the corpus with enc and
// mines a dense pool of k per query from them (MineDense), with scores on
// the model's logit scale (divided by its temperature). It also returns
// the query and document vectors. progress, when not nil, is called with
// the number of documents encoded so far, as Encoder.Docs does.
func MineWith(enc *Encoder, td *TrainData, k int, progress func(done int)) (p *Pool, queryVecs, docVecs []float32, err error) {
	if docVecs, err = enc.Docs(td.Docs, progress); err != nil {
		return nil, nil, nil, err
	}
	if queryVecs, err = enc.Queries(td.Queries, nil); err != nil {
		return nil, nil, nil, err
	}
	p, err = MineDense(td, queryVecs, docVecs, enc.Dim(), k, enc.LogitScale())
	return p, queryVecs, docVecs, err
}

// MineBM25 builds a BM25 pool: per training query, the top k BM25 documents
// that are not known positives, and the BM25 score of each positive.
func MineBM25(td *TrainData, ix *bm25.Index, k int) *Pool {
	p := poolOf("bm25", td, ix.SearchBatch(td.Queries, k+td.maxPositives()), k, 1)
	for q := range p.Cands {
		for _, d := range td.Positives[q] {
			p.PosScores[q] = append(p.PosScores[q], ix.Score(td.Queries[q], int(d)))
		}
	}
	return p
}

// poolOf keeps, per query, the first k hits that are not known positives,
// with their scores times scale; the positives' scores are left to the
// caller.
func poolOf[H ~struct {
	Doc   int
	Score float32
}](source string, td *TrainData, hits [][]H, k int, scale float32) *Pool {
	p := &Pool{Source: source, Cands: make([][]Candidate, len(hits)), PosScores: make([][]float32, len(hits))}
	for q := range hits {
		for _, x := range hits[q] {
			h := index.Hit(x)
			if len(p.Cands[q]) == k {
				break
			}
			if !td.isPositive(q, int32(h.Doc)) {
				p.Cands[q] = append(p.Cands[q], Candidate{Doc: int32(h.Doc), Score: h.Score * scale})
			}
		}
	}
	return p
}

// BuildBM25 indexes the training data's corpus with BM25's default
// parameters (k1 0.9, b 0.4).
func BuildBM25(td *TrainData) *bm25.Index {
	b := bm25.New(bm25.DefaultParams())
	for i, t := range td.Docs {
		b.Add(td.DocIDs[i], t)
	}
	return b.Build()
}
