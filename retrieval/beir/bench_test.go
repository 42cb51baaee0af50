package beir

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"testing"

	"github.com/rrra/rrra/retrieval/datasets"
)

// benchCorpus builds a BEIR corpus of at least size bytes by repeating
// SciFact's abstracts with fresh ids.
func benchCorpus(b *testing.B, size int) []byte {
	fsys, err := datasets.Open("scifact")
	if err != nil {
		b.Fatal(err)
	}
	f, err := fsys.Open("corpus.jsonl.gz")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	c, _, err := ReadCorpus(zr, "scifact", Options{Parser: ParserStdlib})
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	for rep := 0; out.Len() < size; rep++ {
		for _, d := range c.Docs {
			fmt.Fprintf(&out, "{\"_id\": \"%s-%d\", \"title\": %q, \"text\": %q}\n", d.ID, rep, d.Title, d.Text)
		}
	}
	return out.Bytes()
}

// BenchmarkLoadCorpus reads a 50 MB BEIR corpus from memory with each JSON
// path and reports MB/s of JSONL.
func BenchmarkLoadCorpus(b *testing.B) {
	data := benchCorpus(b, 50<<20)
	for _, p := range []Parser{ParserSIMD, ParserStdlib} {
		b.Run(p.String(), func(b *testing.B) {
			if p == ParserSIMD && !SIMDSupported() {
				b.Skip("simdjson-go is not supported on this CPU")
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				c, _, err := ReadCorpus(io.NopCloser(bytes.NewReader(data)), "bench", Options{Parser: p})
				if err != nil {
					b.Fatal(err)
				}
				if c.Len() == 0 {
					b.Fatal("no documents")
				}
			}
		})
	}
}
