package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rrra/rrra/nn"
	"github.com/rrra/rrra/retrieval"
)

// promptedMiniModel copies the test mini-model into dir/in with the
// prompts "query: " and "passage: " (config_sentence_transformers.json)
// and returns that folder.
func promptedMiniModel(t *testing.T, dir string) string {
	t.Helper()
	in := filepath.Join(dir, "in")
	if err := os.CopyFS(in, os.DirFS(filepath.Join("..", "..", "retrieval", "testdata", "mini-model"))); err != nil {
		t.Fatal(err)
	}
	prompts := `{"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": null}`
	if err := os.WriteFile(filepath.Join(in, nn.SentenceTransformersConfig), []byte(prompts), 0o644); err != nil {
		t.Fatal(err)
	}
	return in
}

// TestTrainKeepsFolder fine-tunes a model folder for two steps and checks
// that the saved folder keeps what the input folder said (pooling,
// prompts) unless a flag overrides it, and loads back with those settings.
func TestTrainKeepsFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on Cranfield twice (minutes under qemu): not under -short")
	}
	dir := t.TempDir()
	in := promptedMiniModel(t, dir)
	// The folder pools by CLS.
	meta, err := os.ReadFile(filepath.Join(in, nn.BiEncoderFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, nn.BiEncoderFile), []byte(strings.Replace(string(meta), `"mean"`, `"cls"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want nn.Pooling
	}{
		{"folder's pooling", nil, nn.PoolCLS},
		{"--pooling overrides", []string{"--pooling", "mean"}, nn.PoolMean},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			args := append([]string{"train", "--data", "cranfield", "--model", in, "--steps", "2", "--batch", "4", "--out", out, "--quiet"}, tc.args...)
			if code, _, stderr := cli(args...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			enc, err := retrieval.LoadEncoder(out, retrieval.EncoderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if enc.Bi.Pooling != tc.want || !enc.Bi.Normalize || enc.QueryPrompt != "query: " || enc.DocPrompt != "passage: " {
				t.Errorf("saved folder: pooling %v (want %v), normalize %v, prompts %q / %q", enc.Bi.Pooling, tc.want, enc.Bi.Normalize, enc.QueryPrompt, enc.DocPrompt)
			}
			if _, err := os.Stat(filepath.Join(out, "modules.json")); err != nil {
				t.Errorf("the saved folder is not a sentence-transformers folder: %v", err)
			}
		})
	}
}
