package main

import (
	"fmt"
	"io"

	"github.com/rrra/rrra/retrieval"
)

// memPlan is the bound --max-memory checks (retrieval.MemoryPlan; its
// terms are measured against peak RSS in docs/memory.md).
type memPlan = retrieval.MemoryPlan

// newMemPlan parses a --max-memory value ("" for none).
func newMemPlan(spec string, stderr io.Writer) (*memPlan, error) {
	var n int64
	if spec != "" {
		var err error
		if n, err = parseBytes(spec); err != nil {
			return nil, fmt.Errorf("--max-memory: %w", err)
		}
	}
	return retrieval.NewMemoryPlan(n, "--max-memory", stderr)
}

// parseBytes reads a size such as 512MiB (retrieval.ParseBytes).
func parseBytes(s string) (int64, error) { return retrieval.ParseBytes(s) }
