// Package bm25 implements BM25 retrieval that reproduces Anserini's BM25
// baseline (Lucene's BM25Similarity over Anserini's DefaultEnglishAnalyzer),
// the "flat" BM25 row of the BEIR tables.
//
// The analysis (Analyzer) is Lucene's StandardTokenizer (Unicode word
// boundaries, UAX #29), the English possessive filter, lower-casing,
// Lucene's English stop words and the Porter stemmer. Scores follow
// Lucene 8 and later:
//
//	score(q, d) = Σ_{distinct t in q} n_t · idf(t) · tf / (tf + k1 (1 − b + b dl/avgdl))
//	idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))
//
// where n_t is the count of t in the analysed query, N the number of
// non-empty documents, df the number of documents with t, tf the count of t
// in d, avgdl the mean document length and dl the document length as
// Lucene stores it, in one lossy byte (Params.ExactLengths turns this off).
// The arithmetic is float32 where Lucene's is float, so scores and rankings
// match Lucene's.
//
// Build an index with New, Builder.Add and Builder.Build, then query it
// with Index.Search or Index.SearchBatch:
//
//	b := bm25.New(bm25.DefaultParams())
//	for _, d := range docs {
//		b.Add(d.ID, d.Title+" "+d.Text)
//	}
//	ix := b.Build()
//	for _, h := range ix.Search("what causes cancer", 10) {
//		fmt.Println(ix.ID(h.Doc), h.Score)
//	}
package bm25
