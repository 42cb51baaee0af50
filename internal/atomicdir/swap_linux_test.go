package atomicdir

import (
	"path/filepath"
	"testing"

	"github.com/rrra/rrra/internal/testenv"
)

// TestSwapExchanges checks that on Linux the swap is the one-step
// exchange: the old contents come back under the temporary name, not a
// put-aside one.
func TestSwapExchanges(t *testing.T) {
	parent := t.TempDir()
	put(t, parent, map[string]string{"model/config.json": "old", ".model.tmp-1/config.json": "new"})
	tmp, target := filepath.Join(parent, ".model.tmp-1"), filepath.Join(parent, "model")
	old, err := swap(tmp, target)
	if err != nil {
		t.Fatal(err)
	}
	if got := testenv.Tree(t, target); got["config.json"] != "new" {
		t.Errorf("target holds %v", got)
	}
	if got := testenv.Tree(t, old); got["config.json"] != "old" {
		t.Errorf("%s holds %v", old, got)
	}
	if old != tmp {
		t.Skipf("this file system has no RENAME_EXCHANGE: the old contents were put aside at %s", old)
	}
}
