package index

import (
	"errors"
	"fmt"
)

// Flat is an exact inner-product index: n documents of dimension d, each a
// row of a float32 matrix, with a unique string id.
//
// Searches may run concurrently with each other, but not with Add or Close.
// An index returned by [Load] is read-only: its matrix may be a read-only
// memory mapping of the file, released by Close.
type Flat struct {
	d    int
	vecs []float32 // n×d, row-major
	ids  []string
	// pos maps id to row; built on the first Add, so that a loaded or
	// read index pays for it only when it grows.
	pos map[string]int
	// meta records what made the index (see SetMeta).
	meta map[string]string

	readOnly bool
	unmap    func() error // releases a memory mapping; nil if none
}

// ErrReadOnly is returned by Add on an index opened with [Load].
var ErrReadOnly = errors.New("index: read-only index")

// New returns an empty index of dimension d. It panics if d < 1.
func New(d int) *Flat {
	if d < 1 {
		panic(fmt.Sprintf("index: New: dimension %d < 1", d))
	}
	return &Flat{d: d}
}

// SetMeta replaces the index's metadata: string pairs saved with it (file
// format version 2) that record what made it, such as the model and the
// corpus text it was built from, so that a reader can refuse an index
// that does not belong to its model. The map is copied; nil or empty
// removes the metadata (and the file is then written as version 1).
func (f *Flat) SetMeta(m map[string]string) {
	f.meta = nil
	for k, v := range m {
		if f.meta == nil {
			f.meta = make(map[string]string, len(m))
		}
		f.meta[k] = v
	}
}

// Meta returns a copy of the index's metadata (nil if it has none).
func (f *Flat) Meta() map[string]string {
	var m map[string]string
	for k, v := range f.meta {
		if m == nil {
			m = make(map[string]string, len(f.meta))
		}
		m[k] = v
	}
	return m
}

// Dim returns the dimension d of the vectors.
func (f *Flat) Dim() int { return f.d }

// Len returns the number of documents.
func (f *Flat) Len() int { return len(f.ids) }

// ID returns the id of document i, 0 <= i < Len().
func (f *Flat) ID(i int) string { return f.ids[i] }

// Vector returns the vector of document i, 0 <= i < Len(). It aliases the
// index's storage and must not be modified (for a memory-mapped index,
// writing to it faults); it is valid until Close.
func (f *Flat) Vector(i int) []float32 {
	lo, hi := i*f.d, (i+1)*f.d
	return f.vecs[lo:hi:hi]
}

// Vectors returns a copy of every vector, row i for document i: the
// matrix a .npy of the index holds.
func (f *Flat) Vectors() []float32 {
	out := make([]float32, 0, f.Len()*f.d)
	for i := 0; i < f.Len(); i++ {
		out = append(out, f.Vector(i)...)
	}
	return out
}

// Add appends documents: ids[i] has the vector vecs[i*d:(i+1)*d]. It
// returns an error, and adds nothing, if len(vecs) != len(ids)·d, if an id
// is already in the index or repeated in ids, or if the index is read-only.
// The vectors are copied.
func (f *Flat) Add(ids []string, vecs []float32) error {
	if f.readOnly {
		return ErrReadOnly
	}
	if len(vecs) != len(ids)*f.d {
		return fmt.Errorf("index: Add: %d values for %d ids of dimension %d (want %d)",
			len(vecs), len(ids), f.d, len(ids)*f.d)
	}
	if f.pos == nil {
		f.pos = make(map[string]int, len(f.ids)+len(ids))
		for i, id := range f.ids {
			f.pos[id] = i
		}
	}
	for i, id := range ids {
		if j, ok := f.pos[id]; ok {
			f.rollback(ids[:i])
			if j >= len(f.ids) {
				return fmt.Errorf("index: Add: id %q repeated (positions %d and %d)", id, j-len(f.ids), i)
			}
			return fmt.Errorf("index: Add: id %q is already document %d", id, j)
		}
		f.pos[id] = len(f.ids) + i
	}
	f.ids = append(f.ids, ids...)
	f.vecs = append(f.vecs, vecs...)
	return nil
}

// rollback removes ids from pos after a failed Add.
func (f *Flat) rollback(ids []string) {
	for _, id := range ids {
		delete(f.pos, id)
	}
}

// Close releases the index's storage, unmapping the file of a loaded
// index. The index, and any slice returned by Vector, must not be used
// afterwards. Close is idempotent.
func (f *Flat) Close() error {
	var err error
	if f.unmap != nil {
		err = f.unmap()
		f.unmap = nil
	}
	f.vecs, f.ids, f.pos = nil, nil, nil
	f.readOnly = true
	return err
}
