//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestSpecialFileWrittenInPlace checks that a target that is not a
// regular file (here a named pipe, as /dev/null or /dev/stdout would be)
// is written in place, not replaced by a regular file.
func TestSpecialFileWrittenInPlace(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// A reader that never blocks: opened read-write (so that neither
	// this open nor the writer's waits for the other end) and
	// non-blocking (so that an empty pipe reads as EAGAIN).
	fd, err := syscall.Open(fifo, syscall.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Skipf("open the pipe: %v", err)
	}
	defer syscall.Close(fd)
	want := "through the pipe"
	if err := Write(fifo, []byte(want)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, err := syscall.Read(fd, buf)
	if n < 0 {
		n = 0
	}
	if string(buf[:n]) != want {
		t.Errorf("the pipe holds %q (%v), want %q", buf[:n], err, want)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the pipe was replaced: %v %v", st.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
}
