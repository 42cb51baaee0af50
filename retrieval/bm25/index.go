package bm25

import (
	"math"
	"sync"
)

// An Index is an inverted index of documents for BM25 retrieval. Its
// methods may be called from several goroutines at once.
//
// It stores, for each term, the documents that contain it in increasing
// order with the term's frequency in each (8 bytes a posting), and per
// document its identifier, its length and its length normalisation.
type Index struct {
	params  Params
	ids     []string
	lengths []int32          // terms per document
	terms   map[string]int32 // term → term number
	offsets []int            // postings of term t: [offsets[t], offsets[t+1])
	docs    []int32          // posting documents
	tfs     []float32        // posting term frequencies

	idf     []float32 // per term
	normInv []float32 // per document: 1 / (k1 (1 − b + b dl/avgdl))
	stats   Stats

	searchers sync.Pool // of *searcher
}

// Stats are collection statistics of an Index.
type Stats struct {
	// Docs is the number of documents added.
	Docs int
	// NonEmptyDocs is the number of documents with at least one term:
	// Lucene's docCount, the N of BM25's idf.
	NonEmptyDocs int
	// Terms is the number of term occurrences in all documents: Lucene's
	// sumTotalTermFreq ("total terms" in Anserini's index statistics).
	Terms int64
	// Vocabulary is the number of distinct terms.
	Vocabulary int
	// AvgDocLen is Terms / NonEmptyDocs rounded to float32, BM25's avgdl.
	AvgDocLen float32
}

// computeStats computes the collection statistics, idf and length
// normalisation, in float32 where Lucene's BM25Similarity computes in
// float.
func (ix *Index) computeStats() {
	s := Stats{Docs: len(ix.ids), Vocabulary: len(ix.offsets) - 1}
	for _, n := range ix.lengths {
		if n > 0 {
			s.NonEmptyDocs++
			s.Terms += int64(n)
		}
	}
	if s.NonEmptyDocs > 0 {
		s.AvgDocLen = float32(float64(s.Terms) / float64(s.NonEmptyDocs))
	}
	ix.stats = s

	ix.idf = make([]float32, s.Vocabulary)
	n := float64(s.NonEmptyDocs)
	for t := range ix.idf {
		df := float64(ix.offsets[t+1] - ix.offsets[t])
		ix.idf[t] = float32(math.Log(1 + (n-df+0.5)/(df+0.5)))
	}

	k1, b, avgdl := ix.params.K1, ix.params.B, s.AvgDocLen
	// The explicit float32 conversions round every product, so the compiler
	// cannot fuse them into a multiply-add Lucene does not do.
	normInv := func(dl int) float32 {
		return 1 / float32(k1*(float32(1-b)+float32(b*float32(dl))/avgdl))
	}
	var table [256]float32
	for i := range table {
		table[i] = normInv(normToLength(uint8(i)))
	}
	ix.normInv = make([]float32, len(ix.lengths))
	for d, n := range ix.lengths {
		if ix.params.ExactLengths {
			ix.normInv[d] = normInv(int(n))
		} else {
			ix.normInv[d] = table[lengthToNorm(int(n))]
		}
	}
}

// Len returns the number of documents in the index.
func (ix *Index) Len() int { return len(ix.ids) }

// ID returns the identifier of document doc.
func (ix *Index) ID(doc int) string { return ix.ids[doc] }

// DocLen returns the number of terms of document doc (its exact length).
func (ix *Index) DocLen(doc int) int { return int(ix.lengths[doc]) }

// Params returns the index's BM25 parameters.
func (ix *Index) Params() Params { return ix.params }

// Stats returns the collection statistics of the index.
func (ix *Index) Stats() Stats { return ix.stats }

// DocFreq returns the number of documents that contain term, an analysed
// term (as Analyzer.Tokens returns it).
func (ix *Index) DocFreq(term string) int {
	t, ok := ix.terms[term]
	if !ok {
		return 0
	}
	return ix.offsets[t+1] - ix.offsets[t]
}

// termScore is Lucene's BM25 score of one term in one document, with
// weight w = boost·idf, term frequency tf and normInv = 1/(k1 (1 − b +
// b dl/avgdl)): w·tf/(tf + 1/normInv), computed as w − w/(1 + tf·normInv).
func termScore(w, tf, normInv float32) float32 {
	return w - w/(1+float32(tf*normInv))
}
