package index

import "cmp"

// A Hit is one search result: the document's index in the [Flat] (see
// [Flat.ID]) and its inner product with the query.
type Hit struct {
	Doc   int
	Score float32
}

// before reports whether a ranks strictly before b: higher score first,
// then lower document index; NaN scores rank after every number.
func before(a, b Hit) bool {
	if a.Score > b.Score {
		return true
	}
	if a.Score < b.Score {
		return false
	}
	// Equal, or at least one is NaN.
	if an, bn := a.Score != a.Score, b.Score != b.Score; an != bn {
		return bn
	}
	return a.Doc < b.Doc
}

// CompareHits orders hits in the package's order (higher score first,
// then lower document index; NaN scores after every number), for
// slices.SortFunc: the order of every search's results, and the order in
// which results merged from several searches must be sorted to be
// theirs.
func CompareHits(a, b Hit) int {
	if before(a, b) {
		return -1
	}
	if before(b, a) {
		return 1
	}
	return cmp.Compare(a.Doc, b.Doc) // the same hit
}
