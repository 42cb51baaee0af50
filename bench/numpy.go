package bench

import (
	"bufio"
	_ "embed" // for NumpyScript
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// NumpyScript is the source of sgemm_numpy.py, the numpy timing server; it
// is run with "python -I -c NumpyScript", so the harness works from any
// directory.
//
//go:embed sgemm_numpy.py
var NumpyScript string

// DefaultPython is Debian's interpreter, the one python3-numpy installs into.
const DefaultPython = "/usr/bin/python3"

// NumpyHello is what the numpy server reports about itself at start-up.
type NumpyHello struct {
	Numpy      string            `json:"numpy"`
	NumpyPath  string            `json:"numpy_path"`
	Python     string            `json:"python"`
	Executable string            `json:"executable"`
	EnvThreads map[string]string `json:"env_threads"`
	// BLAS is "OpenBLAS", "BLIS", "reference BLAS" or "unknown": the
	// library numpy's matmul calls, found from the process's memory map.
	BLAS     string   `json:"blas"`
	BLASPath string   `json:"blas_path"`
	BLASLibs []string `json:"blas_libs"`
	// OpenBLAS details, from openblas_get_config and friends via ctypes.
	OpenBLASConfig  string `json:"openblas_config"`
	OpenBLASCore    string `json:"openblas_core"`
	OpenBLASThreads *int   `json:"openblas_threads"`
}

// IsOpenBLAS reports whether numpy's BLAS is OpenBLAS.
func (h NumpyHello) IsOpenBLAS() bool { return h.BLAS == "OpenBLAS" }

// Describe returns a one-line account of numpy and its BLAS.
func (h NumpyHello) Describe() string {
	s := fmt.Sprintf("numpy %s (Python %s, %s)", h.Numpy, h.Python, h.NumpyPath)
	switch {
	case h.IsOpenBLAS():
		s += "; BLAS: " + h.OpenBLASConfig
		if h.OpenBLASCore != "" {
			s += ", core " + h.OpenBLASCore
		}
		s += " (" + h.BLASPath + ")"
	case h.BLASPath != "":
		s += fmt.Sprintf("; BLAS: %s (%s)", h.BLAS, h.BLASPath)
	default:
		s += "; BLAS: " + h.BLAS
	}
	return s
}

// numpyReply is the server's answer to one timing request.
type numpyReply struct {
	OK      bool    `json:"ok"`
	Seconds float64 `json:"seconds"`
	Reps    int     `json:"reps"`
	Error   string  `json:"error"`
}

// numpyRequest asks the server to time one shape.
type numpyRequest struct {
	Kind       string  `json:"kind"`
	Trans      string  `json:"trans"`
	M          int     `json:"m"`
	N          int     `json:"n"`
	K          int     `json:"k"`
	Batch      int     `json:"batch"`
	MinSeconds float64 `json:"min_seconds"`
}

// NumpyEnv returns environ for a numpy server limited to threads BLAS
// threads: the thread-count variables are replaced, and OPENBLAS_CORETYPE
// and OPENBLAS_L2_SIZE are removed so that OpenBLAS picks its own kernels.
func NumpyEnv(environ []string, threads int) []string {
	drop := map[string]bool{
		"OPENBLAS_CORETYPE": true, "OPENBLAS_L2_SIZE": true,
		"OPENBLAS_NUM_THREADS": true, "OMP_NUM_THREADS": true,
		"GOTO_NUM_THREADS": true, "BLIS_NUM_THREADS": true, "MKL_NUM_THREADS": true,
	}
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	t := strconv.Itoa(threads)
	return append(out, "OPENBLAS_NUM_THREADS="+t, "OMP_NUM_THREADS="+t, "BLIS_NUM_THREADS="+t)
}

// NumpyServer is a running sgemm_numpy.py.
type NumpyServer struct {
	Hello  NumpyHello // what the server said at start-up
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *tailBuffer
}

// StartNumpy starts the numpy server under python with threads BLAS threads
// and reads its hello line. It fails, with the interpreter's last words,
// when python or numpy is missing.
func StartNumpy(python string, threads int, environ []string) (*NumpyServer, error) {
	if _, err := exec.LookPath(python); err != nil {
		return nil, fmt.Errorf("no %s: %w", python, err)
	}
	s := &NumpyServer{stderr: &tailBuffer{max: 4096}}
	s.cmd = exec.Command(python, "-I", "-c", NumpyScript)
	s.cmd.Env = NumpyEnv(environ, threads)
	s.cmd.Stderr = s.stderr
	var err error
	if s.in, err = s.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.out = bufio.NewReader(stdout)
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	line, err := s.out.ReadBytes('\n')
	if err != nil {
		s.Close()
		return nil, s.failure("no hello from %s", python)
	}
	if err := json.Unmarshal(line, &s.Hello); err != nil {
		s.Close()
		return nil, fmt.Errorf("bad hello %q: %w", line, err)
	}
	return s, nil
}

// Time asks the server to time sh as np.matmul and returns seconds per
// call, following the same rule as Time.
func (s *NumpyServer) Time(sh Shape, minTime time.Duration) (float64, error) {
	req, err := json.Marshal(numpyRequest{Kind: "gemm", Trans: sh.Trans, M: sh.M, N: sh.N, K: sh.K,
		Batch: sh.Products(), MinSeconds: minTime.Seconds()})
	if err != nil {
		return 0, err
	}
	if _, err := s.in.Write(append(req, '\n')); err != nil {
		return 0, s.failure("numpy server: %v", err)
	}
	line, err := s.out.ReadBytes('\n')
	if err != nil {
		return 0, s.failure("numpy server: %v", err)
	}
	return parseReply(line)
}

// parseReply decodes one reply line into seconds per call.
func parseReply(line []byte) (float64, error) {
	var r numpyReply
	if err := json.Unmarshal(line, &r); err != nil {
		return 0, fmt.Errorf("numpy server: bad reply %q: %w", line, err)
	}
	if !r.OK {
		return 0, fmt.Errorf("numpy server: %s", r.Error)
	}
	if r.Seconds <= 0 {
		return 0, fmt.Errorf("numpy server: non-positive time in %q", line)
	}
	return r.Seconds, nil
}

// Close asks the server to quit and waits for it, killing it after a few
// seconds.
func (s *NumpyServer) Close() error {
	if s.in != nil {
		_, _ = io.WriteString(s.in, `{"kind":"quit"}`+"\n")
		_ = s.in.Close()
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		return <-done
	}
}

// failure builds an error that ends with the last line the interpreter
// wrote on stderr, e.g. "ModuleNotFoundError: No module named 'numpy'".
func (s *NumpyServer) failure(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if last := s.stderr.lastLine(); last != "" {
		msg += ": " + last
	}
	return errors.New(msg)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) lastLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(t.b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
