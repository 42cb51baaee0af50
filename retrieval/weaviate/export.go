package weaviate

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"

	"github.com/rrra/rrra/internal/atomicfile"
)

// namespace is the UUID namespace of rrra's object ids (a version-4 UUID
// drawn once).
var namespace = [16]byte{0x6f, 0x1c, 0x2e, 0x4b, 0x93, 0x0a, 0x4d, 0x5e, 0xa2, 0x7f, 0x31, 0xc8, 0x5d, 0x04, 0xe9, 0xb6}

// ObjectID returns the id of document docID in class: a name-based
// (version 5, SHA-1) UUID of the class and the document id, so that the
// same document always lands on the same object.
func ObjectID(class, docID string) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte(class))
	h.Write([]byte{0})
	h.Write([]byte(docID))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// Meta keys Export records besides the caller's.
const (
	// MetaDim is the vectors' dimension.
	MetaDim = "dim"
	// MetaDocuments is the number of documents exported.
	MetaDocuments = "documents"
)

// ExportOptions are Export's settings.
type ExportOptions struct {
	// Class is how the class is created when it does not exist.
	Class ClassConfig
	// Batch is the number of objects per request (0: 256; at most
	// 10,000).
	Batch int
	// State is a file in which Export records how far it got after each
	// batch, and from which a later Export of the same collection to
	// the same class resumes; it is removed when the export completes.
	// "" records nothing: a rerun starts over, which is safe (an import
	// is idempotent) but repeats the work.
	State string
	// Progress, when not nil, is called after each batch with the
	// documents done and in all.
	Progress func(done, total int)
}

// ExportReport says what Export did.
type ExportReport struct {
	Created  bool // the class was created by this call
	Resumed  int  // documents found done by an earlier call (State)
	Sent     int  // documents sent by this call
	Verified int  // documents checked in the vector index (see Export)
	Repaired int  // of those, missing from it or with another vector, deleted and sent again
	Count    int  // objects in the class at the end
}

// exportState is the State file's content.
type exportState struct {
	Target string            `json:"target"`
	Meta   map[string]string `json:"meta"`
	Done   int               `json:"done"`
	// Verify are the ranges of documents [lo, hi) still to be sent again
	// and checked in the vector index: each the batch an earlier export
	// may have had in flight when it was killed.
	Verify [][2]int `json:"verify,omitempty"`
}

// Export imports the collection (document ids, texts and vectors, row i
// of vecs, of dimension dim, for document i) into the client's class,
// creating the class when it does not exist, and recording meta (rrra's
// model and corpus fingerprints, say) with the dimension and document
// count in its description. A class that exists must have been made by
// an export of the same collection (the same meta): vectors of another
// model, or another corpus, are refused rather than mixed. Documents are
// sent in batches, in order; each object's id is derived from its
// document id (ObjectID), so sending a document again replaces it, and
// an export killed at any point is finished by running it again (from
// the last recorded batch with opts.State). At the end the class must
// hold exactly the collection's documents.
//
// A killed export leaves its last request behind: the server goes on
// importing that batch after the client is gone, and Weaviate (1.35.2,
// seen with a flat index) can drop an object from its vector index when
// two imports of it overlap, while the object itself stays, counted.
// Sending it again does not help: an object sent with the vector it has
// is left as it is. So when the class exists already, the batch that a
// killed export may have had in flight (the first not recorded done) is
// sent last, after the rest, and then each of its documents is looked up
// in the vector index (a nearVector search filtered to the document);
// one that is missing or holds another vector is deleted and sent again,
// and checked once more.
func Export(ctx context.Context, c *Client, ids, texts []string, vecs []float32, dim int, meta map[string]string, opts ExportOptions) (ExportReport, error) {
	var rep ExportReport
	n := len(ids)
	if len(texts) != n || dim < 1 || len(vecs) != n*dim {
		return rep, fmt.Errorf("weaviate: export: %d ids, %d texts and %d floats for vectors of dimension %d", n, len(texts), len(vecs), dim)
	}
	if n == 0 {
		return rep, errors.New("weaviate: export: no documents")
	}
	if opts.Batch == 0 {
		opts.Batch = 256
	}
	if opts.Batch < 1 || opts.Batch > MaxK {
		return rep, fmt.Errorf("weaviate: export: batch %d: want 1 to %d", opts.Batch, MaxK)
	}
	if err := opts.Class.check(); err != nil {
		return rep, err
	}
	meta = maps.Clone(meta)
	if meta == nil {
		meta = make(map[string]string)
	}
	meta[MetaDim], meta[MetaDocuments] = strconv.Itoa(dim), strconv.Itoa(n)

	cl, err := c.Class(ctx)
	if err != nil {
		return rep, err
	}
	switch {
	case cl == nil:
		if err := c.CreateClass(ctx, opts.Class, meta); err != nil {
			return rep, fmt.Errorf("weaviate %s: creating the class: %w", c.target, err)
		}
		rep.Created = true
	case cl.Meta == nil:
		return rep, fmt.Errorf("weaviate %s: the class exists and was not made by rrra export: export to another class", c.target)
	case !maps.Equal(cl.Meta, meta):
		return rep, fmt.Errorf("weaviate %s: the class holds another collection's vectors (%s): export to another class, or delete this one first", c.target, metaDiff(cl.Meta, meta))
	case cl.Index != opts.Class.Index:
		return rep, fmt.Errorf("weaviate %s: the class has a %s index, not %s: export to another class, or delete this one first", c.target, cl.Index, opts.Class.Index)
	}

	objects := func(lo, hi int) []Object {
		batch := make([]Object, hi-lo)
		for i := range batch {
			d := lo + i
			batch[i] = Object{DocID: ids[d], Text: texts[d], Vector: vecs[d*dim : (d+1)*dim]}
		}
		return batch
	}
	start := 0
	var verify [][2]int
	if !rep.Created {
		if opts.State != "" {
			if start, verify, err = readState(opts.State, c.target, meta, n); err != nil {
				return rep, err
			}
			rep.Resumed = start
		}
		if start < n {
			verify = append(verify, [2]int{start, min(n, start+opts.Batch)})
			start = min(n, start+opts.Batch)
		}
	}
	save := func(done int) error {
		if opts.State == "" {
			return nil
		}
		b, _ := json.Marshal(exportState{c.target.String(), meta, done, verify})
		if err := atomicfile.Write(opts.State, b); err != nil {
			return fmt.Errorf("weaviate: export: recording progress: %w", err)
		}
		return nil
	}
	if err := save(start); err != nil {
		return rep, err
	}
	for lo := start; lo < n; lo += opts.Batch {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		hi := min(n, lo+opts.Batch)
		if err := c.Import(ctx, objects(lo, hi)); err != nil {
			return rep, fmt.Errorf("documents %d to %d: %w", lo, hi-1, err)
		}
		rep.Sent += hi - lo
		if err := save(hi); err != nil {
			return rep, err
		}
		if opts.Progress != nil {
			opts.Progress(hi, n)
		}
	}
	for _, r := range verify {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if err := c.Import(ctx, objects(r[0], r[1])); err != nil {
			return rep, fmt.Errorf("documents %d to %d: %w", r[0], r[1]-1, err)
		}
		rep.Sent += r[1] - r[0]
		for d := r[0]; d < r[1]; d++ {
			v := vecs[d*dim : (d+1)*dim]
			ok, err := indexed(ctx, c, ids[d], v)
			if err != nil {
				return rep, err
			}
			rep.Verified++
			if ok {
				continue
			}
			rep.Repaired++
			if err := c.DeleteObject(ctx, ids[d]); err != nil {
				return rep, fmt.Errorf("document %q, missing from the vector index: deleting it to send it again: %w", ids[d], err)
			}
			if err := c.Import(ctx, objects(d, d+1)); err != nil {
				return rep, fmt.Errorf("document %q, missing from the vector index: sending it again: %w", ids[d], err)
			}
			if ok, err = indexed(ctx, c, ids[d], v); err != nil {
				return rep, err
			} else if !ok {
				return rep, fmt.Errorf("weaviate %s: document %q is still missing from the vector index after it was deleted and sent again", c.target, ids[d])
			}
		}
	}
	if opts.Progress != nil && len(verify) > 0 {
		opts.Progress(n, n)
	}
	if rep.Count, err = c.Count(ctx); err != nil {
		return rep, err
	}
	if rep.Count != n {
		return rep, fmt.Errorf("weaviate %s: the class holds %d objects after the export of %d documents", c.target, rep.Count, n)
	}
	if opts.State != "" {
		if err := os.Remove(opts.State); err != nil && !errors.Is(err, os.ErrNotExist) {
			return rep, err
		}
	}
	return rep, nil
}

// indexed reports whether the class's vector index holds document docID
// with the vector v.
func indexed(ctx context.Context, c *Client, docID string, v []float32) (bool, error) {
	got, err := c.Indexed(ctx, docID, v)
	if err != nil {
		return false, fmt.Errorf("checking document %q in the vector index: %w", docID, err)
	}
	return got != nil && slices.Equal(got, v), nil
}

// readState returns the documents an earlier export recorded as done in
// the state file path, and the ranges it left to verify: 0 and none when
// there is no file; an error when it records an export of something
// else.
func readState(path string, t Target, meta map[string]string, n int) (int, [][2]int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	var st exportState
	if err := json.Unmarshal(b, &st); err != nil {
		return 0, nil, fmt.Errorf("%s: not an rrra export state: %w", path, err)
	}
	if st.Target != t.String() || !maps.Equal(st.Meta, meta) {
		return 0, nil, fmt.Errorf("%s: records an export of another collection or to %s, not %s: remove it to start over", path, st.Target, t)
	}
	if st.Done < 0 || st.Done > n {
		return 0, nil, fmt.Errorf("%s: field done: %d documents of %d", path, st.Done, n)
	}
	for _, r := range st.Verify {
		if r[0] < 0 || r[0] >= r[1] || r[1] > n {
			return 0, nil, fmt.Errorf("%s: field verify: range %d to %d of %d documents", path, r[0], r[1], n)
		}
	}
	return st.Done, st.Verify, nil
}

// metaDiff names the first key on which two records differ.
func metaDiff(have, want map[string]string) string {
	for _, k := range []string{"model_sha256", "corpus_sha256", MetaDim, MetaDocuments} {
		if have[k] != want[k] {
			return fmt.Sprintf("%s %.16s, this export's %.16s", k, have[k], want[k])
		}
	}
	for k, v := range want {
		if have[k] != v {
			return fmt.Sprintf("%s %.16s, this export's %.16s", k, have[k], v)
		}
	}
	for k, v := range have {
		if _, ok := want[k]; !ok {
			return fmt.Sprintf("%s %.16s, not in this export's", k, v)
		}
	}
	return "the same record"
}
