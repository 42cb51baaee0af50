package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The README's tour is the part of README.md between these two markers.
// Inside it, every line of a fenced block opened by "```sh" is a command,
// except blank lines and lines starting with "#"; each command starts with
// "rrra " and runs, in order, in one empty folder, with bash. Prose and
// fenced blocks of another language between the markers are not run.
const (
	tourBegin = "<!-- tour:begin -->"
	tourEnd   = "<!-- tour:end -->"
)

// tourCommands returns the commands of the tour in readme, in order.
func tourCommands(readme string) ([]string, error) {
	if strings.Count(readme, tourBegin) != 1 || strings.Count(readme, tourEnd) != 1 {
		return nil, fmt.Errorf("want one %q and one %q", tourBegin, tourEnd)
	}
	begin := strings.Index(readme, tourBegin) + len(tourBegin)
	end := strings.Index(readme, tourEnd)
	if end < begin {
		return nil, fmt.Errorf("%q comes before %q", tourEnd, tourBegin)
	}
	var cmds []string
	fence := "" // the language of the open fenced block, "" outside one
	open := false
	for i, line := range strings.Split(readme[begin:end], "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			if open {
				open, fence = false, ""
			} else {
				open, fence = true, strings.TrimPrefix(trimmed, "```")
			}
			continue
		}
		if !open || fence != "sh" || trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if !strings.HasPrefix(trimmed, "rrra ") {
			return nil, fmt.Errorf("tour line %d, %q: a tour command starts with \"rrra \"", i+1, trimmed)
		}
		cmds = append(cmds, trimmed)
	}
	if open {
		return nil, errors.New("the tour ends inside a fenced block")
	}
	if len(cmds) == 0 {
		return nil, errors.New("the tour has no commands")
	}
	return cmds, nil
}

func readmeTour(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := tourCommands(string(b))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	return cmds
}

// TestTourCommands checks the tour's parser.
func TestTourCommands(t *testing.T) {
	good := "intro\n" + tourBegin + "\nprose\n\n```sh\nrrra info\n# a comment\n\nrrra demo   # trains\n```\n\n```text\n$ rrra not run\n```\n" +
		"```sh\n  rrra search --out x.trec\n```\n" + tourEnd + "\n```sh\nrrra after\n```\n"
	got, err := tourCommands(good)
	want := []string{"rrra info", "rrra demo   # trains", "rrra search --out x.trec"}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("tourCommands: %q, %v; want %q", got, err, want)
	}
	for name, bad := range map[string]string{
		"no markers":     "```sh\nrrra info\n```\n",
		"two begins":     tourBegin + tourBegin + "```sh\nrrra info\n```\n" + tourEnd,
		"end first":      tourEnd + "\n" + tourBegin,
		"not rrra":       tourBegin + "\n```sh\ncurl -s localhost\n```\n" + tourEnd,
		"open fence":     tourBegin + "\n```sh\nrrra info\n" + tourEnd,
		"empty":          tourBegin + "\nprose only\n" + tourEnd,
		"only text code": tourBegin + "\n```text\nrrra info\n```\n" + tourEnd,
	} {
		if cmds, err := tourCommands(bad); err == nil {
			t.Errorf("%s: tourCommands accepted it: %q", name, cmds)
		}
	}
}

// TestReadmeTourFlags checks, without running anything, that every
// command of README.md's tour names an rrra command and uses only flags
// that command defines: the quick guard for what TestReadmeTour runs.
func TestReadmeTourFlags(t *testing.T) {
	cmds := readmeTour(t)
	if len(cmds) < 8 {
		t.Errorf("README.md's tour has %d commands; the markers or fences may be broken", len(cmds))
	}
	for _, c := range cmds {
		f := strings.Fields(c)
		var help bytes.Buffer
		if len(f) < 2 || run([]string{f[1], "-h"}, new(bytes.Buffer), &help) != 0 {
			t.Errorf("README tour: %q: no such rrra command", c)
			continue
		}
		for _, w := range f[2:] {
			if strings.HasPrefix(w, "#") {
				break
			}
			if !strings.HasPrefix(w, "-") {
				continue
			}
			flag := "  -" + strings.TrimLeft(strings.SplitN(w, "=", 2)[0], "-")
			if h := help.String(); !strings.Contains(h, flag+" ") && !strings.Contains(h, flag+"\n") {
				t.Errorf("README tour: %q uses %s, which rrra %s does not define", c, w, f[1])
			}
		}
	}
}

// TestReadmeTour runs README.md's tour as a reader would: every command in
// order, with bash, in one empty folder, with rrra on PATH. The test
// binary stands in for rrra (see TestMain): PATH holds a script named rrra
// that re-executes it with RRRA_TEST_AS_RRRA=1. It trains (rrra demo and
// two short training runs), so it runs only with RRRA_E2E=1; a few
// minutes on two cores.
func TestReadmeTour(t *testing.T) {
	if testing.Short() {
		t.Skip("runs README.md's tour, which trains on Cranfield: not under -short")
	}
	if os.Getenv("RRRA_E2E") != "1" {
		t.Skip("slow end-to-end run (README.md's tour trains on Cranfield): set RRRA_E2E=1 (CI does)")
	}
	cmds := readmeTour(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("the tour runs its commands with bash: %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	script := "#!/bin/sh\nRRRA_TEST_AS_RRRA=1 exec '" + strings.ReplaceAll(self, "'", `'\''`) + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "rrra"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "RRRA_TEST_AS_RRRA=") {
			env = append(env, kv)
		}
	}
	env = append(env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	work := t.TempDir()
	began := time.Now()
	for i, c := range cmds {
		start := time.Now()
		cmd := exec.Command(bash, "-c", c)
		cmd.Dir, cmd.Env = work, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("README tour, command %d of %d, in an empty folder after the ones before it:\n$ %s\n%s\n%v",
				i+1, len(cmds), c, out, err)
		}
		t.Logf("%5.1fs  %s", time.Since(start).Seconds(), c)
	}
	t.Logf("the tour's %d commands ran in %.0fs", len(cmds), time.Since(began).Seconds())
}
