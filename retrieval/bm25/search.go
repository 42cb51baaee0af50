package bm25

import (
	"math"
	"math/bits"
	"slices"
)

// A Hit is a document and its score for a query.
type Hit struct {
	Doc   int // document number, in the order documents were added
	Score float32
}

// Search returns the k documents with the highest BM25 scores for query,
// best first, ties broken by lower document number first (Lucene's order
// within a single-segment index). Only documents that contain at least
// one query term score, so fewer than k hits may come back; a query with
// no indexed term (empty, or only stop words) returns none.
//
// The query is analysed like the documents. As in Anserini's bag-of-words
// query, a term that occurs n times in the query weighs n times more:
//
//	score(q, d) = Σ_{distinct t in q} n_t · idf(t) · tf / (tf + k1 (1 − b + b dl/avgdl))
//	idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))
//
// with each term's score computed in float32 as Lucene's BM25Similarity
// does and the sum taken in float64 and rounded to float32, as Lucene's
// disjunction scorers do.
//
// Search reads the postings of the query terms window by window (2048
// consecutive document numbers, from the lowest unread posting),
// accumulating scores in a fixed buffer and offering each matching
// document to a bounded heap. It takes O(P + W·(q + 32) + H log k) time,
// where q is the number of distinct query terms, P their number of
// postings, H the number of matching documents and W ≤ H the number of
// windows, and O(k) memory beyond a fixed scratch space (about 20 KB) that
// is reused across searches.
func (ix *Index) Search(query string, k int) []Hit {
	if k <= 0 {
		return nil
	}
	s := ix.getSearcher()
	defer ix.searchers.Put(s)
	return s.search(query, k)
}

// Score returns the BM25 score of document doc for query, as Search would
// report it, or 0 if doc contains no query term, in O(q log P) time by
// binary search of each query term's postings. It panics if doc is out of
// range.
func (ix *Index) Score(query string, doc int) float32 {
	_ = ix.ids[doc]
	s := ix.getSearcher()
	defer ix.searchers.Put(s)
	s.prepare(query)
	sum := 0.0
	for _, c := range s.cursors {
		if i, ok := slices.BinarySearch(c.docs, int32(doc)); ok {
			sum += float64(termScore(c.w, c.tfs[i], ix.normInv[doc]))
		}
	}
	return float32(sum)
}

// Overlap returns the number of distinct terms of query (as Search reads
// them: analysed, stop words dropped) and how many of them document
// doc contains, in O(q log P) time as Score. It panics if doc is out of
// range.
func (ix *Index) Overlap(query string, doc int) (matched, terms int) {
	_ = ix.ids[doc]
	s := ix.getSearcher()
	defer ix.searchers.Put(s)
	s.prepare(query)
	distinct := slices.Clone(s.toks)
	slices.Sort(distinct)
	terms = len(slices.Compact(distinct))
	for _, c := range s.cursors {
		if _, ok := slices.BinarySearch(c.docs, int32(doc)); ok {
			matched++
		}
	}
	return matched, terms
}

// ScoreDocs gives, for query and each document of docs, what Score and
// Overlap give, with the query analysed once: scores[i] and matched[i]
// (the distinct query terms docs[i] holds) for docs[i], and the number of
// distinct query terms. scores and matched must have len(docs) elements.
// It panics if a document is out of range.
func (ix *Index) ScoreDocs(query string, docs []int, scores []float32, matched []int) (terms int) {
	s := ix.getSearcher()
	defer ix.searchers.Put(s)
	s.prepare(query)
	distinct := slices.Clone(s.toks)
	slices.Sort(distinct)
	terms = len(slices.Compact(distinct))
	for i, doc := range docs {
		_ = ix.ids[doc]
		sum, m := 0.0, 0
		for _, c := range s.cursors {
			if j, ok := slices.BinarySearch(c.docs, int32(doc)); ok {
				sum += float64(termScore(c.w, c.tfs[j], ix.normInv[doc]))
				m++
			}
		}
		scores[i], matched[i] = float32(sum), m
	}
	return terms
}

// DocScores receives, from SearchScored, the BM25 score of every
// document a query matched and how many of the query's distinct terms it
// holds: what ScoreDocs gives, for every document, at the cost of the
// search itself (O(1) per document afterwards, where ScoreDocs searches
// each term's postings). Its zero value is ready; it takes 12 bytes per
// document of the index, allocated at its first search, and is reused
// across searches (one search's scores at a time). It is not safe for
// concurrent use.
type DocScores struct {
	stamp   []uint32 // per document: the search that scored it
	score   []float32
	matched []int32
	gen     uint32
	terms   int
}

// Get returns doc's score and matched terms for the last search (0, 0 for
// a document it did not match). It panics if doc is out of range.
func (d *DocScores) Get(doc int) (score float32, matched int) {
	if d.stamp[doc] != d.gen {
		return 0, 0
	}
	return d.score[doc], int(d.matched[doc])
}

// Terms returns the number of distinct terms of the last search's query
// (as Overlap counts them).
func (d *DocScores) Terms() int { return d.terms }

// next readies d for a search of an index of n documents.
func (d *DocScores) next(n int) {
	if len(d.stamp) != n {
		d.stamp, d.score, d.matched, d.gen = make([]uint32, n), make([]float32, n), make([]int32, n), 0
	}
	d.gen++
	if d.gen == 0 { // wrapped: stamps of 4 billion searches ago would read as current
		clear(d.stamp)
		d.gen = 1
	}
}

// SearchScored is Search, and also records in ds every matched
// document's score (bit for bit Search's and Score's) and matched terms
// (Overlap's), and the query's number of distinct terms.
func (ix *Index) SearchScored(query string, k int, ds *DocScores) []Hit {
	s := ix.getSearcher()
	defer ix.searchers.Put(s)
	ds.next(len(ix.ids))
	s.ds = ds
	defer func() { s.ds = nil }()
	hits := s.search(query, max(k, 0))
	distinct := slices.Clone(s.toks)
	slices.Sort(distinct)
	ds.terms = len(slices.Compact(distinct))
	if k <= 0 {
		return nil
	}
	return hits
}

// window is the number of documents whose scores Search accumulates at
// once.
const window = 2048

// A searcher holds the scratch space of one search.
type searcher struct {
	ix      *Index
	an      Analyzer
	toks    []string
	slot    map[int32]int // term → index in cursors
	cursors []cursor
	acc     [window]float64
	seen    [window / 64]uint64
	top     topK

	ds  *DocScores    // SearchScored's, nil otherwise
	cnt [window]int32 // with ds: matched terms per document of the window
}

// A cursor walks the postings of one query term.
type cursor struct {
	docs []int32
	tfs  []float32
	t    int32   // term number
	n    int     // count in the query
	w    float32 // query-term weight: count in the query × idf
}

func (ix *Index) getSearcher() *searcher {
	if s, ok := ix.searchers.Get().(*searcher); ok {
		return s
	}
	return &searcher{ix: ix, slot: make(map[int32]int)}
}

// prepare analyses query and sets up one cursor per distinct indexed term.
func (s *searcher) prepare(query string) {
	ix := s.ix
	s.toks = s.an.Tokens(s.toks[:0], query)
	s.cursors = s.cursors[:0]
	clear(s.slot)
	for _, tok := range s.toks {
		t, ok := ix.terms[tok]
		if !ok {
			continue
		}
		if i, ok := s.slot[t]; ok {
			s.cursors[i].n++
			continue
		}
		s.slot[t] = len(s.cursors)
		lo, hi := ix.offsets[t], ix.offsets[t+1]
		s.cursors = append(s.cursors, cursor{docs: ix.docs[lo:hi], tfs: ix.tfs[lo:hi], t: t, n: 1})
	}
	for i := range s.cursors {
		c := &s.cursors[i]
		// The conversion rounds the product, so it cannot fuse with the
		// subtraction in termScore.
		c.w = float32(float32(c.n) * ix.idf[c.t])
	}
}

// search runs the query and returns its top k hits (k 0: none, with ds
// still filled).
func (s *searcher) search(query string, k int) []Hit {
	s.prepare(query)
	if len(s.cursors) == 0 {
		return nil
	}
	if s.ds != nil {
		s.searchScored(k)
		return s.top.sorted()
	}
	normInv := s.ix.normInv
	s.top.reset(k)
	for {
		base := int32(math.MaxInt32)
		for i := range s.cursors {
			if c := &s.cursors[i]; len(c.docs) > 0 && c.docs[0] < base {
				base = c.docs[0]
			}
		}
		if base == math.MaxInt32 {
			break
		}
		end := int64(base) + window
		for i := range s.cursors {
			c := &s.cursors[i]
			j := 0
			for ; j < len(c.docs) && int64(c.docs[j]) < end; j++ {
				d := c.docs[j]
				o := d - base
				s.acc[o] += float64(termScore(c.w, c.tfs[j], normInv[d]))
				s.seen[o>>6] |= 1 << (o & 63)
			}
			c.docs, c.tfs = c.docs[j:], c.tfs[j:]
		}
		for w, m := range s.seen {
			if m == 0 {
				continue
			}
			s.seen[w] = 0
			for ; m != 0; m &= m - 1 {
				o := w<<6 | bits.TrailingZeros64(m)
				score := float32(s.acc[o])
				s.acc[o] = 0
				if s.top.full() && score < s.top.worst() {
					continue
				}
				s.top.offer(int(base)+o, score)
			}
		}
	}
	return s.top.sorted()
}

// searchScored is search's loop (the query prepared) that also counts
// each document's matched terms and records every matched document in
// s.ds; a separate loop, so that Search pays nothing for it.
func (s *searcher) searchScored(k int) {
	normInv, ds := s.ix.normInv, s.ds
	s.top.reset(k)
	for {
		base := int32(math.MaxInt32)
		for i := range s.cursors {
			if c := &s.cursors[i]; len(c.docs) > 0 && c.docs[0] < base {
				base = c.docs[0]
			}
		}
		if base == math.MaxInt32 {
			break
		}
		end := int64(base) + window
		for i := range s.cursors {
			c := &s.cursors[i]
			j := 0
			for ; j < len(c.docs) && int64(c.docs[j]) < end; j++ {
				d := c.docs[j]
				o := d - base
				s.acc[o] += float64(termScore(c.w, c.tfs[j], normInv[d]))
				s.cnt[o]++
				s.seen[o>>6] |= 1 << (o & 63)
			}
			c.docs, c.tfs = c.docs[j:], c.tfs[j:]
		}
		for w, m := range s.seen {
			if m == 0 {
				continue
			}
			s.seen[w] = 0
			for ; m != 0; m &= m - 1 {
				o := w<<6 | bits.TrailingZeros64(m)
				score := float32(s.acc[o])
				doc := int(base) + o
				ds.stamp[doc], ds.score[doc], ds.matched[doc] = ds.gen, score, s.cnt[o]
				s.acc[o], s.cnt[o] = 0, 0
				if k == 0 || (s.top.full() && score < s.top.worst()) {
					continue
				}
				s.top.offer(doc, score)
			}
		}
	}
}
