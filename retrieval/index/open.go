package index

import "fmt"

// Index is what a search needs of an index, exact ([Flat]) or approximate
// ([IVF]): both implement it.
type Index interface {
	// Dim returns the vectors' dimension.
	Dim() int
	// Len returns the number of documents.
	Len() int
	// ID returns the id of document i, 0 <= i < Len().
	ID(i int) string
	// Vector returns document i's vector (see each type's method).
	Vector(i int) []float32
	// Meta returns a copy of the index's metadata (nil if it has none).
	Meta() map[string]string
	// Search returns the k best documents for each of nq queries, best
	// first in the package's order.
	Search(queries []float32, nq, k int) [][]Hit
	// SearchOne is Search for one query.
	SearchOne(q []float32, k int) []Hit
	// Close releases the index's storage.
	Close() error
}

var (
	_ Index = (*Flat)(nil)
	_ Index = (*IVF)(nil)
)

// Open loads the index file at path, whichever kind its first bytes say
// it is: an IVF index ([LoadIVF]) or an exact one ([Load]).
func Open(path string, opts LoadOptions) (Index, error) {
	ivf, err := IsIVF(path)
	if err != nil {
		return nil, fmt.Errorf("index: load: %w", err)
	}
	// A nil *Flat or *IVF must not become a non-nil Index.
	if ivf {
		x, err := LoadIVF(path, opts)
		if err != nil {
			return nil, err
		}
		return x, nil
	}
	f, err := Load(path, opts)
	if err != nil {
		return nil, err
	}
	return f, nil
}
