package kernels

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// CPU features an instruction can need, as the tiers' guards name them.
const (
	featAVX     = "AVX"
	featAVX2    = "AVX2"
	featFMA3    = "FMA3"
	featAVX512F = "AVX512F"
)

// tierFeatures is what each tier's guard in Go checks before the tier can
// be selected (avx2Tier, avx512Tier). An instruction in a tier's .s file
// that needs anything else could raise SIGILL on a CPU that passed the guard.
var tierFeatures = map[string][]string{
	"avx2":   {featAVX, featAVX2, featFMA3},
	"avx512": {featAVX, featAVX2, featFMA3, featAVX512F},
}

// avxBase lists the VEX instructions used here that AVX (not AVX2) provides
// on XMM and YMM registers.
var avxBase = map[string]bool{
	"VMOVUPS": true, "VMOVSS": true, "VXORPS": true, "VMULPS": true, "VMULSS": true,
	"VADDPS": true, "VADDSS": true, "VHADDPS": true, "VMOVHLPS": true, "VMOVSHDUP": true,
	"VEXTRACTF128": true, "VZEROUPPER": true, "VBROADCASTSS": true,
	"VUNPCKLPS": true, "VUNPCKHPS": true, "VSHUFPS": true, "VPERM2F128": true, "VMOVSD": true,
	"VMAXPS": true, "VMAXSS": true, "VMOVAPS": true, "VMOVMSKPS": true, "VMINPS": true, "VROUNDPS": true, "VCVTPS2DQ": true, "VANDPS": true, "VORPS": true,
	"VCMPPS": true, "VBLENDVPS": true, "VDIVPS": true, "VSUBPS": true,
	"VSQRTSS": true, "VDIVSS": true, "VMOVD": true, "VCVTSI2SSQ": true,
}

// avx512Only lists EVEX-only instructions (no VEX form).
var avx512Only = map[string]bool{"VPXORD": true, "VPXORQ": true}

// scalarOK lists the general-purpose instructions every amd64 CPU has.
var scalarOK = map[string]bool{
	"MOVQ": true, "MOVL": true, "SHLQ": true, "SHLL": true, "ADDQ": true, "SUBQ": true,
	"SHRQ": true, "CMPQ": true, "TESTQ": true, "TESTL": true, "MOVB": true, "TESTB": true, "DECQ": true, "LEAQ": true, "XORQ": true,
	"JMP": true, "JLT": true, "JGE": true, "JZ": true, "JNZ": true, "RET": true,
}

var (
	defineRe = regexp.MustCompile(`(?m)^#define\s+(\w+)`)
	ymmReg   = regexp.MustCompile(`\bY([0-9]|1[0-5])\b`)
	zmmReg   = regexp.MustCompile(`\bZ([0-9]|[12][0-9]|3[01])\b`)
	kReg     = regexp.MustCompile(`\bK[0-7]\b`)
	xmmReg   = regexp.MustCompile(`^X([0-9]|1[0-5])$`)
)

// instrFeatures returns the CPU features one instruction needs, or an error
// for an instruction this scanner does not know (so a new one is classified
// deliberately rather than passed).
func instrFeatures(mnemonic, operands string) ([]string, error) {
	var feats []string
	if zmmReg.MatchString(operands) || kReg.MatchString(operands) || avx512Only[mnemonic] {
		feats = append(feats, featAVX512F)
	}
	switch {
	case scalarOK[mnemonic]:
	case strings.HasPrefix(mnemonic, "VFMADD"), strings.HasPrefix(mnemonic, "VFMSUB"),
		strings.HasPrefix(mnemonic, "VFNMADD"), strings.HasPrefix(mnemonic, "VFNMSUB"):
		feats = append(feats, featFMA3)
	case mnemonic == "VBROADCASTSS":
		// The register-source form is AVX2; the memory-source form is AVX.
		first := strings.TrimSpace(strings.Split(operands, ",")[0])
		if xmmReg.MatchString(first) {
			feats = append(feats, featAVX2)
		} else {
			feats = append(feats, featAVX)
		}
	case avxBase[mnemonic]:
		feats = append(feats, featAVX)
	case strings.HasPrefix(mnemonic, "VP") && !avx512Only[mnemonic]:
		// Integer vector instructions: AVX2 on YMM registers, AVX on XMM.
		if ymmReg.MatchString(operands) {
			feats = append(feats, featAVX2)
		} else {
			feats = append(feats, featAVX)
		}
	case avx512Only[mnemonic]:
	default:
		return nil, fmt.Errorf("instruction %s is not classified by the scanner; add it to asmscan_test.go with the feature it needs", mnemonic)
	}
	return feats, nil
}

// scanAsm checks one assembly source against the features its tier's guard
// provides and returns one message per violation.
func scanAsm(name, src string, allowed []string) []string {
	ok := map[string]bool{}
	for _, f := range allowed {
		ok[f] = true
	}
	var bad []string
	macros := map[string]bool{}
	for _, m := range defineRe.FindAllStringSubmatch(src, -1) {
		macros[m[1]] = true
	}
	for i, line := range strings.Split(src, "\n") {
		code := line
		if j := strings.Index(code, "//"); j >= 0 {
			code = code[:j]
		}
		code = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(code), "\\"))
		// Macro headers are skipped; their bodies follow as continuation
		// lines and are scanned like any other line. DATA and GLOBL declare
		// constants, not instructions.
		if code == "" || strings.HasPrefix(code, "#include") || strings.HasPrefix(code, "#define") ||
			strings.HasPrefix(code, "TEXT") || strings.HasSuffix(code, ":") ||
			strings.HasPrefix(code, "DATA") || strings.HasPrefix(code, "GLOBL") {
			continue
		}
		fields := strings.Fields(code)
		mnemonic := fields[0]
		operands := strings.TrimSpace(strings.TrimPrefix(code, mnemonic))
		if name, _, _ := strings.Cut(mnemonic, "("); macros[name] {
			continue // a macro invocation such as RANK1(0, 0): its body is checked where defined
		}
		feats, err := instrFeatures(mnemonic, operands)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s:%d: %v", name, i+1, err))
			continue
		}
		for _, f := range feats {
			if !ok[f] {
				bad = append(bad, fmt.Sprintf("%s:%d: %s needs %s, which its tier's guard does not check (%v)", name, i+1, code, f, allowed))
			}
		}
	}
	return bad
}

// tierOfFile maps an assembly file name such as sgemm_avx2_amd64.s to its
// tier.
func tierOfFile(name string) string {
	base := strings.TrimSuffix(filepath.Base(name), "_amd64.s")
	i := strings.LastIndex(base, "_")
	if i < 0 {
		return ""
	}
	return base[i+1:]
}

func TestAsmFeatures(t *testing.T) {
	files, err := filepath.Glob("*.s")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no assembly files found to scan")
	}
	sort.Strings(files)
	textSym := regexp.MustCompile(`TEXT\s+·(\w+)\(SB\)`)
	for _, f := range files {
		tier := tierOfFile(f)
		allowed, known := tierFeatures[tier]
		if !known {
			t.Errorf("%s: file name does not name a known tier (want *_<tier>_amd64.s, tiers %v)", f, tierFeatures)
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(string(src), "//go:build !purego\n")), "//") {
			t.Errorf("%s: does not start with a comment block (register plan and loop structure)", f)
		}
		for _, msg := range scanAsm(f, string(src), allowed) {
			t.Error(msg)
		}
		// Every function in a tier's file carries the tier in its name, so
		// the Go side can be read the same way.
		for _, m := range textSym.FindAllStringSubmatch(string(src), -1) {
			if !strings.HasSuffix(strings.ToLower(m[1]), tier) {
				t.Errorf("%s: function %s is not named for its tier %s", f, m[1], tier)
			}
		}
	}
}

// TestAsmScannerCatches shows the scanner can fail: each snippet breaks its
// tier's rules.
func TestAsmScannerCatches(t *testing.T) {
	cases := []struct {
		name, src string
		allowed   []string
	}{
		{"FMA in an AVX-only tier", "\tVFMADD231PS Y1, Y2, Y3\n", []string{featAVX}},
		{"ZMM register in the avx2 tier", "\tVMOVUPS (SI), Z1\n", tierFeatures["avx2"]},
		{"mask register in the avx2 tier", "\tVMOVUPS (SI), K1, Y1\n", tierFeatures["avx2"]},
		{"EVEX-only instruction in the avx2 tier", "\tVPXORD Y1, Y1, Y1\n", tierFeatures["avx2"]},
		{"register broadcast in an AVX-only tier", "\tVBROADCASTSS X0, Y1\n", []string{featAVX}},
		{"YMM integer op in an AVX-only tier", "\tVPADDD Y1, Y2, Y3\n", []string{featAVX}},
		{"unclassified instruction", "\tVGATHERDPS Y1, (SI)(Y2*4), Y3\n", tierFeatures["avx512"]},
		{"inside a macro body", "#define M \\\n\tVFMADD231PS Y1, Y2, Y3 \\\n\tVMOVUPS Y1, (DI)\n", []string{featAVX}},
	}
	for _, c := range cases {
		if got := scanAsm(c.name, c.src, c.allowed); len(got) == 0 {
			t.Errorf("%s: scanner found nothing", c.name)
		}
	}
	if got := scanAsm("clean", "\tVFMADD231PS Y1, Y2, Y3\n\tVBROADCASTSS 4(SI), Y1\n", tierFeatures["avx2"]); len(got) != 0 {
		t.Errorf("clean avx2 snippet flagged: %v", got)
	}
}
