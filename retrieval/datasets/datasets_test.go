package datasets

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"strings"
	"testing"
)

// TestChecksums checks every embedded file against the sha256 that the
// collection's README states for the uncompressed file, so that a corrupted
// or edited copy cannot go unnoticed.
func TestChecksums(t *testing.T) {
	want := map[string]string{
		"cranfield/corpus.jsonl":    "75fb474b7d43175126a72850a4930d1aebd64bcf3fa6f8ec21d50a974c6bf7ec",
		"cranfield/queries.jsonl":   "70914f4cee2b861959813356b008b8c61b78400e4de7e03193c3ea0cff72a63f",
		"cranfield/qrels/train.tsv": "d5c3b6b47e2504f026330d91b528a9accb9ec75ce0e23bfe90b3b25ee234376b",
		"cranfield/qrels/test.tsv":  "6d1c50f914b8528c868b8cbdf098a89aa6b1c63937934a78bba074b5316d43fb",
		"scifact/corpus.jsonl":      "f0d32db0d156b526d75921ed7a76f2cb912902631c87248c5c97c617bad0b60c",
		"scifact/queries.jsonl":     "9db7df096f7414435d52bafcbacf814c30cea50eb565c1e8fa6d11440759bba8",
		"scifact/qrels/train.tsv":   "ac0902d9b1cb717df182aaff1306175877fdb8f55bb5c3e8597ad694fc8e539f",
		"scifact/qrels/test.tsv":    "68c0ac63f1c24b9e8ce497649694f09b2d0850bab7ec2b103cc66996f5f8b3a3",
	}
	for _, tc := range []struct{ name, path string }{
		{"cranfield", "corpus.jsonl"}, {"cranfield", "queries.jsonl"},
		{"cranfield", "qrels/train.tsv"}, {"cranfield", "qrels/test.tsv"},
		{"scifact", "corpus.jsonl"}, {"scifact", "queries.jsonl"},
		{"scifact", "qrels/train.tsv"}, {"scifact", "qrels/test.tsv"},
	} {
		fsys, err := Open(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader
		f, err := fsys.Open(tc.path)
		if err != nil {
			f, err = fsys.Open(tc.path + ".gz")
			if err != nil {
				t.Fatalf("%s/%s: %v", tc.name, tc.path, err)
			}
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatalf("%s/%s.gz: %v", tc.name, tc.path, err)
			}
			r = zr
		} else {
			r = f
		}
		h := sha256.New()
		if _, err := io.Copy(h, r); err != nil {
			t.Fatalf("%s/%s: %v", tc.name, tc.path, err)
		}
		f.Close()
		key := tc.name + "/" + tc.path
		if got := hex.EncodeToString(h.Sum(nil)); got != want[key] {
			t.Errorf("%s: sha256 %s, README says %s", key, got, want[key])
		}
	}
}

func TestOpen(t *testing.T) {
	if got := Names(); len(got) != 2 || got[0] != "cranfield" || got[1] != "scifact" {
		t.Fatalf("Names() = %v", got)
	}
	if _, err := Open("msmarco"); err == nil {
		t.Fatal("Open(msmarco) succeeded")
	}
	fsys, err := Open("cranfield")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(fsys, "README.md"); err != nil {
		t.Fatal(err)
	}
}

// TestSciFactOverlap pins a fact README and docs/quality.md quote beside the SciFact
// figure: 196 of the 300 test claims share a relevant abstract with the
// training claims.
func TestSciFactOverlap(t *testing.T) {
	fsys, err := Open("scifact")
	if err != nil {
		t.Fatal(err)
	}
	docsOf := func(split string) map[string][]string {
		b, err := fs.ReadFile(fsys, "qrels/"+split+".tsv")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string][]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
			f := strings.Split(line, "\t")
			m[f[0]] = append(m[f[0]], f[1])
		}
		return m
	}
	train := map[string]bool{}
	for _, docs := range docsOf("train") {
		for _, d := range docs {
			train[d] = true
		}
	}
	test := docsOf("test")
	shared := 0
	for _, docs := range test {
		for _, d := range docs {
			if train[d] {
				shared++
				break
			}
		}
	}
	if shared != 196 || len(test) != 300 {
		t.Errorf("%d of %d test claims share a relevant abstract with training claims; README and docs/quality.md say 196 of 300", shared, len(test))
	}
}
