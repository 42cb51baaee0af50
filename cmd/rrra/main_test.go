package main

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rrra/rrra/kernels"
)

func TestRunExitCodes(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"help"}, 0, "Commands:", ""},
		{nil, 2, "Commands:", ""},
		{[]string{"no-such"}, 2, "", `unknown command "no-such"`},
		{[]string{"info"}, 0, "selected:   " + kernels.Selected(), ""},
		{[]string{"info", "-bogus"}, 2, "", "flag provided but not defined"},
		{[]string{"info", "extra"}, 2, "", "unexpected arguments"},
		{[]string{"info", "-h"}, 0, "", "Usage: rrra info"},
		{[]string{"help", "info"}, 0, "", "Usage: rrra info"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := run(c.args, &out, &errb)
		if code != c.code {
			t.Errorf("rrra %v: exit %d, want %d (stderr %q)", c.args, code, c.code, errb.String())
		}
		if !strings.Contains(out.String(), c.inStdout) {
			t.Errorf("rrra %v: stdout %q lacks %q", c.args, out.String(), c.inStdout)
		}
		if !strings.Contains(errb.String(), c.inStderr) {
			t.Errorf("rrra %v: stderr %q lacks %q", c.args, errb.String(), c.inStderr)
		}
	}
}

func TestInfoJSON(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"info", "-json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r infoReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("info -json is not JSON: %v\n%s", err, out.String())
	}
	if r.Selected != kernels.Selected() || len(r.Tiers) != len(kernels.Tiers()) || r.GOMAXPROCS < 1 {
		t.Fatalf("info -json = %+v", r)
	}
}

// TestQuiet checks --quiet: a run's logs are held back, its results still
// written; a usage error still says what is wrong, with exit code 2; an
// error still reaches stderr, with exit code 1.
func TestQuiet(t *testing.T) {
	dir := t.TempDir()
	var out, errs bytes.Buffer
	if code := run([]string{"search", "--method", "bm25", "--out", dir + "/run.trec", "--quiet"}, &out, &errs); code != 0 || errs.Len() != 0 {
		t.Fatalf("quiet search: exit %d, stderr %q", code, errs.String())
	}
	if b, err := os.ReadFile(dir + "/run.trec"); err != nil || len(b) == 0 {
		t.Fatalf("quiet search wrote no run: %v", err)
	}
	errs.Reset()
	if code := run([]string{"search", "--quiet", "--kk", "0", "--out", dir + "/x"}, &out, &errs); code != 2 || !strings.Contains(errs.String(), "-kk") {
		t.Errorf("quiet usage error: exit %d, stderr %q", code, errs.String())
	}
	errs.Reset()
	if code := run([]string{"search", "--quiet=true", "--data", dir + "/missing", "--method", "bm25", "--out", dir + "/y"}, &out, &errs); code != 1 || !strings.Contains(errs.String(), "missing") {
		t.Errorf("quiet failure: exit %d, stderr %q", code, errs.String())
	}
	for _, c := range []struct {
		args []string
		want bool
	}{{[]string{"--quiet"}, true}, {[]string{"-quiet"}, true}, {[]string{"--quiet=false"}, false}, {[]string{"quiet"}, false}, {[]string{"--", "--quiet"}, false}} {
		if got := quietRequested(c.args); got != c.want {
			t.Errorf("quietRequested(%q) = %v", c.args, got)
		}
	}
}

// TestProgress checks the progress report off a terminal: one line per
// tenth of the task (not per update), each with the bar, the counts, the
// rate and the time left, and the last at 100%.
func TestProgress(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, "encoding", "docs", 200)
	for i := 1; i <= 200; i++ {
		p.update(i, "")
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 11 {
		t.Fatalf("%d lines for 200 updates, want one per tenth (11):\n%s", len(lines), b.String())
	}
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "encoding [========================] 200/200 docs") || !strings.Contains(last, "eta 0s") ||
		!strings.Contains(lines[5], "100/200 docs") || strings.Contains(b.String(), "\r") {
		t.Errorf("progress lines:\n%s", b.String())
	}
}

// TestClearLine checks that on a terminal each log line, and only the
// start of one, clears the progress line.
func TestClearLine(t *testing.T) {
	var b bytes.Buffer
	c := &clearLine{w: &b, tty: true}
	for _, s := range []string{"step 10\n", "eval:", " ndcg 0.1", "\n", "done\n"} {
		c.Write([]byte(s))
	}
	if want := "\r\033[Kstep 10\n\r\033[Keval: ndcg 0.1\n\r\033[Kdone\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// TestHelpExamples checks that every command's -h exits 0 with its usage
// and at least one example, and that every flag its examples use (of any
// rrra command they call) is one that command defines.
func TestHelpExamples(t *testing.T) {
	help := map[string]string{}
	names := []string{"index train", "index add", "index merge", "index calibrate"} // subcommands of index
	for _, c := range commands() {
		names = append(names, c.name)
	}
	for _, name := range names {
		var out, errb bytes.Buffer
		if code := run(append(strings.Fields(name), "-h"), &out, &errb); code != 0 {
			t.Fatalf("rrra %s -h: exit %d", name, code)
		}
		help[name] = errb.String()
	}
	for name, h := range help {
		if !strings.Contains(h, "Usage: rrra "+name) || !strings.Contains(h, "Example") {
			t.Errorf("rrra %s -h lacks its usage line or an example:\n%s", name, h)
		}
		n := 0
		for _, line := range strings.Split(h, "\n") {
			f := strings.Fields(line)
			for i := range f {
				if f[i] != "rrra" || i+1 >= len(f) {
					continue
				}
				cmd, args := f[i+1], f[i+2:]
				if i+2 < len(f) {
					if _, sub := help[cmd+" "+f[i+2]]; sub {
						cmd, args = cmd+" "+f[i+2], f[i+3:]
					}
				}
				callee, ok := help[cmd]
				if !ok || !strings.HasPrefix(line, "\t") || slices.ContainsFunc(f[:i], func(w string) bool { return !strings.Contains(w, "=") }) {
					continue // not a command line: prose, or words before rrra that are not VAR=value
				}
				n++
				for _, w := range args {
					if !strings.HasPrefix(w, "-") {
						continue
					}
					flag := "  -" + strings.TrimLeft(strings.SplitN(w, "=", 2)[0], "-")
					if !strings.Contains(callee, flag+" ") && !strings.Contains(callee, flag+"\n") {
						t.Errorf("rrra %s -h: example %q uses %s, which rrra %s does not define", name, strings.TrimSpace(line), w, cmd)
					}
				}
				break
			}
		}
		if n == 0 {
			t.Errorf("rrra %s -h: no example command line", name)
		}
	}
}
