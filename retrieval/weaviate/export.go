package weaviate

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
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
	Created bool // the class was created by this call
	Resumed int  // documents found done by an earlier call (State)
	Sent    int  // documents sent by this call
	Count   int  // objects in the class at the end
}

// exportState is the State file's content.
type exportState struct {
	Target string            `json:"target"`
	Meta   map[string]string `json:"meta"`
	Done   int               `json:"done"`
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

	start := 0
	if opts.State != "" && !rep.Created {
		if start, err = readState(opts.State, c.target, meta, n); err != nil {
			return rep, err
		}
		rep.Resumed = start
	}
	for lo := start; lo < n; lo += opts.Batch {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		hi := min(n, lo+opts.Batch)
		batch := make([]Object, hi-lo)
		for i := range batch {
			d := lo + i
			batch[i] = Object{DocID: ids[d], Text: texts[d], Vector: vecs[d*dim : (d+1)*dim]}
		}
		if err := c.Import(ctx, batch); err != nil {
			return rep, fmt.Errorf("documents %d to %d: %w", lo, hi-1, err)
		}
		rep.Sent += hi - lo
		if opts.State != "" {
			b, _ := json.Marshal(exportState{c.target.String(), meta, hi})
			if err := atomicfile.Write(opts.State, b); err != nil {
				return rep, fmt.Errorf("weaviate: export: recording progress: %w", err)
			}
		}
		if opts.Progress != nil {
			opts.Progress(hi, n)
		}
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

// readState returns the documents an earlier export recorded as done in
// the state file path: 0 when there is no file; an error when it records
// an export of something else.
func readState(path string, t Target, meta map[string]string, n int) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var st exportState
	if err := json.Unmarshal(b, &st); err != nil {
		return 0, fmt.Errorf("%s: not an rrra export state: %w", path, err)
	}
	if st.Target != t.String() || !maps.Equal(st.Meta, meta) {
		return 0, fmt.Errorf("%s: records an export of another collection or to %s, not %s: remove it to start over", path, st.Target, t)
	}
	if st.Done < 0 || st.Done > n {
		return 0, fmt.Errorf("%s: field done: %d documents of %d", path, st.Done, n)
	}
	return st.Done, nil
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
