package bm25

import (
	"fmt"
	"math"
)

// A Builder accumulates documents and builds an Index from them.
type Builder struct {
	params  Params
	an      Analyzer
	ids     []string
	lengths []int32 // number of terms of each document
	terms   map[string]int32
	nterms  int32
	post    []posting // in document order
	tf      []int32   // scratch: frequency of each term in the document being added
	touched []int32   // scratch: the terms of the document being added
	toks    []string  // scratch
}

// A posting records that term occurs tf times in doc.
type posting struct{ term, doc, tf int32 }

// New returns a Builder for an index with the given parameters. It panics
// if K1 is negative or not finite or B is outside [0, 1].
func New(params Params) *Builder {
	if err := params.validate(); err != nil {
		panic(err)
	}
	return &Builder{params: params, terms: make(map[string]int32)}
}

// Add analyses text and adds it as the next document, with identifier id.
// Documents are numbered from 0 in the order they are added. A document
// whose text has no terms is numbered but can never match.
func (b *Builder) Add(id, text string) {
	if len(b.ids) == math.MaxInt32 {
		panic(fmt.Sprintf("bm25: more than %d documents", math.MaxInt32))
	}
	doc := int32(len(b.ids))
	b.ids = append(b.ids, id)
	b.toks = b.an.Tokens(b.toks[:0], text)
	for _, t := range b.toks {
		id, ok := b.terms[t]
		if !ok {
			id = b.nterms
			b.nterms++
			b.terms[t] = id
			b.tf = append(b.tf, 0)
		}
		if b.tf[id] == 0 {
			b.touched = append(b.touched, id)
		}
		b.tf[id]++
	}
	for _, id := range b.touched {
		b.post = append(b.post, posting{term: id, doc: doc, tf: b.tf[id]})
		b.tf[id] = 0
	}
	b.touched = b.touched[:0]
	b.lengths = append(b.lengths, int32(len(b.toks)))
}

// Build returns the index of the documents added so far. The Builder must
// not be used afterwards.
func (b *Builder) Build() *Index {
	ix := &Index{
		params:  b.params,
		ids:     b.ids,
		terms:   b.terms,
		lengths: b.lengths,
	}
	// Counting sort of the postings by term, stable, so that each term's
	// documents stay in increasing order.
	ix.offsets = make([]int, b.nterms+1)
	for _, p := range b.post {
		ix.offsets[p.term+1]++
	}
	for t := 1; t < len(ix.offsets); t++ {
		ix.offsets[t] += ix.offsets[t-1]
	}
	next := make([]int, b.nterms)
	copy(next, ix.offsets)
	ix.docs = make([]int32, len(b.post))
	ix.tfs = make([]float32, len(b.post))
	for _, p := range b.post {
		i := next[p.term]
		next[p.term]++
		ix.docs[i] = p.doc
		ix.tfs[i] = float32(p.tf)
	}
	*b = Builder{}
	ix.computeStats()
	return ix
}
