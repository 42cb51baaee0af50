package bm25

import (
	"slices"
	"testing"
)

// BenchmarkBM25Search measures SciFact test queries (k = 1000), one at a
// time (serial) and all 300 at once with SearchBatch (batch).
func BenchmarkBM25Search(b *testing.B) {
	c := loadCollection(b, "scifact", "test")
	ix := c.index(DefaultParams())
	var queries []string
	for q := range c.qrels {
		queries = append(queries, c.queries[q])
	}
	slices.Sort(queries)
	b.Run("serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			ix.Search(queries[i%len(queries)], 1000)
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	})
	b.Run("batch", func(b *testing.B) {
		for b.Loop() {
			ix.SearchBatch(queries, 1000)
		}
		b.ReportMetric(float64(b.N*len(queries))/b.Elapsed().Seconds(), "queries/s")
	})
}

// BenchmarkBM25Build measures analysing and indexing the SciFact corpus.
func BenchmarkBM25Build(b *testing.B) {
	c := loadCollection(b, "scifact", "test")
	for b.Loop() {
		c.index(DefaultParams())
	}
	b.ReportMetric(float64(b.N*len(c.docIDs))/b.Elapsed().Seconds(), "docs/s")
}
