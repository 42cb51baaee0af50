//go:build !linux

package atomicdir

// swap puts the directory tmp in target's place and returns where the old
// contents went; without an atomic exchange, target is renamed aside
// first (see swapAside and the package comment for the window that
// leaves).
func swap(tmp, target string) (string, error) { return swapAside(tmp, target) }
