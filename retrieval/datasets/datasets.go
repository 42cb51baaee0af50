// Package datasets embeds the two real collections that rrra's demo, tests
// and benchmarks run on, in BEIR layout, so that they need no download and no
// files outside the binary:
//
//   - "cranfield": Cranfield 1400 (1,400 aerodynamics abstracts, 225 queries,
//     graded qrels 1–4, a deterministic 135/90 train/test split);
//   - "scifact": BEIR's SciFact (5,183 abstracts, 809 train and 300 test
//     claims, binary qrels; licence CC BY-NC 2.0, Wadden et al. 2020 and
//     Thakur et al. 2021).
//
// Each collection is a directory holding corpus.jsonl.gz (the BEIR
// corpus.jsonl, gzip-compressed to keep the binary small), queries.jsonl,
// qrels/<split>.tsv and a README.md that states its source, licence,
// conversion and checksums. The BEIR loader in package retrieval/beir reads
// either corpus.jsonl or corpus.jsonl.gz, so an embedded collection and a
// downloaded BEIR folder load the same way.
package datasets

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed cranfield scifact
var files embed.FS

// Names returns the names of the embedded collections in sorted order.
func Names() []string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// Open returns the embedded collection called name as a read-only file
// system rooted at its BEIR folder.
func Open(name string) (fs.FS, error) {
	for _, n := range Names() {
		if n == name {
			return fs.Sub(files, name)
		}
	}
	return nil, fmt.Errorf("datasets: no embedded collection %q (have %v)", name, Names())
}
