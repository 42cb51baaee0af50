package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/rrra/rrra/kernels"
)

// infoReport is what "rrra info" prints.
type infoReport struct {
	Build      buildInfo       `json:"build"`
	CPU        kernels.CPUInfo `json:"cpu"`
	Tiers      []tierStatus    `json:"tiers"`
	Selected   string          `json:"selected_tier"`
	EnvTier    string          `json:"env_var"`
	Int8Tiers  []tierStatus    `json:"int8_tiers"`
	Int8       string          `json:"selected_int8_tier"`
	EnvInt8    string          `json:"int8_env_var"`
	BF16Tiers  []tierStatus    `json:"bf16_tiers"`
	BF16       string          `json:"selected_bf16_tier"`
	EnvBF16    string          `json:"bf16_env_var"`
	GOMAXPROCS int             `json:"gomaxprocs"`
	Threads    int             `json:"kernel_threads"`
	GoVersion  string          `json:"go_version"`
	GOOS       string          `json:"goos"`
	GOARCH     string          `json:"goarch"`
}

type tierStatus struct {
	Name      string `json:"name"`
	Supported bool   `json:"supported"`
	Reason    string `json:"reason,omitempty"`
}

const infoSynopsis = `info [--json]

Prints the build (the line rrra version prints), the CPU, its features
and caches, the kernel tiers it can run and the one chosen
(RRRA_KERNELS=avx512|avx2|generic on x86-64, neon|generic on arm64
forces one), the same for the integer products of int8 inference
(RRRA_KERNELS_INT8=amxint8|avx512vnni|avxvnni|avx2|generic, on arm64
asimddp|neon|generic) and the bfloat16 products
(RRRA_KERNELS_BF16=amxbf16|avx512bf16|generic, on arm64
neonbf16|neon|generic),
the thread counts and the Go version: the machine line every figure in the
docs carries.

Examples:

	rrra info
	RRRA_KERNELS=generic rrra info --json`

func runInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("info", infoSynopsis, stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r := infoReport{
		Build:      readBuildInfo(),
		CPU:        kernels.CPU(),
		Selected:   kernels.Selected(),
		EnvTier:    kernels.EnvTier,
		Int8:       kernels.SelectedInt8(),
		EnvInt8:    kernels.EnvInt8Tier,
		BF16:       kernels.SelectedBF16(),
		EnvBF16:    kernels.EnvBF16Tier,
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Threads:    kernels.Threads(),
		GoVersion:  runtime.Version(),
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
	}
	for _, name := range kernels.Tiers() {
		ok, reason := kernels.Supported(name)
		r.Tiers = append(r.Tiers, tierStatus{name, ok, reason})
	}
	for _, name := range kernels.Int8Tiers() {
		ok, reason := kernels.Int8Supported(name)
		r.Int8Tiers = append(r.Int8Tiers, tierStatus{name, ok, reason})
	}
	for _, name := range kernels.BF16Tiers() {
		ok, reason := kernels.BF16Supported(name)
		r.BF16Tiers = append(r.BF16Tiers, tierStatus{name, ok, reason})
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return writeInfo(stdout, r)
}

func writeInfo(w io.Writer, r infoReport) error {
	var b strings.Builder
	c := r.CPU
	fmt.Fprintf(&b, "version:    %s\n", r.Build)
	fmt.Fprintf(&b, "cpu:        %s (%s, family %d model %d)\n", orUnknown(c.Brand), orUnknown(c.Vendor), c.Family, c.Model)
	fmt.Fprintf(&b, "cores:      %d physical, %d logical\n", c.PhysicalCores, c.LogicalCores)
	fmt.Fprintf(&b, "caches:     L1d %s, L2 %s, L3 %s\n", size(c.L1D), size(c.L2), size(c.L3))
	fmt.Fprintf(&b, "features:   %s\n", strings.Join(c.Features, " "))
	writeTiers(&b, "tiers:     ", r.Tiers)
	fmt.Fprintf(&b, "\nselected:   %s (force one with %s=<tier>)\n", r.Selected, r.EnvTier)
	writeTiers(&b, "int8 tiers:", r.Int8Tiers)
	fmt.Fprintf(&b, "\nint8:       %s (force one with %s=<tier>)\n", r.Int8, r.EnvInt8)
	writeTiers(&b, "bf16 tiers:", r.BF16Tiers)
	fmt.Fprintf(&b, "\nbf16:       %s (force one with %s=<tier>)\n", r.BF16, r.EnvBF16)
	fmt.Fprintf(&b, "threads:    GOMAXPROCS %d, kernel threads %d\n", r.GOMAXPROCS, r.Threads)
	fmt.Fprintf(&b, "go:         %s %s/%s\n", r.GoVersion, r.GOOS, r.GOARCH)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTiers(b *strings.Builder, label string, tiers []tierStatus) {
	b.WriteString(label)
	for _, t := range tiers {
		if t.Supported {
			fmt.Fprintf(b, " %s", t.Name)
		} else {
			fmt.Fprintf(b, " %s (no: %s)", t.Name, t.Reason)
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// size formats a cache size in bytes; -1 or 0 means undetected.
func size(n int) string {
	switch {
	case n <= 0:
		return "unknown"
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	default:
		return fmt.Sprintf("%d KiB", n>>10)
	}
}
