package index

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// loaders are the ways to open a file: Load (a memory mapping where the
// platform has one), the portable read fallback, and Read on the open file.
var loaders = []struct {
	name string
	load func(path string, opts LoadOptions) (*Flat, error)
}{
	{"Load", Load},
	{"loadRead", loadRead},
	{"Read", func(path string, _ LoadOptions) (*Flat, error) {
		fd, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer fd.Close()
		return Read(fd)
	}},
}

// sampleFlat returns an index with awkward ids: empty, multi-byte, long.
func sampleFlat(t testing.TB, n, d int) *Flat {
	r := rand.New(rand.NewPCG(uint64(n), uint64(d)))
	ids := seqIDs(0, n)
	if n > 2 {
		ids[0], ids[1], ids[2] = "", "ドキュメント", strings.Repeat("x", 300)
	}
	vecs := randVecs(r, n, d)
	if n > 3 {
		vecs[d] = float32(math.Inf(-1))
		vecs[d+1] = float32(math.Copysign(0, -1))
	}
	f := New(d)
	if err := f.Add(ids, vecs); err != nil {
		t.Fatal(err)
	}
	return f
}

// sameFlat reports how a and b differ, or "" if they hold the same
// documents, vectors compared bit for bit.
func sameFlat(a, b *Flat) string {
	if a.Dim() != b.Dim() || a.Len() != b.Len() {
		return "shape differs"
	}
	if !slices.Equal(a.ids, b.ids) {
		return "ids differ"
	}
	if !slices.EqualFunc(a.vecs, b.vecs, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }) {
		return "vectors differ"
	}
	return ""
}

func TestRoundTrip(t *testing.T) {
	for _, sz := range []struct{ n, d int }{{0, 1}, {1, 1}, {5, 3}, {200, 16}, {1000, 384}} {
		f := sampleFlat(t, sz.n, sz.d)
		var buf bytes.Buffer
		n, err := f.WriteTo(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(buf.Len()) {
			t.Errorf("n=%d: WriteTo returned %d, wrote %d bytes", sz.n, n, buf.Len())
		}
		path := filepath.Join(t.TempDir(), "x.idx")
		if err := f.Save(path); err != nil {
			t.Fatal(err)
		}
		if disk, _ := os.ReadFile(path); !bytes.Equal(disk, buf.Bytes()) {
			t.Errorf("n=%d: Save and WriteTo wrote different bytes", sz.n)
		}
		for _, l := range loaders {
			g, err := l.load(path, LoadOptions{})
			if err != nil {
				t.Fatalf("%s n=%d: %v", l.name, sz.n, err)
			}
			if diff := sameFlat(f, g); diff != "" {
				t.Errorf("%s n=%d d=%d: %s", l.name, sz.n, sz.d, diff)
			}
			// The same searches, bit for bit, as on the original.
			if sz.n > 0 {
				q := f.vecs[:sz.d*min(sz.n, 4)]
				if !sameHits(f.Search(q, min(sz.n, 4), 10), g.Search(q, min(sz.n, 4), 10)) {
					t.Errorf("%s n=%d: searches differ", l.name, sz.n)
				}
			}
			if err := g.Close(); err != nil {
				t.Errorf("%s: Close: %v", l.name, err)
			}
		}
	}
}

// TestLoadMapped checks that Load maps the file where it should, that the
// loaded index is read-only, and that Close unmaps it.
func TestLoadMapped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.idx")
	if err := sampleFlat(t, 100, 8).Save(path); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if mapped := f.unmap != nil; mapped != (runtime.GOOS == "linux" || runtime.GOOS == "darwin") {
		t.Errorf("on %s: mapped = %v", runtime.GOOS, mapped)
	}
	if err := f.Add([]string{"new"}, make([]float32, 8)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Add on a loaded index: %v, want ErrReadOnly", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if f.unmap != nil || f.Len() != 0 {
		t.Error("Close left the mapping")
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// An index from Read grows.
	var buf bytes.Buffer
	sampleFlat(t, 3, 2).WriteTo(&buf)
	g, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Add([]string{"new"}, []float32{1, 2}); err != nil || g.Len() != 4 {
		t.Errorf("Add on a read index: %v, Len %d", err, g.Len())
	}
	if err := g.Add([]string{""}, []float32{1, 2}); err == nil {
		t.Error("Add of an id from the file: no error")
	}
}

// fileBytes returns the file of a small index and its section offsets.
func fileBytes(t *testing.T) (b []byte, matEnd, idsEnd int) {
	var buf bytes.Buffer
	f := sampleFlat(t, 4, 3)
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	b = buf.Bytes()
	return b, headerSize + 4*4*3, len(b) - crcSize
}

// resum rewrites the checksum of b after a deliberate change.
func resum(b []byte) []byte {
	b = slices.Clone(b)
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], castagnoli))
	return b
}

// openAll writes b to a file and opens it every way, and returns the
// errors, in the order of loaders.
func openAll(t *testing.T, b []byte, opts LoadOptions) (path string, errs []error) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "bad.idx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, l := range loaders {
		f, err := l.load(path, opts)
		if err == nil {
			f.Close()
		}
		errs = append(errs, err)
	}
	return path, errs
}

// TestTruncated cuts the file at every length and checks the error names
// the section the file ends in.
func TestTruncated(t *testing.T) {
	b, matEnd, idsEnd := fileBytes(t)
	for cut := range len(b) {
		field := "checksum"
		switch {
		case cut < headerSize:
			field = "header"
		case cut < matEnd:
			field = "matrix"
		case cut < idsEnd:
			field = "ids"
		}
		for _, opts := range []LoadOptions{{}, {SkipChecksum: true}} {
			path, errs := openAll(t, b[:cut], opts)
			for i, err := range errs {
				if err == nil {
					t.Fatalf("cut at %d, %s: no error", cut, loaders[i].name)
				}
				msg := err.Error()
				if !errors.Is(err, ErrTruncated) || !strings.Contains(msg, ": "+field+": ") {
					t.Fatalf("cut at %d (%s), %s: %v", cut, field, loaders[i].name, err)
				}
				if loaders[i].name != "Read" && !strings.Contains(msg, path) {
					t.Fatalf("cut at %d, %s: error does not name the file: %v", cut, loaders[i].name, err)
				}
			}
		}
	}
}

// TestCorrupt flips every byte of the file in turn: every flip must be an
// error, the checksum's unless a header check comes first.
func TestCorrupt(t *testing.T) {
	b, _, _ := fileBytes(t)
	for i := range b {
		c := slices.Clone(b)
		c[i] ^= 0x10
		_, errs := openAll(t, c, LoadOptions{})
		for j, err := range errs {
			if err == nil {
				t.Fatalf("byte %d flipped, %s: no error", i, loaders[j].name)
			}
			if i >= 40 && !errors.Is(err, ErrChecksum) { // past the sizes
				t.Fatalf("byte %d flipped, %s: %v, want a checksum error", i, loaders[j].name, err)
			}
		}
	}
	// Skipping the checksum, a flipped vector goes unnoticed...
	c := slices.Clone(b)
	c[headerSize+1] ^= 0x10
	path, _ := openAll(t, c, LoadOptions{})
	f, err := Load(path, LoadOptions{SkipChecksum: true})
	if err != nil {
		t.Fatalf("SkipChecksum: %v", err)
	}
	if math.Float32bits(f.Vector(0)[0]) == binary.LittleEndian.Uint32(b[headerSize:]) {
		t.Error("SkipChecksum: the flipped vector reads as the original")
	}
	f.Close()
}

// TestHeaderErrors checks each header field's error, with the checksum
// made valid so that it is the field check that fails.
func TestHeaderErrors(t *testing.T) {
	b, matEnd, _ := fileBytes(t)
	put64 := func(off int, v uint64) []byte {
		c := slices.Clone(b)
		binary.LittleEndian.PutUint64(c[off:], v)
		return resum(c)
	}
	put32 := func(off int, v uint32) []byte {
		c := slices.Clone(b)
		binary.LittleEndian.PutUint32(c[off:], v)
		return resum(c)
	}
	badID := slices.Clone(b)
	binary.LittleEndian.PutUint32(badID[matEnd:], 1000) // first id's length
	tests := []struct {
		name  string
		data  []byte
		want  error
		field string
	}{
		{"magic", resum(append([]byte("RRRAIDY\x00"), b[8:]...)), ErrFormat, "magic"},
		{"version 0", put32(8, 0), ErrVersion, "version"},
		{"version 3", put32(8, 3), ErrVersion, "version"},
		{"reserved", put32(12, 1), ErrFormat, "reserved field"},
		{"d 0", put64(16, 0), ErrFormat, "d"},
		{"d huge", put64(16, 1<<40), ErrFormat, "d"},
		{"n·d overflows", put64(24, 1<<62), ErrFormat, "n"},
		{"n·d overflows int", put64(24, math.MaxInt64/3), ErrFormat, "n"},
		{"ids size too small", put64(32, 3), ErrFormat, "ids size"},
		{"ids size huge", put64(32, 1<<62), ErrFormat, "ids size"},
		{"n larger", put64(24, 5), ErrTruncated, "ids"},
		{"n much larger", func() []byte { c := put64(24, 100); binary.LittleEndian.PutUint64(c[32:], 1000); return resum(c) }(), ErrTruncated, "matrix"},
		{"id length", resum(badID), ErrFormat, "ids"},
		{"trailing data", append(slices.Clone(b), 0), ErrFormat, "checksum"},
	}
	for _, tc := range tests {
		_, errs := openAll(t, tc.data, LoadOptions{SkipChecksum: tc.name == "id length"})
		for i, err := range errs {
			if loaders[i].name == "Read" && tc.name == "trailing data" {
				if err != nil {
					t.Errorf("Read with trailing data: %v (it should stop after the checksum)", err)
				}
				continue
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), ": "+tc.field+": ") {
				t.Errorf("%s, %s: %v, want %v in field %q", tc.name, loaders[i].name, err, tc.want, tc.field)
			}
		}
	}
}

// TestReadError checks that a failing reader's error comes through.
func TestReadError(t *testing.T) {
	b, _, _ := fileBytes(t)
	boom := errors.New("boom")
	_, err := Read(&failReader{data: b[:100], err: boom})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "matrix") {
		t.Errorf("error %v, want boom in the matrix", err)
	}
}

type failReader struct {
	data []byte
	err  error
}

func (r *failReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestMetadata checks the metadata section (format version 2): it round
// trips through every loader, an index without it is written as version 1
// (what earlier builds wrote), and a corrupt or oversized section is
// refused by name.
func TestMetadata(t *testing.T) {
	f := sampleFlat(t, 4, 3)
	var v1 bytes.Buffer
	if _, err := f.WriteTo(&v1); err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint32(v1.Bytes()[8:]); v != 1 {
		t.Errorf("an index without metadata is written as version %d, want 1", v)
	}
	meta := map[string]string{"model_sha256": "abc", "corpus_sha256": "def", "note": "ünïcode"}
	f.SetMeta(meta)
	meta["model_sha256"] = "changed after SetMeta"
	var v2 bytes.Buffer
	if _, err := f.WriteTo(&v2); err != nil {
		t.Fatal(err)
	}
	b := v2.Bytes()
	if v := binary.LittleEndian.Uint32(b[8:]); v != 2 {
		t.Errorf("an index with metadata is written as version %d, want 2", v)
	}
	path, errs := openAll(t, b, LoadOptions{})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", loaders[i].name, err)
		}
		g, _ := loaders[i].load(path, LoadOptions{})
		got := g.Meta()
		if got["model_sha256"] != "abc" || got["corpus_sha256"] != "def" || got["note"] != "ünïcode" || len(got) != 3 {
			t.Errorf("%s: metadata %v", loaders[i].name, got)
		}
		if d := sameFlat(f, g); d != "" {
			t.Errorf("%s: %s", loaders[i].name, d)
		}
		g.Close()
	}
	metaStart := len(v1.Bytes()) - crcSize
	notJSON := slices.Clone(b)
	notJSON[metaStart] = '['
	huge := slices.Clone(b)
	binary.LittleEndian.PutUint64(huge[40:], maxMeta+1)
	for _, tc := range []struct {
		name  string
		data  []byte
		want  error
		field string
	}{
		{"metadata not JSON", resum(notJSON), ErrFormat, "metadata"},
		{"metadata size huge", resum(huge), ErrFormat, "metadata size"},
		{"metadata truncated", resum(b[:len(b)-8]), ErrTruncated, "metadata"},
	} {
		_, errs := openAll(t, tc.data, LoadOptions{})
		for i, err := range errs {
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), ": "+tc.field+": ") {
				t.Errorf("%s, %s: %v, want %v in field %q", tc.name, loaders[i].name, err, tc.want, tc.field)
			}
		}
	}
}
