package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "results.json")
	body := `{"data": "x", "seeds": 3, "methods": [{"method": "a", "ndcg_cut_10_per_query": {"q1": 0.5, "q2": 0.25}}, {"method": "b"}]}`
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	got, run, err := load(file + ":a")
	if err != nil || run != "x, 3 seeds" || len(got) != 2 || mean(got) != 0.375 {
		t.Fatalf("load: %v %q %v", got, run, err)
	}
	for _, bad := range []string{file, file + ":b", file + ":c", filepath.Join(dir, "none.json") + ":a"} {
		if _, _, err := load(bad); err == nil {
			t.Errorf("load(%q) succeeded", bad)
		}
	}
}
