package main

import (
	"bytes"
	"encoding/json"
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
