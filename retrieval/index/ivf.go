package index

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/rrra/rrra/kernels"
)

// IVFConfig says how to train an IVF index's coarse quantizer.
type IVFConfig struct {
	// NList is the number of inverted lists (k-means centroids), at least
	// 1 and at most the number of training vectors. A common choice is
	// about 4·√n for n documents.
	NList int
	// Iterations is the number of k-means rounds, 1 to 1000; 0 means
	// DefaultIterations.
	Iterations int
	// Sample is the most training vectors, drawn without replacement
	// from those given; 0 means 256·NList (FAISS's default cap). It must
	// be at least NList when set.
	Sample int
	// Seed fixes the sample and the initial centroids.
	Seed uint64
	// SQ8 stores the vectors as one byte per dimension (scalar
	// quantization with a per-dimension offset and step trained on the
	// sample), a quarter of float32's memory.
	SQ8 bool
}

// DefaultIterations is the k-means rounds of an IVFConfig that leaves
// Iterations at 0.
const DefaultIterations = 20

// maxIterations bounds IVFConfig.Iterations.
const maxIterations = 1000

// maxPointsPerCentroid is the default sample per list (IVFConfig.Sample).
const maxPointsPerCentroid = 256

// Validate checks the configuration's domains before any work.
func (c IVFConfig) Validate() error {
	if c.NList < 1 {
		return fmt.Errorf("index: ivf: nlist %d: must be at least 1", c.NList)
	}
	if c.NList > math.MaxInt32 {
		return fmt.Errorf("index: ivf: nlist %d: must be at most %d", c.NList, math.MaxInt32)
	}
	if c.Iterations < 0 || c.Iterations > maxIterations {
		return fmt.Errorf("index: ivf: iterations %d: must be in [1, %d] (0 for the default, %d)", c.Iterations, maxIterations, DefaultIterations)
	}
	if c.Sample != 0 && c.Sample < c.NList {
		return fmt.Errorf("index: ivf: sample %d: must be at least nlist (%d), or 0 for 256·nlist", c.Sample, c.NList)
	}
	return nil
}

func (c IVFConfig) iterations() int {
	if c.Iterations == 0 {
		return DefaultIterations
	}
	return c.Iterations
}

func (c IVFConfig) sample() int {
	if c.Sample == 0 {
		return maxPointsPerCentroid * c.NList
	}
	return c.Sample
}

// A Quantizer is what an IVF index is trained into: the centroids of its
// lists and, for SQ8, the per-dimension ranges of its codes. Shards built
// with one Quantizer ([NewIVF]) can be merged ([MergeIVF]).
type Quantizer struct {
	d, nlist  int
	centroids []float32 // nlist×d, unit norm
	sq8       bool
	lo, step  []float32 // SQ8: x[t] ≈ lo[t] + step[t]·code
	cfg       IVFConfig // as trained, defaults filled in
	trainedOn int       // training vectors used
}

// TrainQuantizer trains a quantizer on the n vectors of dimension d in
// vecs (row-major): spherical k-means on a seeded sample of at most
// cfg.Sample of them (see [IVFConfig]), and for SQ8 the smallest and
// largest value of each dimension over the same sample. The result
// depends only on the vectors and cfg, not on the thread count. It
// returns an error, before any work, for a configuration outside its
// domain, for fewer vectors than lists, or for a vector holding NaN or
// infinity.
func TrainQuantizer(vecs []float32, n, d int, cfg IVFConfig) (*Quantizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d < 1 || n < 0 || len(vecs) != n*d {
		return nil, fmt.Errorf("index: ivf: train: %d values for %d vectors of dimension %d", len(vecs), n, d)
	}
	if n < cfg.NList {
		return nil, fmt.Errorf("index: ivf: train: %d vectors for nlist %d: need at least one per list", n, cfg.NList)
	}
	x := rowSet{x: vecs, d: d, rows: sampleRows(n, cfg.sample(), cfg.Seed)}
	if len(x.rows) == n {
		x.rows = nil // every row, in order
	}
	for i := range x.len() {
		if t := firstNonFinite(x.row(i)); t >= 0 {
			r := i
			if x.rows != nil {
				r = x.rows[i]
			}
			return nil, fmt.Errorf("index: ivf: train: vector %d, dimension %d is %v", r, t, x.row(i)[t])
		}
	}
	full := cfg
	full.Iterations, full.Sample = cfg.iterations(), cfg.sample()
	q := &Quantizer{d: d, nlist: cfg.NList, sq8: cfg.SQ8, cfg: full, trainedOn: x.len()}
	q.centroids = sphericalKMeans(x, cfg.NList, full.Iterations, cfg.Seed)
	if cfg.SQ8 {
		q.lo, q.step = sq8Ranges(x)
	}
	return q, nil
}

// sq8Ranges returns each dimension's smallest value over x and its step,
// the range over 255.
func sq8Ranges(x rowSet) (lo, step []float32) {
	d := x.d
	lo, step = make([]float32, d), make([]float32, d)
	hi := make([]float32, d)
	copy(lo, x.row(0))
	copy(hi, x.row(0))
	for i := 1; i < x.len(); i++ {
		for t, v := range x.row(i) {
			lo[t] = min(lo[t], v)
			hi[t] = max(hi[t], v)
		}
	}
	for t := range step {
		step[t] = (hi[t] - lo[t]) / 255
	}
	return lo, step
}

// Dim returns the vectors' dimension.
func (q *Quantizer) Dim() int { return q.d }

// NList returns the number of lists.
func (q *Quantizer) NList() int { return q.nlist }

// Config returns the configuration the quantizer was trained with, its
// defaults filled in.
func (q *Quantizer) Config() IVFConfig { return q.cfg }

// TrainedOn returns the number of vectors k-means ran on.
func (q *Quantizer) TrainedOn() int { return q.trainedOn }

// Centroids returns a copy of the list centroids, nlist rows of d.
func (q *Quantizer) Centroids() []float32 { return slices.Clone(q.centroids) }

// equal reports whether two quantizers are the same, bit for bit.
func (q *Quantizer) equal(o *Quantizer) bool {
	return q.d == o.d && q.nlist == o.nlist && q.sq8 == o.sq8 && q.cfg == o.cfg &&
		q.trainedOn == o.trainedOn && bitsEqual(q.centroids, o.centroids) &&
		bitsEqual(q.lo, o.lo) && bitsEqual(q.step, o.step)
}

func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// encode writes the SQ8 codes of x into c: round((x−lo)/step), clamped
// to [0, 255] (0 where a dimension's range is empty).
func (q *Quantizer) encode(c []uint8, x []float32) {
	for t, v := range x {
		if q.step[t] == 0 {
			c[t] = 0
			continue
		}
		r := math.RoundToEven(float64((v - q.lo[t]) / q.step[t]))
		c[t] = uint8(max(0, min(255, r)))
	}
}

// IVF is an approximate inner-product index: an inverted file. Its
// documents are grouped into the lists of a [Quantizer], each document in
// the list whose centroid is most similar to it, and a query scores only
// the documents of the nprobe lists whose centroids are most similar to
// the query. The vectors are stored as float32 (IVF-Flat) or as one byte
// per dimension (IVF-SQ8, optionally keeping the float32 vectors to
// re-score the best candidates exactly).
//
// Document indices ([Hit.Doc], [IVF.ID]) follow the order documents were
// added in, as in a [Flat]; results are in the package's order and are
// the same for every thread count. Searches may run concurrently with
// each other, but not with Add or Close.
type IVF struct {
	q        *Quantizer
	keep     bool // SQ8: float32 vectors kept for re-scoring
	lists    []ivfList
	ids      []string
	where    []uint64 // document i is entry where[i]&(1<<32-1) of list where[i]>>32
	pos      map[string]int
	meta     map[string]string
	opt      SearchOptions
	readOnly bool
	closer   func() error
}

// ivfList is one inverted list: its documents' indices, increasing, and
// their vectors in that order.
type ivfList struct {
	docs  []int32
	vecs  []float32 // len(docs)×d: IVF-Flat, or SQ8 with vectors kept
	codes []uint8   // len(docs)×d: SQ8
}

// NewIVF returns an empty IVF index with quantizer q. keepVectors keeps
// the float32 vectors of an SQ8 index beside its codes, for exact
// re-scoring (SearchOptions.Rescore); an IVF-Flat index always has them.
func NewIVF(q *Quantizer, keepVectors bool) *IVF {
	return &IVF{q: q, keep: keepVectors || !q.sq8, lists: make([]ivfList, q.nlist), pos: map[string]int{}}
}

// BuildIVF trains a quantizer on f's vectors with cfg and returns the IVF
// index of all of f's documents, in f's order, with f's metadata.
func BuildIVF(f *Flat, cfg IVFConfig, keepVectors bool) (*IVF, error) {
	q, err := TrainQuantizer(f.vecs, f.Len(), f.d, cfg)
	if err != nil {
		return nil, err
	}
	return BuildIVFWith(q, f, keepVectors)
}

// Quantizer returns the index's quantizer (shared, not copied).
func (x *IVF) Quantizer() *Quantizer { return x.q }

// Dim returns the vectors' dimension.
func (x *IVF) Dim() int { return x.q.d }

// Len returns the number of documents.
func (x *IVF) Len() int { return len(x.ids) }

// ID returns the id of document i, 0 <= i < Len().
func (x *IVF) ID(i int) string { return x.ids[i] }

// SQ8 reports whether the vectors are stored as bytes.
func (x *IVF) SQ8() bool { return x.q.sq8 }

// KeepsVectors reports whether the float32 vectors are stored (always for
// IVF-Flat; for SQ8 when built to re-score).
func (x *IVF) KeepsVectors() bool { return x.keep }

// ListSizes returns the number of documents in each list.
func (x *IVF) ListSizes() []int {
	s := make([]int, len(x.lists))
	for i, l := range x.lists {
		s[i] = len(l.docs)
	}
	return s
}

// VectorBytes returns the memory the stored vectors take: codes and
// ranges for SQ8, float32 vectors where kept, and the lists' document
// indices; not the ids or centroids.
func (x *IVF) VectorBytes() int64 {
	n, d := int64(x.Len()), int64(x.q.d)
	b := 4 * n // document indices
	if x.q.sq8 {
		b += n*d + 8*d
	}
	if x.keep {
		b += 4 * n * d
	}
	return b
}

// SetMeta replaces the index's metadata, as [Flat.SetMeta] does.
func (x *IVF) SetMeta(m map[string]string) {
	if len(m) == 0 {
		x.meta = nil
		return
	}
	x.meta = maps.Clone(m)
}

// Meta returns a copy of the index's metadata (nil if it has none).
func (x *IVF) Meta() map[string]string {
	if x.meta == nil {
		return nil
	}
	return maps.Clone(x.meta)
}

// Add appends documents: ids[i] has the vector vecs[i*d:(i+1)*d], and goes
// to the list whose centroid has the highest inner product with it (ties:
// the lower list). It returns an error, and adds nothing, if
// len(vecs) != len(ids)·d, if an id is already in the index or repeated,
// if a vector holds NaN or infinity, or if the index is read-only.
func (x *IVF) Add(ids []string, vecs []float32) error {
	d := x.q.d
	if x.readOnly {
		return ErrReadOnly
	}
	if len(vecs) != len(ids)*d {
		return fmt.Errorf("index: ivf: add: %d values for %d ids of dimension %d", len(vecs), len(ids), d)
	}
	if len(x.ids)+len(ids) > math.MaxInt32 {
		return fmt.Errorf("index: ivf: add: %d documents would exceed %d", len(x.ids)+len(ids), math.MaxInt32)
	}
	if err := checkFinite(vecs, d, ids, "index: ivf: add"); err != nil {
		return err
	}
	// The ids go into pos first, and come out again on a duplicate: a
	// second map of a million ids just to check them would cost as much
	// memory as pos itself.
	base := len(x.ids)
	for i, id := range ids {
		if _, dup := x.pos[id]; dup {
			for _, undo := range ids[:i] {
				delete(x.pos, undo)
			}
			return fmt.Errorf("index: ivf: add: duplicate id %q", id)
		}
		x.pos[id] = base + i
	}
	n := len(ids)
	assign := make([]int32, n)
	assignRows(rowSet{x: vecs, d: d}, x.q.centroids, x.q.nlist, assign, make([]float32, min(n, kmeansChunk)*x.q.nlist), nil)
	// Grow each list once, to its final length: appending vector by
	// vector would leave up to half of every list's capacity unused.
	counts := make([]int, x.q.nlist)
	for _, l := range assign {
		counts[l]++
	}
	for l, c := range counts {
		if c == 0 {
			continue
		}
		list := &x.lists[l]
		list.docs = grow(list.docs, c)
		if x.keep {
			list.vecs = grow(list.vecs, c*d)
		}
		if x.q.sq8 {
			list.codes = grow(list.codes, c*d)
		}
	}
	for i, l := range assign {
		list := &x.lists[l]
		list.docs = append(list.docs, int32(base+i))
		v := vecs[i*d : (i+1)*d]
		if x.keep {
			list.vecs = append(list.vecs, v...)
		}
		if x.q.sq8 {
			at := len(list.codes)
			list.codes = slices.Grow(list.codes, d)[:at+d]
			x.q.encode(list.codes[at:], v)
		}
	}
	x.ids = append(x.ids, ids...)
	x.locate(base)
	return nil
}

// grow returns s with room for n more elements, as slices.Grow does but
// without clearing the new room: slices.Grow zeroes it (touching every
// page of a fresh allocation once before the appends touch it again),
// which was nearly half of an Add's time (BenchmarkIVFAdd).
func grow[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	t := make([]T, len(s), len(s)+n)
	copy(t, s)
	return t
}

// Close releases the index's storage (the file mapping of a loaded index).
// The index must not be used afterwards.
func (x *IVF) Close() error {
	var err error
	if x.closer != nil {
		err = x.closer()
		x.closer = nil
	}
	x.lists, x.ids, x.pos, x.where = nil, nil, nil, nil
	return err
}

// SearchOptions tunes an IVF index's searches.
type SearchOptions struct {
	// NProbe is the number of lists scored per query, at least 1 (more
	// than NList is clamped to NList); 0 means the index's NProbe: the
	// calibrated one (Calibrate), else DefaultNProbe(NList).
	NProbe int
	// Rescore, for an SQ8 index that keeps its vectors, takes the best
	// max(k, Rescore) documents by their quantized score and orders them
	// by their exact float32 inner product instead. 0: no re-scoring.
	Rescore int
}

// DefaultNProbe is the lists a search probes when SearchOptions.NProbe is
// 0 and the index has no calibrated nprobe (Calibrate): an eighth of
// them, rounded up.
func DefaultNProbe(nlist int) int { return max(1, (nlist+7)/8) }

// DefaultNList is a number of lists for n documents: 4·√n, rounded, at
// least 1 and at most n (FAISS's guidelines suggest 4·√n to 16·√n).
func DefaultNList(n int) int {
	return max(1, min(n, int(math.Round(4*math.Sqrt(float64(n))))))
}

// ErrNoVectors is returned when re-scoring is asked of an SQ8 index that
// does not keep its float32 vectors.
var ErrNoVectors = errors.New("the index does not keep float32 vectors")

// SetSearchOptions sets the options of later searches, after checking
// their domains: NProbe and Rescore must not be negative, and re-scoring
// needs the float32 vectors.
func (x *IVF) SetSearchOptions(opt SearchOptions) error {
	switch {
	case opt.NProbe < 0:
		return fmt.Errorf("index: ivf: nprobe %d: must be at least 1 (0 for the index's calibrated nprobe, or an eighth of the lists)", opt.NProbe)
	case opt.Rescore < 0:
		return fmt.Errorf("index: ivf: rescore %d: must be at least 0", opt.Rescore)
	case opt.Rescore > 0 && !x.keep:
		return fmt.Errorf("index: ivf: rescore %d: %w (build it with its vectors kept)", opt.Rescore, ErrNoVectors)
	}
	x.opt = opt
	return nil
}

// SearchOptions returns the options searches use.
func (x *IVF) SearchOptions() SearchOptions { return x.opt }

// Search returns, for each of the nq queries in queries (row-major, nq·Dim()
// values), the k documents with the highest inner product among the
// documents of its NProbe most similar lists (see SetSearchOptions), best
// first in the package's order. A query gets min(k, documents in its
// lists) hits.
//
// The lists of a query are chosen by their centroids' inner products with
// it (ties: the lower list), computed as [Flat.Search] computes scores:
// one or two queries by the row-dot kernel, three or more by SGEMM (whose
// last bits may differ). One or two queries score each list with the
// row-dot kernel, the (query, list) pairs split across threads; three or
// more are grouped by list, so that each list is read once for all the
// queries that probe it, and scored by SGEMM, as Flat does from three
// queries on (but by the row-dot kernel, query by query, where fewer than
// eight of the block's queries probe a list, so the last bits of a score
// can depend on which other queries share the call). Either way the
// result is the same for every thread count, and probing every list gives
// Flat's hits and scores. An SQ8 index scores
// Σ q·(lo + step·code) in float32, then re-scores as Rescore says, with
// Flat's kernel for the same number of queries, so that probing every
// list and re-scoring every document gives Flat's hits and scores too. A
// query holding NaN ranks its hits as Flat does.
//
// Search panics, as Flat's does, if nq or k is negative or queries holds
// fewer than nq·Dim() values.
func (x *IVF) Search(queries []float32, nq, k int) [][]Hit {
	d, opt := x.q.d, x.opt
	if nq < 0 || k < 0 {
		panic(fmt.Sprintf("index: IVF.Search: negative nq=%d or k=%d", nq, k))
	}
	if len(queries) < nq*d {
		panic(fmt.Sprintf("index: IVF.Search: %d values for %d queries of dimension %d", len(queries), nq, d))
	}
	nprobe := opt.NProbe
	if nprobe == 0 {
		nprobe = x.NProbe()
	}
	nprobe = min(nprobe, x.q.nlist)
	depth := k
	if x.q.sq8 && opt.Rescore > 0 {
		depth = max(k, opt.Rescore)
	}
	out := make([][]Hit, nq)
	if nq == 0 || k == 0 || x.Len() == 0 {
		for i := range out {
			out[i] = []Hit{}
		}
		return out
	}
	probes := x.probe(queries, nq, nprobe)
	s := &ivfSearch{x: x, queries: queries, nq: nq, nprobe: nprobe, probes: probes, depth: depth}
	if nq < gemmQueries || x.q.sq8 {
		s.byQuery()
	} else {
		s.byList()
	}
	var scratch []float32
	for qi := range nq {
		hits := s.result(qi)
		if x.q.sq8 && opt.Rescore > 0 {
			x.rescore(hits, queries[qi*d:(qi+1)*d], nq >= gemmQueries, &scratch)
		}
		out[qi] = hits[:min(k, len(hits))]
	}
	return out
}

// rescore replaces the hits' quantized scores by their exact inner
// products with q, computed as Flat.Search computes them for the same
// number of queries (the row-dot kernel, or SGEMM when gemm), and sorts
// them. scratch is reused between calls.
func (x *IVF) rescore(hits []Hit, q []float32, gemm bool, scratch *[]float32) {
	d, n := x.q.d, len(hits)
	buf := slices.Grow((*scratch)[:0], n*d+n)[:n*d+n]
	*scratch = buf
	vecs, scores := buf[:n*d], buf[n*d:]
	for i, h := range hits {
		copy(vecs[i*d:(i+1)*d], x.vector(h.Doc))
	}
	if gemm {
		// One product, one query column: each score's operations are
		// those of Flat's products (they depend on the depth d only).
		kernels.SgemmBatched(false, true, 1, n, 1, d, 1, vecs, d, 0, q, d, 0, 0, scores, 1, 0)
	} else {
		kernels.DotRows(q, vecs, d, scores)
	}
	for i := range hits {
		hits[i].Score = scores[i]
	}
	slices.SortFunc(hits, CompareHits)
}

// SearchOne is Search for the single query q.
func (x *IVF) SearchOne(q []float32, k int) []Hit { return x.Search(q, 1, k)[0] }

// Vector returns document i's vector, 0 <= i < Len(): the stored float32
// vector (aliasing the index, valid until Close, not to be modified), or,
// for an SQ8 index without them, its decoded codes lo + step·code in a new
// slice.
func (x *IVF) Vector(i int) []float32 {
	if x.keep {
		return x.vector(i)
	}
	d := x.q.d
	w := x.where[i]
	l, j := w>>32, int(w&(1<<32-1))
	code := x.lists[l].codes[j*d : (j+1)*d]
	v := make([]float32, d)
	for t, c := range code {
		v[t] = x.q.lo[t] + x.q.step[t]*float32(c)
	}
	return v
}

// probe returns, for each query, its nprobe lists (row-major, nq×nprobe):
// the highest centroid inner products, ties to the lower list, best
// first.
func (x *IVF) probe(queries []float32, nq, nprobe int) []int32 {
	nl, d := x.q.nlist, x.q.d
	scores := make([]float32, nq*nl)
	kernels.Scores(nq, nl, d, queries, d, x.q.centroids, d, scores, nl)
	out := make([]int32, nq*nprobe)
	buf := make([]Hit, nprobe)
	for qi := range nq {
		h := newTopk(buf)
		h.offer(scores[qi*nl:(qi+1)*nl], 0, noThreshold)
		slices.SortFunc(h.hits, CompareHits)
		for j, hit := range h.hits {
			out[qi*nprobe+j] = int32(hit.Doc)
		}
	}
	return out
}

// vector returns document doc's float32 vector (the index keeps them).
func (x *IVF) vector(doc int) []float32 {
	d := x.q.d
	w := x.where[doc]
	l, j := w>>32, w&(1<<32-1)
	return x.lists[l].vecs[j*uint64(d) : (j+1)*uint64(d)]
}

// locate sets where for documents from doc0 on, from the lists.
func (x *IVF) locate(doc0 int) {
	x.where = slices.Grow(x.where[:doc0], len(x.ids)-doc0)[:len(x.ids)]
	for l, list := range x.lists {
		// A list's documents increase, so those from doc0 on are its tail.
		j, _ := slices.BinarySearch(list.docs, int32(doc0))
		for ; j < len(list.docs); j++ {
			x.where[list.docs[j]] = uint64(l)<<32 | uint64(j)
		}
	}
}
