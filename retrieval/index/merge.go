package index

import (
	"fmt"
	"maps"
	"math"
)

// MergeFlat returns a new exact index holding the documents of parts in
// order: part 0's, then part 1's, and so on, with metadata meta. Merging
// the indexes of contiguous slices of a collection so gives the index of
// the whole collection: the same documents, vectors and ids, and so the
// same file when meta is the whole index's. It returns an error if the
// parts' dimensions differ, if an id is in more than one part, or if
// there are no parts. The parts are only read.
func MergeFlat(parts []*Flat, meta map[string]string) (*Flat, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("index: merge: no indexes")
	}
	d, n := parts[0].d, 0
	for i, p := range parts {
		if p.d != d {
			return nil, fmt.Errorf("index: merge: part %d has dimension %d, part 0 has %d", i, p.d, d)
		}
		n += p.Len()
	}
	out := &Flat{d: d, ids: make([]string, 0, n), vecs: make([]float32, 0, n*d), pos: make(map[string]int, n)}
	for i, p := range parts {
		for _, id := range p.ids {
			if j, dup := out.pos[id]; dup {
				return nil, fmt.Errorf("index: merge: id %q is in part %d and, as document %d, in an earlier one", id, i, j)
			}
			out.pos[id] = len(out.ids)
			out.ids = append(out.ids, id)
		}
		out.vecs = append(out.vecs, p.vecs...)
	}
	out.SetMeta(meta)
	return out, nil
}

// TrainingRows returns the rows, increasing, that [TrainQuantizer] trains
// on when given n vectors with cfg (cfg's NList set): a seeded sample of
// at most cfg.Sample. Training on just those vectors, in that order
// (TrainQuantizer(sample, len(rows), d, cfg)), gives the same quantizer
// as training on all n: a sharded build can so encode only the sample to
// train its one quantizer. It returns an error for cfg outside its domain
// or n below cfg.NList.
func TrainingRows(n int, cfg IVFConfig) ([]int, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if n < cfg.NList {
		return nil, fmt.Errorf("index: ivf: train: %d vectors for nlist %d: need at least one per list", n, cfg.NList)
	}
	return sampleRows(n, cfg.sample(), cfg.Seed), nil
}

// Equal reports whether q and o are the same quantizer, bit for bit: the
// same centroids, SQ8 ranges and training configuration. IVF indexes
// merge only when built with equal quantizers.
func (q *Quantizer) Equal(o *Quantizer) bool { return q.equal(o) }

// BuildIVFWith returns the IVF index of f's documents, in f's order, with
// quantizer q and f's metadata: what [BuildIVF] does after training. It
// returns an error if q's dimension is not f's.
func BuildIVFWith(q *Quantizer, f *Flat, keepVectors bool) (*IVF, error) {
	if q.d != f.d {
		return nil, fmt.Errorf("index: ivf: quantizer of dimension %d for vectors of dimension %d", q.d, f.d)
	}
	x := NewIVF(q, keepVectors)
	if err := x.Add(f.ids, f.vecs); err != nil {
		return nil, err
	}
	x.meta = maps.Clone(f.meta)
	return x, nil
}

// MergeIVF returns a new IVF index holding the documents of parts in
// order, with metadata meta. The parts must have equal quantizers
// ([Quantizer.Equal]) and all keep float32 vectors or all not; each list
// of the result is the parts' lists concatenated, so merging the indexes
// of contiguous slices of a collection, each built with one quantizer,
// gives the index that quantizer builds from the whole collection, and
// the same file when meta is that index's. It returns an error if the
// quantizers or the kept vectors differ, if an id is in more than one
// part, or if there are no parts. The parts are only read.
func MergeIVF(parts []*IVF, meta map[string]string) (*IVF, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("index: merge: no indexes")
	}
	q, keep, n := parts[0].q, parts[0].keep, 0
	for i, p := range parts {
		if !p.q.equal(q) {
			return nil, fmt.Errorf("index: merge: part %d was built with another quantizer than part 0 (train one with rrra index train and add every shard with it)", i)
		}
		if p.keep != keep {
			return nil, fmt.Errorf("index: merge: parts 0 and %d differ in keeping float32 vectors (rrra index --keep-vectors)", i)
		}
		n += p.Len()
	}
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("index: merge: %d documents, more than %d", n, math.MaxInt32)
	}
	d := q.d
	out := NewIVF(q, keep)
	out.ids = make([]string, 0, n)
	out.pos = make(map[string]int, n)
	for l := range out.lists {
		c := 0
		for _, p := range parts {
			c += len(p.lists[l].docs)
		}
		list := &out.lists[l]
		list.docs = make([]int32, 0, c)
		if keep {
			list.vecs = make([]float32, 0, c*d)
		}
		if q.sq8 {
			list.codes = make([]uint8, 0, c*d)
		}
	}
	for i, p := range parts {
		base := len(out.ids)
		for _, id := range p.ids {
			if j, dup := out.pos[id]; dup {
				return nil, fmt.Errorf("index: merge: id %q is in part %d and, as document %d, in an earlier one", id, i, j)
			}
			out.pos[id] = len(out.ids)
			out.ids = append(out.ids, id)
		}
		for l := range p.lists {
			src, dst := &p.lists[l], &out.lists[l]
			for _, doc := range src.docs {
				dst.docs = append(dst.docs, int32(base)+doc)
			}
			dst.vecs = append(dst.vecs, src.vecs...)
			dst.codes = append(dst.codes, src.codes...)
		}
	}
	out.locate(0)
	out.SetMeta(meta)
	return out, nil
}
