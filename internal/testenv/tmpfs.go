package testenv

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
)

// SmallTmpfs mounts a tmpfs of size bytes (rounded up to whole pages by
// the kernel) on a new temporary directory and returns it, unmounted when
// the test ends: a disk that fills up, for tests of what a full disk
// does to a write. It skips the test, saying why, where that cannot be
// done: off Linux, not as root (CI runs as root), or when mount fails (a
// container without the right to mount).
func SmallTmpfs(t *testing.T, size int64) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("a full disk is simulated with a small tmpfs, which needs Linux (this is %s)", runtime.GOOS)
	}
	if os.Geteuid() != 0 {
		t.Skip("a full disk is simulated with a small tmpfs, whose mount needs root")
	}
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.FormatInt(size, 10), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("a full disk is simulated with a small tmpfs, but mount failed: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// FillDisk writes a file named filler in dir (on a small file system, see
// SmallTmpfs) until at most leave bytes are free there, and returns the
// free space it left. Writing stops at the first error (the disk is
// full).
func FillDisk(t *testing.T, dir string, leave int64) int64 {
	t.Helper()
	f, err := os.Create(dir + string(os.PathSeparator) + "filler")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		free, err := freeSpace(dir)
		if err != nil {
			t.Fatal(err)
		}
		if free <= leave {
			return free
		}
		n := min(int64(len(chunk)), free-leave)
		if _, err := f.Write(chunk[:n]); err != nil {
			free, _ = freeSpace(dir)
			return free
		}
	}
}
