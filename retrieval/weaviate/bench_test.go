package weaviate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rrra/rrra/internal/weaviatetest"
	"github.com/rrra/rrra/retrieval/weaviate"
)

// BenchmarkWeaviate measures what docs/scale-out.md's arithmetic needs
// of a real Weaviate server, for n random unit-free vectors of dimension
// 384 (MiniLM's and bge-small's width) in a flat and an HNSW class: the
// import rate through rrra's Export (batches of 256), the server's
// resident memory and disk per document (resident set and data folder
// after the import, less before, over n), and one query's time (nearVector
// top 100 with the candidates' vectors, what search --engine asks for
// reranking: ms/query; and with ids and scores only: ms/query-ids, the
// mean of 100), with HNSW's recall@100 against the exact top 100. Run it
// with
//
//	go test ./retrieval/weaviate -run '^$' -bench Weaviate -benchtime 200x
//
// (RRRA_WEAVIATE_BENCH_N sets n; default 20,000.) The server runs on the
// same cores as the benchmark: on a 2-core machine the two share them.
func BenchmarkWeaviate(b *testing.B) {
	n := 20000
	if s := os.Getenv("RRRA_WEAVIATE_BENCH_N"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1000 {
			b.Fatalf("RRRA_WEAVIATE_BENCH_N=%s: want an integer ≥ 1000", s)
		}
	}
	const d, k = 384, 100
	ids, texts, vecs := collection(n, d, 5)
	for _, kind := range []string{"flat", "hnsw"} {
		b.Run(fmt.Sprintf("%s/n%d/d%d", kind, n, d), func(b *testing.B) {
			node := weaviatetest.Start(b)
			ctx := context.Background()
			c := weaviate.NewClient(weaviate.Target{Host: node.Host, Port: node.Port, Class: "Bench"}, nil)
			rss0, disk0 := rss(b, node.PID()), du(node.DataDir)
			began := time.Now()
			if _, err := weaviate.Export(ctx, c, ids, texts, vecs, d, nil, weaviate.ExportOptions{Class: weaviate.ClassConfig{Index: kind}}); err != nil {
				b.Fatal(err)
			}
			importRate := float64(n) / time.Since(began).Seconds()
			time.Sleep(2 * time.Second) // let the server settle its writes
			rss1, disk1 := rss(b, node.PID()), du(node.DataDir)
			queries := make([][]float32, 50)
			for q := range queries {
				queries[q] = vecs[(q*97%n)*d : (q*97%n+1)*d]
			}
			found := 0
			for _, q := range queries {
				res, err := c.NearVector(ctx, q, k, false)
				if err != nil {
					b.Fatal(err)
				}
				top, _ := exact(vecs, d, q, k)
				in := make(map[string]bool)
				for _, r := range res {
					in[r.DocID] = true
				}
				for _, o := range top {
					if in[ids[o]] {
						found++
					}
				}
			}
			// Without the vectors: the engine's own search, less the
			// JSON of 100 vectors.
			t0 := time.Now()
			for i := range 100 {
				if _, err := c.NearVector(ctx, queries[i%len(queries)], k, false); err != nil {
					b.Fatal(err)
				}
			}
			plain := time.Since(t0).Seconds() * 1000 / 100
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				res, err := c.NearVector(ctx, queries[i%len(queries)], k, true)
				if err != nil || len(res) != k {
					b.Fatal(len(res), err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/query")
			b.ReportMetric(plain, "ms/query-ids")
			b.ReportMetric(importRate, "docs/s-import")
			b.ReportMetric(float64(rss1-rss0)/float64(n), "B/doc-rss")
			b.ReportMetric(float64(disk1-disk0)/float64(n), "B/doc-disk")
			b.ReportMetric(float64(found)/float64(len(queries)*k), "recall@100")
		})
	}
}

// rss returns the resident set of process pid in bytes.
func rss(b *testing.B, pid int) int64 {
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(s), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// du returns the bytes of the regular files under dir.
func du(dir string) int64 {
	var total int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			total += fi.Size()
		}
		return nil
	})
	return total
}
