package retrieval

import (
	"strings"
	"testing"
)

func TestMemoryPlan(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{{"512MiB", 512 << 20}, {"2GiB", 2 << 30}, {"1.5KB", 1500}, {"4096", 4096}, {" 3 MB ", 3e6}} {
		if got, err := ParseBytes(c.in); err != nil || got != c.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "-1MiB", "0", "lots", "1e30TiB"} {
		if _, err := ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%q) accepted", bad)
		}
	}
	if _, err := NewMemoryPlan(-1, "", nil); err == nil {
		t.Error("a negative limit accepted")
	}
	// No limit: nothing is checked.
	p, err := NewMemoryPlan(0, "", nil)
	if err != nil || p.Vectors(1000, 1<<20, 1024) != nil {
		t.Fatalf("without a limit: %v", err)
	}
	// A 40 MiB limit: the runtime's 32 MiB fit, 8 MiB of vectors do not.
	p, err = NewMemoryPlan(40<<20, "--max-memory", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Vectors(1, 1000, 1000); err != nil {
		t.Fatalf("3.8 MiB of vectors: %v", err)
	}
	err = p.Vectors(2, 1000, 1000)
	if err == nil || !strings.Contains(err.Error(), "exceeds --max-memory 40.0 MiB") || !strings.Contains(err.Error(), "runtime 32.0 MiB") {
		t.Fatalf("over the limit: %v", err)
	}
}
