package retrieval

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rrra/rrra/kernels"
	"github.com/rrra/rrra/retrieval/index"
)

func TestParseShard(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/1", Whole, ""},
		{"3/4", Shard{3, 4}, ""},
		{"0/1048576", Shard{0, 1 << 20}, ""},
		{"4/4", Shard{}, "I must be in [0, 3]"},
		{"-1/4", Shard{}, "I must be in [0, 3]"},
		{"1/0", Shard{}, "N must be in [1, 1048576]"},
		{"0/1048577", Shard{}, "N must be in [1, 1048576]"},
		{"a/b", Shard{}, "want I/N"},
		{"1", Shard{}, "want I/N"},
		{"", Shard{}, "want I/N"},
		{"1/2/3", Shard{}, "want I/N"},
		{" 1/2", Shard{}, "want I/N"},
	} {
		got, err := ParseShard(c.in)
		if c.err == "" && (err != nil || got != c.want) {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("ParseShard(%q): %v, want an error containing %q", c.in, err, c.err)
		}
	}
}

// TestShardRange checks that the shards' slices are contiguous, cover
// the collection and differ in length by at most one.
func TestShardRange(t *testing.T) {
	for _, total := range []int{0, 1, 7, 100, 5183} {
		for _, n := range []int{1, 2, 3, 8, 13} {
			next, least, most := 0, total, 0
			for i := range n {
				lo, hi := Shard{i, n}.Range(total)
				if lo != next || hi < lo {
					t.Fatalf("total %d, shard %d/%d: [%d, %d) after %d", total, i, n, lo, hi, next)
				}
				next = hi
				least, most = min(least, hi-lo), max(most, hi-lo)
			}
			if next != total || most-least > 1 {
				t.Errorf("total %d, %d shards: end %d, lengths %d to %d", total, n, next, least, most)
			}
		}
	}
}

// shardCorpus is a small collection for the sharding tests.
func shardCorpus(n int) *TrainData {
	words := []string{"wing", "flow", "shock", "boundary", "layer", "heat", "transfer", "pressure", "supersonic", "jet", "plate", "cylinder"}
	td := &TrainData{}
	for i := range n {
		var b strings.Builder
		for j := range 3 + i%11 {
			fmt.Fprintf(&b, "%s ", words[(i*7+j*(i%5+1))%len(words)])
		}
		td.Docs = append(td.Docs, b.String())
		td.DocIDs = append(td.DocIDs, fmt.Sprintf("d%d", i))
	}
	return td
}

func indexBytes(t *testing.T, ix io.WriterTo) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := ix.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// saveLoad writes ix to a file and opens it again, as the shard
// processes and rrra index merge do.
func saveLoad(t *testing.T, ix interface{ Save(string) error }) index.Index {
	t.Helper()
	path := filepath.Join(t.TempDir(), "part")
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	x, err := index.Open(path, index.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// TestShardedIndexes builds exact and IVF indexes of a collection in
// three shards (each encoded separately, with its own thread count),
// merges them given in another order, and checks the merged files equal
// the unsharded builds' byte for byte: IndexCorpus's, and BuildIVF's on
// the whole collection with the configuration TrainIVF trained on its
// sample. A shard alone is refused by CheckIndex.
func TestShardedIndexes(t *testing.T) {
	enc, err := LoadEncoder("testdata/mini-model", EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	td := shardCorpus(211)
	whole, err := IndexCorpus(enc, td, nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3
	var flats []index.Index
	for _, i := range []int{2, 0, 1} {
		var f *index.Flat
		prev := kernels.SetThreads(1 + i%2)
		f, err = IndexCorpusShard(enc, td, Shard{i, n}, nil)
		kernels.SetThreads(prev)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckIndex(f, enc, td, "part"); err == nil || !strings.Contains(err.Error(), "merge every shard") {
			t.Errorf("shard %d/%d searched alone: %v", i, n, err)
		}
		flats = append(flats, saveLoad(t, f))
	}
	names := []string{"p2", "p0", "p1"}
	merged, err := MergeShards(flats, names)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(indexBytes(t, merged.(*index.Flat)), indexBytes(t, whole)) {
		t.Error("merged exact shards differ from the unsharded index")
	}
	if err := CheckIndex(merged, enc, td, "merged"); err != nil {
		t.Errorf("the merged index: %v", err)
	}

	cfg := index.IVFConfig{NList: 6, Sample: 90, Iterations: 5, Seed: 3, SQ8: true}
	quant, err := TrainIVF(enc, td, cfg, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	quant = saveLoad(t, quant).(*index.IVF)
	wantIVF, err := index.BuildIVF(whole, cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	var ivfs []index.Index
	for i, f := range flats {
		x, err := AddShard(quant, f.(*index.Flat), "quant", names[i])
		if err != nil {
			t.Fatal(err)
		}
		ivfs = append(ivfs, saveLoad(t, x))
	}
	mergedIVF, err := MergeShards(ivfs, names)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(indexBytes(t, mergedIVF.(*index.IVF)), indexBytes(t, wantIVF)) {
		t.Error("merged IVF shards differ from the unsharded IVF index")
	}
	// The quantizer applied to the unsharded exact index gives it too.
	direct, err := AddShard(quant, whole, "quant", "whole")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(indexBytes(t, direct), indexBytes(t, wantIVF)) {
		t.Error("adding the whole collection to the trained quantizer differs from BuildIVF")
	}

	// Refusals.
	other := shardCorpus(212)
	otherShard, err := IndexCorpusShard(enc, other, Shard{1, n}, nil)
	if err != nil {
		t.Fatal(err)
	}
	edited := shardCorpus(211)
	edited.Docs[100] = "an edited document"
	editedShard, err := IndexCorpusShard(enc, edited, Shard{1, n}, nil)
	if err != nil {
		t.Fatal(err)
	}
	four, err := IndexCorpusShard(enc, td, Shard{1, 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		parts []index.Index
		want  string
	}{
		{"none", nil, "no indexes"},
		{"missing", flats[:2], "shard 1/3 is missing"},
		{"missing last", []index.Index{flats[1], flats[2]}, "shard 2/3 is missing"},
		{"twice", []index.Index{flats[0], flats[1], flats[2], flats[0]}, "are both shard 2/3"},
		{"not a shard", []index.Index{whole, flats[0]}, "p2 is not a shard's index"},
		{"other count", []index.Index{flats[0], four}, "not one sharding of one collection"},
		{"other corpus", []index.Index{flats[1], otherShard, flats[2]}, "not one sharding of one collection"},
		{"edited corpus", []index.Index{flats[0], editedShard, flats[2]}, "p2 and p0 were built differently (corpus_sha256"},
		{"mixed kinds", []index.Index{ivfs[0], flats[1], flats[2]}, "exact and IVF indexes together"},
	} {
		names := []string{"p2", "p0", "p1", "p3"}
		if _, err := MergeShards(c.parts, names[:len(c.parts)]); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if _, err := AddShard(mergedIVF.(*index.IVF), whole, "full.ivf", "whole"); err == nil || !strings.Contains(err.Error(), "full.ivf: holds 211 documents") {
		t.Errorf("adding to an IVF index with documents: %v", err)
	}
	if _, err := AddShard(quant, otherShard, "quant", "other"); err == nil || !strings.Contains(err.Error(), "corpus_sha256 differs") {
		t.Errorf("adding another collection's shard: %v", err)
	}
}

// TestMineShards mines a dense pool in three shards and checks that the
// merged pool, after a round trip through the partial pools' encoding,
// equals the pool MineWith mines from the whole corpus; and that parts
// of other runs, a missing or repeated shard and damaged files are
// refused.
func TestMineShards(t *testing.T) {
	enc, err := LoadEncoder("testdata/mini-model", EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	td := shardCorpus(211)
	for q := range 25 {
		td.Queries = append(td.Queries, td.Docs[(q*37)%211][:10])
		td.QueryIDs = append(td.QueryIDs, fmt.Sprintf("q%d", q))
		pos := []int32{int32((q * 37) % 211)}
		if q%3 == 0 {
			pos = append(pos, int32((q*37+100)%211)) // positives in two shards
		}
		slices.Sort(pos)
		td.Positives = append(td.Positives, pos)
	}
	td.index()
	const k = 12
	want, _, _, err := MineWith(enc, td, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	var parts []*PartialPool
	for _, i := range []int{1, 2, 0} {
		p, err := MineShard(enc, td, k, Shard{i, 3}, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back PartialPool
		if err := back.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, &back)
		// Every truncation and a flipped byte are refused.
		for _, cut := range []int{0, 5, len(b) / 2, len(b) - 1} {
			var x PartialPool
			if err := x.UnmarshalBinary(b[:cut]); err == nil {
				t.Errorf("shard %d: truncated at %d of %d bytes: accepted", i, cut, len(b))
			}
		}
		flip := slices.Clone(b)
		flip[len(flip)/2] ^= 1
		var x PartialPool
		if err := x.UnmarshalBinary(flip); err == nil || !strings.Contains(err.Error(), "checksum") {
			t.Errorf("shard %d: a flipped byte: %v", i, err)
		}
	}
	names := []string{"p1", "p2", "p0"}
	got, err := MergePools(parts, names, td)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Cands, want.Cands) || !reflect.DeepEqual(got.PosScores, want.PosScores) || got.Source != want.Source {
		t.Error("the merged pool differs from the pool mined from the whole corpus")
	}

	other := shardCorpus(211)
	other.Queries, other.QueryIDs, other.Positives = td.Queries[:24], td.QueryIDs[:24], td.Positives[:24]
	other.index()
	fewer, err := MineShard(enc, other, k, Shard{0, 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	smaller, err := MineShard(enc, td, k-1, Shard{0, 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		parts []*PartialPool
		want  string
	}{
		{"none", nil, "no pools"},
		{"missing", parts[:2], "shard 0/3 is missing"},
		{"twice", []*PartialPool{parts[0], parts[1], parts[2], parts[0]}, "both shard 1/3"},
		{"other k", []*PartialPool{parts[0], parts[1], smaller}, "not shards of one mining run"},
		{"other queries", []*PartialPool{fewer, parts[0], parts[1]}, "mined for other training queries"},
	} {
		if _, err := MergePools(c.parts, []string{"p1", "p2", "p0", "p3"}, td); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
