package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestParseBytes(t *testing.T) {
	cases := []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20}, {"512MiB", 512 << 20}, {"2GiB", 2 << 30}, {"1.5 GiB", 3 << 29}, {"3KB", 3000}, {"2GB", 2e9}, {"100B", 100},
		{"", -1}, {"0", -1}, {"-1MiB", -1}, {"lots", -1}, {"2XiB", -1}, {"1e300TiB", -1}, {"NaN", -1},
	}
	for _, c := range cases {
		got, err := parseBytes(c.in)
		if c.want < 0 {
			if err == nil {
				t.Errorf("parseBytes(%q) = %d, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

// TestMemoryBound runs index, BM25 search and dense search in child
// processes with a generous --max-memory and checks that each one's peak
// resident memory (VmHWM, which the child reports as it exits) stays under the bound it printed;
// then that a limit under the bound stops index with an error listing the
// terms, exit code 1 and no index file.
func TestMemoryBound(t *testing.T) {
	requireE2E(t)
	if runtime.GOOS != "linux" {
		t.Skip("reads maxrss as Linux reports it (KiB)")
	}
	if testing.Short() {
		t.Skip("trains the quick demo's model: full suite only")
	}
	dir := t.TempDir()
	rrra(t, "demo", "--quick", "--out", dir)
	model := filepath.Join(dir, "model")
	idx := filepath.Join(dir, "c.idx")
	est := regexp.MustCompile(`memory: estimated peak ([0-9.]+) MiB`)
	for _, args := range [][]string{
		{"index", "--model", model, "--out", idx},
		{"search", "--method", "bm25", "--out", filepath.Join(dir, "bm25.trec")},
		{"search", "--method", "dense", "--model", model, "--index", idx, "--out", filepath.Join(dir, "dense.trec")},
	} {
		cmd := child(t, append(args, "--max-memory", "64GiB")...)
		finish(t, cmd)
		m := est.FindAllStringSubmatch(cmd.Stderr.(*bytes.Buffer).String(), -1)
		if m == nil {
			t.Fatalf("rrra %s printed no estimate:\n%s", strings.Join(args, " "), cmd.Stderr.(*bytes.Buffer).String())
		}
		bound, _ := strconv.ParseFloat(m[len(m)-1][1], 64)
		hwm := regexp.MustCompile(`VmHWM:\s+([0-9]+) kB`).FindStringSubmatch(cmd.Stderr.(*bytes.Buffer).String())
		if hwm == nil {
			t.Fatal("the child did not report its VmHWM")
		}
		kb, _ := strconv.ParseFloat(hwm[1], 64)
		peak := kb / 1024
		t.Logf("rrra %s: peak RSS %.1f MiB, bound %.1f MiB", args[0]+" "+args[1]+" "+args[2], peak, bound)
		if peak > bound {
			t.Errorf("rrra %s: peak RSS %.1f MiB is over the bound %.1f MiB", strings.Join(args, " "), peak, bound)
		}
	}
	out := filepath.Join(dir, "refused.idx")
	cmd := child(t, "index", "--model", model, "--out", out, "--max-memory", "40MiB")
	err := cmd.Wait()
	msg := cmd.Stderr.(*bytes.Buffer).String()
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(msg, "exceeds --max-memory 40.0 MiB") || !strings.Contains(msg, "encoder") {
		t.Fatalf("index under a 40 MiB limit: %v, exit %d:\n%s", err, cmd.ProcessState.ExitCode(), msg)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused index left %s behind", out)
	}
}
