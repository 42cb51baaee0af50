package beir

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/rrra/rrra/retrieval/datasets"
)

// Open resolves a --data argument: an existing directory is opened as a BEIR
// folder; otherwise spec names an embedded collection ("cranfield",
// "scifact"). The returned name is what errors call the folder.
func Open(spec string) (fsys fs.FS, name string, err error) {
	if st, err := os.Stat(spec); err == nil {
		if !st.IsDir() {
			return nil, "", fmt.Errorf("beir: %s is not a directory", spec)
		}
		return os.DirFS(spec), spec, nil
	}
	fsys, err = datasets.Open(spec)
	if err != nil {
		return nil, "", fmt.Errorf("beir: %s is neither a directory nor an embedded collection %v", spec, datasets.Names())
	}
	return fsys, "embedded:" + spec, nil
}

// A Dataset is a BEIR folder: its corpus, its queries and access to its
// qrels splits.
type Dataset struct {
	Name    string // the folder, as errors name it
	Corpus  *Corpus
	Queries *Queries
	Stats   []*Stats // the corpus's and the queries' reading statistics

	fsys fs.FS
	opts Options
}

// Load reads the corpus (corpus.jsonl, or corpus.jsonl.gz when that is what
// the folder has) and queries.jsonl of the BEIR folder fsys; name is how
// errors name the folder.
func Load(fsys fs.FS, name string, opts Options) (*Dataset, error) {
	d := &Dataset{Name: name, fsys: fsys, opts: opts}
	err := d.read("corpus.jsonl", func(r io.Reader, file string) (*Stats, error) {
		c, st, err := ReadCorpus(r, file, opts)
		d.Corpus = c
		return st, err
	})
	if err != nil {
		return nil, err
	}
	err = d.read("queries.jsonl", func(r io.Reader, file string) (*Stats, error) {
		q, st, err := ReadQueries(r, file, opts)
		d.Queries = q
		return st, err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Read opens the collection spec, a BEIR folder or an embedded
// collection's name (see Open), and loads it (see Load) in one call.
func Read(spec string, opts Options) (*Dataset, error) {
	fsys, name, err := Open(spec)
	if err != nil {
		return nil, err
	}
	return Load(fsys, name, opts)
}

// read opens file, or file+".gz" decompressed, and hands it to fn.
func (d *Dataset) read(file string, fn func(io.Reader, string) (*Stats, error)) error {
	f, err := d.fsys.Open(file)
	full := path.Join(d.Name, file)
	var r io.Reader = f
	if errors.Is(err, fs.ErrNotExist) {
		f, err = d.fsys.Open(file + ".gz")
		full += ".gz"
		if err == nil {
			zr, zerr := gzip.NewReader(f)
			if zerr != nil {
				f.Close()
				return fmt.Errorf("beir: %s: %w", full, zerr)
			}
			r = zr
		}
	}
	if err != nil {
		return fmt.Errorf("beir: %s: %w", path.Join(d.Name, file), err)
	}
	defer f.Close()
	st, err := fn(r, full)
	if st != nil {
		d.Stats = append(d.Stats, st)
	}
	return err
}

// Splits returns the qrels splits the folder has (the names of
// qrels/*.tsv without the extension), sorted.
func (d *Dataset) Splits() []string {
	entries, err := fs.ReadDir(d.fsys, "qrels")
	if err != nil {
		return nil
	}
	var s []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".tsv"); ok && !e.IsDir() {
			s = append(s, n)
		}
	}
	sort.Strings(s)
	return s
}

// Qrels reads qrels/<split>.tsv, checking every row against the corpus and
// the queries.
func (d *Dataset) Qrels(split string) (Qrels, *Stats, error) {
	file := path.Join("qrels", split+".tsv")
	f, err := d.fsys.Open(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("beir: %s has no split %q (have %v)", d.Name, split, d.Splits())
		}
		return nil, nil, fmt.Errorf("beir: %w", err)
	}
	defer f.Close()
	return ReadQrels(f, path.Join(d.Name, file), d.Queries, d.Corpus, d.opts)
}

// SplitQueries returns the queries judged in qrels, in the order of the
// queries file.
func (d *Dataset) SplitQueries(qrels Qrels) []Query {
	var out []Query
	for _, q := range d.Queries.List {
		if _, ok := qrels[q.ID]; ok {
			out = append(out, q)
		}
	}
	return out
}
