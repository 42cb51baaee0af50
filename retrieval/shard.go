package retrieval

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rrra/rrra/retrieval/beir"
	"github.com/rrra/rrra/retrieval/index"
	"github.com/rrra/rrra/tensor"
)

// A Shard is the I-th (from 0) of N contiguous slices of a collection:
// the unit of work of one process when a corpus is encoded and indexed
// by several (a scheduler's array job, rrra's --shard I/N). Shard{0, 1}
// is the whole collection.
type Shard struct {
	I, N int
}

// Whole is the shard that is the whole collection.
var Whole = Shard{0, 1}

// maxShards bounds N: far more than any scheduler's array.
const maxShards = 1 << 20

// ParseShard parses "I/N", 0 <= I < N <= 1,048,576.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want I/N, the I-th (from 0) of N slices, such as 0/4", s)
	}
	sh := Shard{i, n}
	return sh, sh.Validate()
}

// Validate checks that 1 <= N <= 1,048,576 and 0 <= I < N.
func (s Shard) Validate() error {
	if s.N < 1 || s.N > maxShards {
		return fmt.Errorf("shard %d/%d: N must be in [1, %d]", s.I, s.N, maxShards)
	}
	if s.I < 0 || s.I >= s.N {
		return fmt.Errorf("shard %d/%d: I must be in [0, %d] (shards count from 0)", s.I, s.N, s.N-1)
	}
	return nil
}

// String returns "I/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// Range returns the shard's slice [lo, hi) of a collection of total
// items: the shards' slices are contiguous, in order, cover it exactly,
// and differ in length by at most one.
func (s Shard) Range(total int) (lo, hi int) {
	return int(int64(s.I) * int64(total) / int64(s.N)), int(int64(s.I+1) * int64(total) / int64(s.N))
}

// Index metadata a shard's index records beside the whole collection's
// (MetaModel, MetaCorpus, …), so that MergeShards can check that its
// parts are every shard of one collection, once each.
const (
	// MetaShard is the shard, "I/N".
	MetaShard = "shard"
	// MetaShardOf is the number of documents in the whole collection.
	MetaShardOf = "shard_of"
)

// shardMeta returns meta with s's keys added (none for Whole), for a
// collection of total documents.
func shardMeta(meta map[string]string, s Shard, total int) map[string]string {
	if s == Whole {
		return meta
	}
	m := maps.Clone(meta)
	if m == nil {
		m = map[string]string{}
	}
	m[MetaShard] = s.String()
	m[MetaShardOf] = strconv.Itoa(total)
	return m
}

// IndexCorpusShard encodes shard s of td's documents (NewCorpusData for a
// whole collection) into an exact index; for a shard other than Whole its
// metadata names the whole collection and the shard, so that only
// MergeShards with the other shards makes it searchable. IndexCorpus is
// its Whole case.
func IndexCorpusShard(enc *Encoder, td *TrainData, s Shard, progress func(done int)) (*index.Flat, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	lo, hi := s.Range(len(td.Docs))
	vecs, err := enc.Docs(td.Docs[lo:hi], progress)
	if err != nil {
		return nil, err
	}
	ix := index.New(enc.Dim())
	if err := ix.Add(td.DocIDs[lo:hi], vecs); err != nil {
		return nil, err
	}
	ix.SetMeta(shardMeta(indexMeta(enc, td), s, len(td.Docs)))
	return ix, nil
}

// IndexVectorsShard is IndexVectors for shard s: vecs holds one row per
// document of the shard's slice of corpus, in corpus order (rrra encode
// --shard's output). Its metadata does not name the vectors' file, so the
// merged index does not either (an unsharded IndexVectors index does).
func IndexVectorsShard(corpus *TrainData, vecs *tensor.Tensor, name string, s Shard) (*index.Flat, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	lo, hi := s.Range(len(corpus.DocIDs))
	part := &TrainData{Docs: corpus.Docs[lo:hi], DocIDs: corpus.DocIDs[lo:hi]}
	if vecs.Shape.Rank() != 2 || vecs.Shape.Dim(0) != hi-lo {
		return nil, fmt.Errorf("%s: shape %v; want [%d, dim], one row per document of shard %v (documents %d to %d of %d) in corpus order",
			name, vecs.Shape, hi-lo, s, lo, hi-1, len(corpus.DocIDs))
	}
	ix, err := IndexVectors(part, vecs, name)
	if err != nil {
		return nil, err
	}
	// Not MetaVectors: each shard's file has its own name, and the merged
	// index records none.
	ix.SetMeta(shardMeta(map[string]string{MetaCorpus: corpus.CorpusFingerprint()}, s, len(corpus.DocIDs)))
	return ix, nil
}

// TrainIVF trains the one quantizer of a sharded IVF build: it encodes
// only the documents of td that k-means samples (index.TrainingRows) and
// returns an IVF index with that quantizer and no documents, the whole
// collection's metadata, and keepVectors as given; AddShard adds each
// shard to it. Its quantizer is the one rrra index --type ivf trains on
// the whole collection with cfg (cfg.NList must be set).
func TrainIVF(enc *Encoder, td *TrainData, cfg index.IVFConfig, keepVectors bool, progress func(done int)) (*index.IVF, error) {
	rows, err := index.TrainingRows(len(td.Docs), cfg)
	if err != nil {
		return nil, err
	}
	texts := make([]string, len(rows))
	for i, r := range rows {
		texts[i] = td.Docs[r]
	}
	vecs, err := enc.Docs(texts, progress)
	if err != nil {
		return nil, err
	}
	return trainIVF(vecs, len(rows), enc.Dim(), cfg, keepVectors, indexMeta(enc, td))
}

// TrainIVFVectors is TrainIVF for vectors made elsewhere: vecs holds one
// row per document of corpus (IndexVectors' input).
func TrainIVFVectors(corpus *TrainData, vecs *tensor.Tensor, name string, cfg index.IVFConfig, keepVectors bool) (*index.IVF, error) {
	f, err := IndexVectors(corpus, vecs, name)
	if err != nil {
		return nil, err
	}
	return trainIVF(f.Vectors(), f.Len(), f.Dim(), cfg, keepVectors, f.Meta())
}

func trainIVF(vecs []float32, n, d int, cfg index.IVFConfig, keep bool, meta map[string]string) (*index.IVF, error) {
	if keep && !cfg.SQ8 {
		return nil, errors.New("retrieval: keeping float32 vectors is for an SQ8 index (an IVF-Flat one stores them anyway)")
	}
	q, err := index.TrainQuantizer(vecs, n, d, cfg)
	if err != nil {
		return nil, err
	}
	x := index.NewIVF(q, keep)
	x.SetMeta(meta)
	return x, nil
}

// AddShard returns the IVF index of the documents of f (one shard's exact
// index, or a whole collection's) with quant's quantizer and kept-vector
// setting and f's metadata. It refuses f when quant holds documents, or
// when the two were encoded by other models or from other collections
// (their metadata's MetaModel, MetaCorpus and MetaPrecision differ).
func AddShard(quant *index.IVF, f *index.Flat, quantName, name string) (*index.IVF, error) {
	if quant.Len() != 0 {
		return nil, fmt.Errorf("%s: holds %d documents: want a quantizer from rrra index train, which holds none", quantName, quant.Len())
	}
	qm, fm := quant.Meta(), f.Meta()
	for _, k := range []string{MetaModel, MetaCorpus, MetaPrecision} {
		if qm[k] != fm[k] {
			return nil, fmt.Errorf("%s and %s: %s differs (%.12s… and %.12s…): the quantizer was trained on another model's vectors or another collection", quantName, name, k, qm[k], fm[k])
		}
	}
	if quant.Dim() != f.Dim() {
		return nil, fmt.Errorf("%s and %s: dimension %d and %d", quantName, name, quant.Dim(), f.Dim())
	}
	return index.BuildIVFWith(quant.Quantizer(), f, quant.KeepsVectors())
}

// MergeShards merges the indexes of every shard of one collection, given
// in any order, into the index of the whole: exact indexes into an exact
// one (index.MergeFlat), IVF indexes built with one quantizer into an IVF
// one (index.MergeIVF). The result, written, is byte for byte the index
// an unsharded build writes. names name the parts in errors. It refuses
// a part that is not a shard, parts of different collections, models,
// shard counts or kinds, a shard given twice or missing, and a part whose
// size is not its shard's.
func MergeShards(parts []index.Index, names []string) (index.Index, error) {
	if len(parts) == 0 {
		return nil, errors.New("merge: no indexes")
	}
	type part struct {
		ix   index.Index
		name string
		s    Shard
	}
	var ps []part
	var total int
	var common map[string]string
	for i, ix := range parts {
		meta := ix.Meta()
		s, err := ParseShard(meta[MetaShard])
		if err != nil || meta[MetaShard] == "" {
			return nil, fmt.Errorf("merge: %s is not a shard's index (its metadata has no valid %q; build shards with --shard I/N)", names[i], MetaShard)
		}
		of, err := strconv.Atoi(meta[MetaShardOf])
		if err != nil || of < 0 {
			return nil, fmt.Errorf("merge: %s: metadata %q is %q, not a document count", names[i], MetaShardOf, meta[MetaShardOf])
		}
		delete(meta, MetaShard)
		delete(meta, MetaShardOf)
		if i == 0 {
			total, common = of, meta
		} else {
			if s.N != ps[0].s.N || of != total {
				return nil, fmt.Errorf("merge: %s is shard %v of %d documents, %s shard %v of %d: not one sharding of one collection", names[i], s, of, names[0], ps[0].s, total)
			}
			if !maps.Equal(meta, common) {
				return nil, fmt.Errorf("merge: %s and %s were built differently (%s): not shards of one build", names[0], names[i], metaDiff(common, meta))
			}
		}
		lo, hi := s.Range(total)
		if ix.Len() != hi-lo {
			return nil, fmt.Errorf("merge: %s holds %d documents; shard %v of %d holds %d", names[i], ix.Len(), s, total, hi-lo)
		}
		ps = append(ps, part{ix, names[i], s})
	}
	slices.SortStableFunc(ps, func(a, b part) int { return a.s.I - b.s.I })
	for i, p := range ps {
		if p.s.I != i {
			if i > 0 && ps[i-1].s.I == p.s.I {
				return nil, fmt.Errorf("merge: %s and %s are both shard %v", ps[i-1].name, p.name, p.s)
			}
			return nil, fmt.Errorf("merge: shard %d/%d is missing", i, p.s.N)
		}
	}
	if len(ps) != ps[0].s.N {
		return nil, fmt.Errorf("merge: shard %d/%d is missing", len(ps), ps[0].s.N)
	}
	var flats []*index.Flat
	var ivfs []*index.IVF
	for _, p := range ps {
		switch x := p.ix.(type) {
		case *index.Flat:
			flats = append(flats, x)
		case *index.IVF:
			ivfs = append(ivfs, x)
		default:
			return nil, fmt.Errorf("merge: %s: an index of type %T", p.name, p.ix)
		}
	}
	if len(flats) > 0 && len(ivfs) > 0 {
		return nil, errors.New("merge: exact and IVF indexes together: shards of one build are all of one kind")
	}
	if len(common) == 0 {
		common = nil
	}
	// A nil *Flat or *IVF must not become a non-nil Index.
	if len(flats) > 0 {
		f, err := index.MergeFlat(flats, common)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	x, err := index.MergeIVF(ivfs, common)
	if err != nil {
		return nil, err
	}
	return x, nil
}

// metaDiff names the first metadata key whose value differs between a
// and b.
func metaDiff(a, b map[string]string) string {
	keys := slices.Sorted(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if a[k] != b[k] {
			return fmt.Sprintf("%s %q and %q", k, a[k], b[k])
		}
	}
	return "same metadata"
}

// CalibrationQueries returns at most max of d's queries' texts, spread
// evenly over its queries file (every ⌈n/max⌉-th), for IVF calibration:
// it uses no relevance judgments, so any of a collection's queries serve.
func CalibrationQueries(d *beir.Dataset, max int) []string {
	qs := d.Queries.List
	if len(qs) == 0 || max < 1 {
		return nil
	}
	step := (len(qs) + max - 1) / max
	var texts []string
	for i := 0; i < len(qs); i += step {
		texts = append(texts, qs[i].Text)
	}
	return texts
}

// CalibrateIVF encodes texts with enc's query tower and calibrates x's
// default nprobe on them (index.IVF.Calibrate, recall@10 against a
// search of every list reaching target).
func CalibrateIVF(enc *Encoder, x *index.IVF, texts []string, target float64) (nprobe int, recall float64, err error) {
	if x.Dim() != enc.Dim() {
		return 0, 0, fmt.Errorf("retrieval: an index of dimension %d for a model of dimension %d", x.Dim(), enc.Dim())
	}
	qv, err := enc.Queries(texts, nil)
	if err != nil {
		return 0, 0, err
	}
	return x.Calibrate(qv, len(texts), 10, target)
}
