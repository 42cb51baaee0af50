package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// buildInfo is what the binary knows of its own build, from
// runtime/debug.ReadBuildInfo: the module version ("(devel)" for a build
// from a checkout, "v1.2.3" for go install of a tagged version), the VCS
// revision the go command stamps into a build inside a git work tree
// (absent under -buildvcs=false, go run and go test), the Go version and
// the target.
type buildInfo struct {
	Module    string `json:"module"`
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`
	Time      string `json:"time,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	CGO       string `json:"cgo_enabled,omitempty"`
	GoVersion string `json:"go_version"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
}

// readBuildInfo returns the build's description; what the binary does not
// carry is left empty (the version is then "unknown").
func readBuildInfo() buildInfo {
	b := buildInfo{
		Module:    "github.com/rrra/rrra",
		Version:   "unknown",
		GoVersion: runtime.Version(),
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if bi.Main.Path != "" {
		b.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		case "CGO_ENABLED":
			b.CGO = s.Value
		}
	}
	return b
}

// String is the one line "rrra version" prints and "rrra info" repeats:
// version, revision (12 digits, "+dirty" for uncommitted changes) and
// its commit time, Go version and target.
func (b buildInfo) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "rrra %s", b.Version)
	switch {
	case b.Revision != "":
		rev := b.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		fmt.Fprintf(&s, ", revision %s", rev)
		if b.Modified {
			s.WriteString("+dirty")
		}
		if b.Time != "" {
			fmt.Fprintf(&s, " (%s)", b.Time)
		}
	default:
		s.WriteString(", revision unknown")
	}
	fmt.Fprintf(&s, ", %s %s/%s", b.GoVersion, b.GOOS, b.GOARCH)
	if b.CGO == "1" {
		s.WriteString(", cgo")
	}
	return s.String()
}

const versionSynopsis = `version [--json]

Prints the module version ("(devel)" for a build from a checkout), the git
revision it was built from ("+dirty" when the work tree had uncommitted
changes; "unknown" under go run, go test or -buildvcs=false), the
revision's time, the Go version and the target (with ", cgo" when the
binary links the C library, as a plain go build with a C compiler does;
CGO_ENABLED=0 go build gives a static binary). "rrra --version" is the
same.

Examples:

	rrra version
	rrra version --json`

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", versionSynopsis, stderr)
	asJSON := fs.Bool("json", false, "print the build information as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	b := readBuildInfo()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(b)
	}
	_, err := fmt.Fprintln(stdout, b.String())
	return err
}
