package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/nn/wordpiece"
)

func TestVocabCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "c.jsonl")
	var rows []string
	for i := 0; i < 20; i++ {
		rows = append(rows, `{"_id": "x", "title": "Boundary layers", "text": "simple shear flow past a flat plate in an incompressible fluid of small viscosity"}`)
	}
	os.WriteFile(in, []byte(strings.Join(rows, "\n")+"\n"), 0o644)
	out := filepath.Join(dir, "vocab.txt")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"vocab", "-input", in, "-out", out, "-size", "80", "-quiet"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	v, err := wordpiece.ReadVocabFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() > 80 {
		t.Errorf("%d tokens, asked for 80", v.Len())
	}
	tok := wordpiece.New(v, true)
	for _, id := range tok.Tokenize(nil, "Boundary layers simple shear flow past a flat plate") {
		if id == v.Unk {
			t.Fatal("training text tokenizes with [UNK]")
		}
	}
	if code := run([]string{"vocab", "-input", in}, &stdout, &stderr); code != 2 {
		t.Errorf("missing -out: exit %d", code)
	}
}
