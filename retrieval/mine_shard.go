package retrieval

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"

	"github.com/rrra/rrra/internal/atomicfile"
	"github.com/rrra/rrra/internal/binenc"
	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval/index"
)

// A PartialPool is one shard's share of a dense mining pool: for every
// training query, the best hits among the shard's documents (as many as
// the whole pool's search keeps, known positives included) and the
// scores of the query's positives that lie in the shard. MergePools
// joins every shard's into the Pool that MineWith mines from the whole
// corpus, exactly: a document of the corpus's best m is among its
// shard's best m, and a document's score does not depend on the shard
// (the scoring kernels' sums run in the same order wherever a document
// is).
type PartialPool struct {
	Shard Shard
	Docs  int     // documents in the whole corpus
	K     int     // pool size asked for (the sampler's pool k)
	Scale float32 // logit scale the scores are multiplied by when merged
	// Meta names the model, corpus and training queries (MetaModel,
	// MetaCorpus, MetaQueries): shards of one mining run agree on all.
	Meta map[string]string
	// Hits, per training query: the shard's best documents (corpus
	// indices), best first, with their raw inner products.
	Hits [][]Candidate
	// Pos, per training query: for each of its positives in the shard,
	// the positive's place in the query's positives and its raw score.
	Pos [][]PosScore
}

// A PosScore is the score of the Index-th positive of a query.
type PosScore struct {
	Index int32
	Score float32
}

// MetaQueries is the fingerprint of a mining run's training queries
// (their ids and texts, and their positives).
const MetaQueries = "queries_sha256"

// MineShard mines shard s's part of a dense pool of k per query: it
// encodes only the shard's documents (and every training query) with
// enc. progress sees the documents encoded so far.
func MineShard(enc *Encoder, td *TrainData, k int, s Shard, progress func(done int)) (*PartialPool, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if k < 1 {
		return nil, fmt.Errorf("retrieval: mine: pool size %d: want ≥ 1", k)
	}
	lo, hi := s.Range(len(td.Docs))
	docVecs, err := enc.Docs(td.Docs[lo:hi], progress)
	if err != nil {
		return nil, err
	}
	queryVecs, err := enc.Queries(td.Queries, nil)
	if err != nil {
		return nil, err
	}
	dim, nq := enc.Dim(), len(td.Queries)
	p := &PartialPool{Shard: s, Docs: len(td.Docs), K: k, Scale: enc.LogitScale(),
		Hits: make([][]Candidate, nq), Pos: make([][]PosScore, nq)}
	p.Meta = map[string]string{MetaModel: enc.Fingerprint(), MetaCorpus: td.CorpusFingerprint(), MetaQueries: td.queriesFingerprint()}
	if hi > lo {
		ix := index.New(dim)
		if err := ix.Add(td.DocIDs[lo:hi], docVecs); err != nil {
			return nil, err
		}
		for q, hs := range ix.Search(queryVecs, nq, k+td.maxPositives()) {
			for _, h := range hs {
				p.Hits[q] = append(p.Hits[q], Candidate{Doc: int32(lo + h.Doc), Score: h.Score})
			}
		}
	}
	for q := range nq {
		qv := queryVecs[q*dim : (q+1)*dim]
		for j, d := range td.Positives[q] {
			if int(d) >= lo && int(d) < hi {
				i := int(d) - lo
				p.Pos[q] = append(p.Pos[q], PosScore{int32(j), kernels.Dot(qv, docVecs[i*dim:(i+1)*dim])})
			}
		}
	}
	return p, nil
}

// queriesFingerprint returns the hex SHA-256 of td's training queries:
// ids, texts and positives, in order.
func (td *TrainData) queriesFingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "queries %d\n", len(td.Queries))
	for q := range td.Queries {
		writeString(h, td.QueryIDs[q])
		writeString(h, td.Queries[q])
		fmt.Fprint(h, td.Positives[q])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// MergePools joins the partial pools of every shard of one mining run
// over td (given in any order; names name them in errors) into the pool
// MineWith mines from the whole corpus with the same model and k. It
// refuses parts of different runs, a shard missing or given twice, and a
// part that does not fit td.
func MergePools(parts []*PartialPool, names []string, td *TrainData) (*Pool, error) {
	if len(parts) == 0 {
		return nil, errors.New("merge: no pools")
	}
	first := parts[0]
	want := map[string]string{MetaCorpus: td.CorpusFingerprint(), MetaQueries: td.queriesFingerprint()}
	byShard := make([]*PartialPool, first.Shard.N)
	for i, p := range parts {
		switch {
		case p.Shard.N != first.Shard.N || p.Docs != first.Docs || p.K != first.K ||
			math.Float32bits(p.Scale) != math.Float32bits(first.Scale) || !maps.Equal(p.Meta, first.Meta):
			return nil, fmt.Errorf("merge: %s and %s are not shards of one mining run (shard count, corpus, pool size, model or queries differ)", names[0], names[i])
		case p.Meta[MetaCorpus] != want[MetaCorpus] || p.Docs != len(td.Docs):
			return nil, fmt.Errorf("merge: %s was mined from another corpus than this one", names[i])
		case p.Meta[MetaQueries] != want[MetaQueries] || len(p.Hits) != len(td.Queries) || len(p.Pos) != len(td.Queries):
			return nil, fmt.Errorf("merge: %s was mined for other training queries (another collection or split)", names[i])
		case byShard[p.Shard.I] != nil:
			return nil, fmt.Errorf("merge: %s and another part are both shard %v", names[i], p.Shard)
		}
		byShard[p.Shard.I] = p
	}
	for i, p := range byShard {
		if p == nil {
			return nil, fmt.Errorf("merge: shard %d/%d is missing", i, first.Shard.N)
		}
	}
	m := first.K + td.maxPositives()
	hits := make([][]index.Hit, len(td.Queries))
	pool := &Pool{Source: "dense", PosScores: make([][]float32, len(td.Queries))}
	for q := range td.Queries {
		var all []index.Hit
		pos := make([]float32, len(td.Positives[q]))
		seen := make([]bool, len(pos))
		for s, p := range byShard {
			lo, hi := p.Shard.Range(p.Docs)
			for _, c := range p.Hits[q] {
				if int(c.Doc) < lo || int(c.Doc) >= hi {
					return nil, fmt.Errorf("merge: %s: query %q: document %d is outside shard %d/%d (%d to %d)", names[slices.Index(parts, p)], td.QueryIDs[q], c.Doc, s, p.Shard.N, lo, hi-1)
				}
				all = append(all, index.Hit{Doc: int(c.Doc), Score: c.Score})
			}
			for _, ps := range p.Pos[q] {
				if ps.Index < 0 || int(ps.Index) >= len(pos) || seen[ps.Index] {
					return nil, fmt.Errorf("merge: %s: query %q: positive %d is not one of its %d, or given twice", names[slices.Index(parts, p)], td.QueryIDs[q], ps.Index, len(pos))
				}
				pos[ps.Index], seen[ps.Index] = ps.Score*first.Scale, true
			}
		}
		if i := slices.Index(seen, false); i >= 0 {
			return nil, fmt.Errorf("merge: query %q: no part scored its positive %d", td.QueryIDs[q], i)
		}
		slices.SortFunc(all, index.CompareHits) // exact search's order
		hits[q] = all[:min(len(all), m)]
		pool.PosScores[q] = pos
	}
	pool.Cands = poolOf("dense", td, hits, first.K, first.Scale).Cands
	return pool, nil
}

const partialMagic = "rrrapart1"

// Save writes p to path (MarshalBinary's encoding), replacing the file
// whole or not at all.
func (p *PartialPool) Save(path string) error {
	b, err := p.MarshalBinary()
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b)
}

// LoadPartialPool reads a partial pool that Save wrote, naming the file
// in errors.
func LoadPartialPool(path string) (*PartialPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("retrieval: %w", err)
	}
	p := new(PartialPool)
	if err := p.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// MarshalBinary encodes p: a magic, the fields, and a CRC-32C.
func (p *PartialPool) MarshalBinary() ([]byte, error) {
	b := []byte(partialMagic)
	for _, v := range []int{p.Shard.I, p.Shard.N, p.Docs, p.K} {
		b = binary.AppendUvarint(b, uint64(v))
	}
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Scale))
	keys := slices.Sorted(maps.Keys(p.Meta))
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, p.Meta[k])
	}
	b = binary.AppendUvarint(b, uint64(len(p.Hits)))
	for q := range p.Hits {
		b = binary.AppendUvarint(b, uint64(len(p.Hits[q])))
		for _, c := range p.Hits[q] {
			b = binary.AppendUvarint(b, uint64(c.Doc))
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(c.Score))
		}
		b = binary.AppendUvarint(b, uint64(len(p.Pos[q])))
		for _, ps := range p.Pos[q] {
			b = binary.AppendUvarint(b, uint64(ps.Index))
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(ps.Score))
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)), nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// UnmarshalBinary decodes what MarshalBinary wrote, refusing a damaged
// encoding with the part that is damaged named.
func (p *PartialPool) UnmarshalBinary(b []byte) error {
	if len(b) < len(partialMagic)+4 || string(b[:len(partialMagic)]) != partialMagic {
		return errors.New("not a partial pool (no rrrapart1 magic): write one with rrra mine --shard")
	}
	body := b[:len(b)-4]
	if got, want := crc32.Checksum(body, castagnoli), binary.LittleEndian.Uint32(b[len(b)-4:]); got != want {
		return fmt.Errorf("checksum %08x, want %08x: the file is damaged or truncated", got, want)
	}
	r := binenc.NewReader(body[len(partialMagic):])
	field := func(name string, limit uint64) (int, error) {
		v := r.Uvarint()
		if r.Err() != nil || v > limit {
			return 0, fmt.Errorf("field %s: %d, corrupt or above %d", name, v, limit)
		}
		return int(v), nil
	}
	var err error
	var n int
	for _, f := range []struct {
		name string
		to   *int
	}{{"shard", &p.Shard.I}, {"shards", &p.Shard.N}, {"docs", &p.Docs}, {"k", &p.K}} {
		if *f.to, err = field(f.name, math.MaxInt32); err != nil {
			return err
		}
	}
	if err := p.Shard.Validate(); err != nil {
		return fmt.Errorf("field shard: %w", err)
	}
	p.Scale = math.Float32frombits(r.Uint32())
	if n, err = field("meta count", 64); err != nil {
		return err
	}
	p.Meta = map[string]string{}
	for range n {
		k, err := field("meta key length", uint64(r.Remaining()))
		if err != nil {
			return err
		}
		key := string(r.Bytes(k))
		v, err := field("meta value length", uint64(r.Remaining()))
		if err != nil {
			return err
		}
		p.Meta[key] = string(r.Bytes(v))
	}
	if n, err = field("queries", uint64(r.Remaining())); err != nil {
		return err
	}
	p.Hits, p.Pos = make([][]Candidate, n), make([][]PosScore, n)
	for q := range n {
		m, err := field("hits of query "+strconv.Itoa(q), uint64(r.Remaining()))
		if err != nil {
			return err
		}
		for range m {
			d, err := field("document of query "+strconv.Itoa(q), math.MaxInt32)
			if err != nil {
				return err
			}
			p.Hits[q] = append(p.Hits[q], Candidate{Doc: int32(d), Score: math.Float32frombits(r.Uint32())})
		}
		if m, err = field("positives of query "+strconv.Itoa(q), uint64(r.Remaining())); err != nil {
			return err
		}
		for range m {
			j, err := field("positive of query "+strconv.Itoa(q), math.MaxInt32)
			if err != nil {
				return err
			}
			p.Pos[q] = append(p.Pos[q], PosScore{Index: int32(j), Score: math.Float32frombits(r.Uint32())})
		}
	}
	if r.Err() != nil {
		return fmt.Errorf("truncated: %w", r.Err())
	}
	if r.Remaining() != 0 {
		return fmt.Errorf("%d bytes after the last query", r.Remaining())
	}
	return nil
}
