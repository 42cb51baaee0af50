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
	// The integer-product tiers' features (int8_amd64.go).
	featAVX512VL   = "AVX512VL"
	featAVX512VNNI = "AVX512VNNI"
	featAVXVNNI    = "AVXVNNI"
	featAVX512BF16 = "AVX512BF16"
	featAVX512BW   = "AVX512BW"
	// The AMX tiers' (bf16_amd64.go, int8_amd64.go).
	featAMXTile = "AMXTILE"
	featAMXBF16 = "AMXBF16"
	featAMXInt8 = "AMXINT8"
	// The arm64 tiers' (neon_arm64.go): ASIMD (NEON), the dot-product
	// extension (SDOT, UDOT) and BF16 (BFDOT, BFMMLA), as cpuid/v2 names
	// them.
	featASIMD   = "ASIMD"
	featASIMDDP = "ASIMDDP"
	featBF16    = "BF16"
)

// tierFeatures is what each tier's guard in Go checks before the tier can
// be selected (avx2Tier, avx512Tier, and asmInt8Tiers for avx2's integer
// tier, avxvnni and avx512vnni). An instruction in a tier's .s file that
// needs anything else could raise SIGILL on a CPU that passed the guard.
var tierFeatures = map[string][]string{
	"avx2":       {featAVX, featAVX2, featFMA3},
	"avx512":     {featAVX, featAVX2, featFMA3, featAVX512F},
	"avxvnni":    {featAVX, featAVX2, featFMA3, featAVXVNNI},
	"avx512vnni": {featAVX, featAVX2, featFMA3, featAVX512F, featAVX512VNNI},
	"avx512bf16": {featAVX, featAVX2, featFMA3, featAVX512F, featAVX512BW, featAVX512BF16},
	"amxbf16":    {featAVX, featAVX2, featFMA3, featAVX512F, featAVX512BW, featAVX512BF16, featAMXTile, featAMXBF16},
	"amxint8":    {featAVX, featAVX2, featFMA3, featAVX512F, featAMXTile, featAMXInt8},
	"neon":       {featASIMD},
	"asimddp":    {featASIMD, featASIMDDP},
	"neonbf16":   {featASIMD, featBF16},
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
	"VMOVDQU": true, "VCVTDQ2PS": true, "VCVTSI2SSL": true,
}

// avx512Only lists EVEX-only instructions (no VEX form).
// avx2Only lists AVX2 instructions whose names the rules above do not
// classify (not VP-prefixed).
var avx2Only = map[string]bool{"VEXTRACTI128": true, "VINSERTI128": true, "VPERM2I128": true}

var avx512Only = map[string]bool{"VPXORD": true, "VPXORQ": true, "VMOVDQU32": true, "KXNORW": true, "KMOVW": true, "VSHUFF32X4": true, "VEXTRACTF64X4": true}

// avx512BWOps are the EVEX word and byte instructions used here, which need
// AVX512BW besides AVX512F.
var avx512BWOps = map[string]bool{"VPERMW": true}

// vnniOps are the VNNI dot-product instructions. Go's assembler encodes them
// as EVEX (AVX512-VNNI, and AVX512VL on XMM or YMM); the VEX form (AVX-VNNI)
// is written as BYTE lines whose comment names the instruction with the
// suffix "(VEX)" (see checkByteLine).
var vnniOps = map[string]bool{"VPDPBUSD": true, "VPDPBUSDS": true, "VPDPWSSD": true, "VPDPWSSDS": true}

// scalarOK lists the general-purpose instructions every amd64 CPU has.
var scalarOK = map[string]bool{
	"MOVQ": true, "MOVL": true, "SHLQ": true, "SHLL": true, "ADDQ": true, "SUBQ": true,
	"SHRQ": true, "CMPQ": true, "TESTQ": true, "TESTL": true, "MOVB": true, "TESTB": true, "DECQ": true, "LEAQ": true, "XORQ": true,
	"JMP": true, "JLT": true, "JGE": true, "JZ": true, "JNZ": true, "RET": true, "MOVBQZX": true,
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
	case avx2Only[mnemonic]:
		feats = append(feats, featAVX2)
	case avx512BWOps[mnemonic]:
		feats = append(feats, featAVX512F, featAVX512BW)
	case vnniOps[mnemonic]:
		feats = append(feats, featAVX512VNNI)
		if !zmmReg.MatchString(operands) {
			feats = append(feats, featAVX512VL)
		}
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
		if mnemonic == "BYTE" {
			feats, err := checkByteLine(line)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s:%d: %v", name, i+1, err))
			}
			for _, f := range feats {
				if !ok[f] {
					bad = append(bad, fmt.Sprintf("%s:%d: %s needs %s, which its tier's guard does not check (%v)", name, i+1, strings.TrimSpace(line), f, allowed))
				}
			}
			continue
		}
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

var (
	byteVal     = regexp.MustCompile(`^BYTE\s+\$(0x[0-9a-fA-F]+|[0-9]+)$`)
	vexComment  = regexp.MustCompile(`^(VPDPBUSD|VPDPBUSDS|VPDPWSSD|VPDPWSSDS)\s+Y(\d+),\s*Y(\d+),\s*Y(\d+)\s+\(VEX\)$`)
	evexComment = regexp.MustCompile(`^(VDPBF16PS|VCVTNE2PS2BF16)\s+Z(\d+),\s*Z(\d+),\s*Z(\d+)\s+\(EVEX\)$`)
	// AMX instructions in Intel's operand order (destination first).
	amxDot   = regexp.MustCompile(`^(TDPBF16PS|TDPBUSD|TDPBSSD)\s+TMM([0-7]),\s*TMM([0-7]),\s*TMM([0-7])\s+\(AMX\)$`)
	amxLoad  = regexp.MustCompile(`^TILELOADD\s+TMM([0-7]),\s*\((AX|CX|DX|BX|SI|DI)\)\((AX|CX|DX|BX|SI|DI)\*1\)\s+\(AMX\)$`)
	amxStore = regexp.MustCompile(`^TILESTORED\s+\((AX|CX|DX|BX|SI|DI)\)\((AX|CX|DX|BX|SI|DI)\*1\),\s*TMM([0-7])\s+\(AMX\)$`)
	amxZero  = regexp.MustCompile(`^TILEZERO\s+TMM([0-7])\s+\(AMX\)$`)
	amxCfg   = regexp.MustCompile(`^LDTILECFG\s+\((AX|CX|DX|BX|SI|DI)\)\s+\(AMX\)$`)
)

// gpr numbers the general registers an AMX line may use (no REX bits).
var gpr = map[string]byte{"AX": 0, "CX": 1, "DX": 2, "BX": 3, "SI": 6, "DI": 7}

// amxBytes re-derives an AMX instruction's encoding from its comment, all
// VEX.128 0F38.W0 (C4 E2 [0 v̄v̄v̄v̄ 0 pp] op ModRM [SIB]): LDTILECFG and
// TILERELEASE NP 49, TILEZERO F2 49, TILELOADD F2 4B, TILESTORED F3 4B,
// TDPBF16PS F3 5C, TDPBUSD 66 5E, TDPBSSD F2 5E (dst in ModRM.reg, a in
// ModRM.rm, b in vvvv). ok is false for a comment that is no AMX line.
func amxBytes(comment string) (want []byte, feats []string, ok bool) {
	vex := func(vvvv, pp byte) []byte { return []byte{0xC4, 0xE2, (^vvvv&15)<<3 | pp} }
	reg := func(s string) byte { var r byte; fmt.Sscan(s, &r); return r }
	const np, p66, pF3, pF2 = 0, 1, 2, 3
	switch {
	case comment == "TILERELEASE (AMX)":
		return append(vex(0, np), 0x49, 0xC0), []string{featAMXTile}, true
	case amxCfg.MatchString(comment):
		m := amxCfg.FindStringSubmatch(comment)
		return append(vex(0, np), 0x49, gpr[m[1]]), []string{featAMXTile}, true
	case amxZero.MatchString(comment):
		m := amxZero.FindStringSubmatch(comment)
		return append(vex(0, pF2), 0x49, 0xC0|reg(m[1])<<3), []string{featAMXTile}, true
	case amxLoad.MatchString(comment):
		m := amxLoad.FindStringSubmatch(comment)
		return append(vex(0, pF2), 0x4B, reg(m[1])<<3|0b100, gpr[m[3]]<<3|gpr[m[2]]), []string{featAMXTile}, true
	case amxStore.MatchString(comment):
		m := amxStore.FindStringSubmatch(comment)
		return append(vex(0, pF3), 0x4B, reg(m[3])<<3|0b100, gpr[m[2]]<<3|gpr[m[1]]), []string{featAMXTile}, true
	case amxDot.MatchString(comment):
		m := amxDot.FindStringSubmatch(comment)
		op, pp, feat := byte(0x5C), byte(pF3), featAMXBF16
		switch m[1] {
		case "TDPBUSD":
			op, pp, feat = 0x5E, p66, featAMXInt8
		case "TDPBSSD":
			op, pp, feat = 0x5E, pF2, featAMXInt8
		}
		return append(vex(reg(m[4]), pp), op, 0xC0|reg(m[2])<<3|reg(m[3])), []string{featAMXTile, feat}, true
	}
	return nil, nil, false
}

// vexVNNIOpcode gives the opcode byte of each VEX VNNI instruction
// (VEX.256.66.0F38.W0 op /r).
var vexVNNIOpcode = map[string]byte{"VPDPBUSD": 0x50, "VPDPBUSDS": 0x51, "VPDPWSSD": 0x52, "VPDPWSSDS": 0x53}

// checkByteLine checks an instruction written as BYTE values: the line must
// name the instruction in its comment, in Go's operand order with "(VEX)"
// after it (only the VEX VNNI instructions on YMM registers are known), and
// the bytes must be that instruction's encoding, re-derived here:
// C4 [R̄ 1 B̄ 00010] [0 v̄v̄v̄v̄ 1 01] op [11 dst src2], with src2 in ModRM.rm,
// src1 in VEX.vvvv and dst in ModRM.reg. It returns the features needed.
func checkByteLine(line string) ([]string, error) {
	code, comment, found := strings.Cut(line, "//")
	if !found {
		return nil, fmt.Errorf("BYTE line without a comment naming its instruction")
	}
	comment = strings.TrimSpace(comment)
	var got []byte
	for _, part := range strings.Split(code, ";") {
		v := byteVal.FindStringSubmatch(strings.TrimSpace(part))
		if v == nil {
			return nil, fmt.Errorf("BYTE line has %q, not BYTE $value", strings.TrimSpace(part))
		}
		var x uint64
		if _, err := fmt.Sscan(v[1], &x); err != nil || x > 255 {
			return nil, fmt.Errorf("BYTE value %s is not a byte", v[1])
		}
		got = append(got, byte(x))
	}
	var m []string
	var want []byte
	var feats []string
	regs := func(max int) (src2, src1, dst int, err error) {
		fmt.Sscan(m[2], &src2)
		fmt.Sscan(m[3], &src1)
		fmt.Sscan(m[4], &dst)
		if src2 > max || src1 > max || dst > max {
			err = fmt.Errorf("%s: register above %d", m[0], max)
		}
		return
	}
	if w, f, ok := amxBytes(comment); ok {
		if string(got) != string(w) {
			return nil, fmt.Errorf("bytes % x are not %s, which encodes as % x", got, comment, w)
		}
		return f, nil
	}
	switch {
	case vexComment.MatchString(comment):
		m = vexComment.FindStringSubmatch(comment)
		src2, src1, dst, err := regs(15)
		if err != nil {
			return nil, err
		}
		want = []byte{
			0xC4,
			byte((^dst>>3)&1)<<7 | 1<<6 | byte((^src2>>3)&1)<<5 | 0b00010,
			byte(^src1&15)<<3 | 1<<2 | 0b01,
			vexVNNIOpcode[m[1]],
			0xC0 | byte(dst&7)<<3 | byte(src2&7),
		}
		feats = []string{featAVX, featAVXVNNI}
	case evexComment.MatchString(comment):
		// VDPBF16PS is EVEX.512.F3.0F38.W0 52 /r, VCVTNE2PS2BF16
		// EVEX.512.F2.0F38.W0 72 /r: 62 [R̄ X̄ B̄ R̄' 0010] [0 v̄v̄v̄v̄ 1 pp]
		// [0 10 0 V̄' 000] op [11 dst src2], pp 10 for F3 and 11 for F2.
		m = evexComment.FindStringSubmatch(comment)
		src2, src1, dst, err := regs(31)
		if err != nil {
			return nil, err
		}
		op, pp := byte(0x52), byte(0b10)
		if m[1] == "VCVTNE2PS2BF16" {
			op, pp = 0x72, 0b11
		}
		want = []byte{
			0x62,
			byte((^dst>>3)&1)<<7 | byte((^src2>>4)&1)<<6 | byte((^src2>>3)&1)<<5 | byte((^dst>>4)&1)<<4 | 0b0010,
			byte(^src1&15)<<3 | 1<<2 | pp,
			0b10<<5 | byte((^src1>>4)&1)<<3,
			op,
			0xC0 | byte(dst&7)<<3 | byte(src2&7),
		}
		feats = []string{featAVX512F, featAVX512BF16}
	default:
		return nil, fmt.Errorf("BYTE line's comment %q does not name a known instruction (want e.g. \"VPDPBUSD Y12, Y14, Y0 (VEX)\" or \"VDPBF16PS Z24, Z26, Z0 (EVEX)\")", comment)
	}
	if string(got) != string(want) {
		return nil, fmt.Errorf("bytes % x are not %s, which encodes as % x", got, m[0], want)
	}
	return feats, nil
}

// tierOfFile maps an assembly file name such as sgemm_avx2_amd64.s to its
// tier.
func tierOfFile(name string) string {
	base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(name), "_amd64.s"), "_arm64.s")
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
			t.Errorf("%s: file name does not name a known tier (want *_<tier>_amd64.s or *_<tier>_arm64.s, tiers %v)", f, tierFeatures)
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(string(src), "//go:build !purego\n")), "//") {
			t.Errorf("%s: does not start with a comment block (register plan and loop structure)", f)
		}
		scan := scanAsm
		if strings.HasSuffix(f, "_arm64.s") {
			scan = scanArm64
		}
		for _, msg := range scan(f, string(src), allowed) {
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
		{"EVEX VNNI in the avxvnni tier", "\tVPDPBUSD Y1, Y2, Y3\n", tierFeatures["avxvnni"]},
		{"ZMM VNNI in the avx512 tier", "\tVPDPBUSD Z1, Z2, Z3\n", tierFeatures["avx512"]},
		{"VEX VNNI in the avx2 tier", "\tBYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xc4 // VPDPBUSD Y12, Y14, Y0 (VEX)\n", tierFeatures["avx2"]},
		{"VEX bytes that are not their comment", "\tBYTE $0xc4; BYTE $0xc2; BYTE $0x0d; BYTE $0x50; BYTE $0xc5 // VPDPBUSD Y12, Y14, Y0 (VEX)\n", tierFeatures["avxvnni"]},
		{"BYTE line without a comment", "\tBYTE $0xc4; BYTE $0xc2\n", tierFeatures["avxvnni"]},
		{"VPERMW in the avx512 tier (no AVX512BW)", "\tVPERMW Z2, Z4, Z5\n", tierFeatures["avx512"]},
		{"VDPBF16PS in the avx512 tier", "\tBYTE $0x62; BYTE $0x92; BYTE $0x2e; BYTE $0x40; BYTE $0x52; BYTE $0xc0 // VDPBF16PS Z24, Z26, Z0 (EVEX)\n", tierFeatures["avx512"]},
		{"EVEX bytes that are not their comment", "\tBYTE $0x62; BYTE $0x92; BYTE $0x2e; BYTE $0x40; BYTE $0x52; BYTE $0xc1 // VDPBF16PS Z24, Z26, Z0 (EVEX)\n", tierFeatures["avx512bf16"]},
		{"TDPBF16PS in the avx512bf16 tier", "\tBYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc4 // TDPBF16PS TMM0, TMM4, TMM6 (AMX)\n", tierFeatures["avx512bf16"]},
		{"TDPBUSD in the amxbf16 tier", "\tBYTE $0xc4; BYTE $0xe2; BYTE $0x49; BYTE $0x5e; BYTE $0xc4 // TDPBUSD TMM0, TMM4, TMM6 (AMX)\n", tierFeatures["amxbf16"]},
		{"AMX bytes that are not their comment", "\tBYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc5 // TDPBF16PS TMM0, TMM4, TMM6 (AMX)\n", tierFeatures["amxbf16"]},
		{"TILELOADD with other registers than its comment", "\tBYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x24; BYTE $0x31 // TILELOADD TMM4, (AX)(SI*1) (AMX)\n", tierFeatures["amxbf16"]},
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
	// GNU as encodes vcvtne2ps2bf16 %zmm17,%zmm16,%zmm18 as 62 a2 7f 40 72 d1.
	if got := scanAsm("clean", "\tBYTE $0x62; BYTE $0xa2; BYTE $0x7f; BYTE $0x40; BYTE $0x72; BYTE $0xd1 // VCVTNE2PS2BF16 Z17, Z16, Z18 (EVEX)\n", tierFeatures["avx512bf16"]); len(got) != 0 {
		t.Errorf("clean VCVTNE2PS2BF16 flagged: %v", got)
	}
	// GNU as encodes vdpbf16ps %zmm24,%zmm27,%zmm23 as 62 82 26 40 52 f8.
	if got := scanAsm("clean", "\tBYTE $0x62; BYTE $0x82; BYTE $0x26; BYTE $0x40; BYTE $0x52; BYTE $0xf8 // VDPBF16PS Z24, Z27, Z23 (EVEX)\n", tierFeatures["avx512bf16"]); len(got) != 0 {
		t.Errorf("clean avx512bf16 snippet flagged: %v", got)
	}
	// GNU as (2.40) encodes these AMX lines so.
	for _, line := range []string{
		"BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x00 // LDTILECFG (AX) (AMX)",
		"BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0 // TILERELEASE (AMX)",
		"BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd8 // TILEZERO TMM3 (AMX)",
		"BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x2c; BYTE $0x31 // TILELOADD TMM5, (CX)(SI*1) (AMX)",
		"BYTE $0xc4; BYTE $0xe2; BYTE $0x7a; BYTE $0x4b; BYTE $0x1c; BYTE $0x3a // TILESTORED (DX)(DI*1), TMM3 (AMX)",
		"BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xdd // TDPBF16PS TMM3, TMM5, TMM7 (AMX)",
	} {
		if got := scanAsm("clean", "\t"+line+"\n", tierFeatures["amxbf16"]); len(got) != 0 {
			t.Errorf("clean amx line flagged: %v", got)
		}
	}
	if got := scanAsm("clean", "\tBYTE $0xc4; BYTE $0xe2; BYTE $0x49; BYTE $0x5e; BYTE $0xc4 // TDPBUSD TMM0, TMM4, TMM6 (AMX)\n",
		[]string{featAMXTile, featAMXInt8}); len(got) != 0 {
		t.Errorf("clean TDPBUSD flagged: %v", got)
	}
	// Registers 8..15 set the inverted R̄ and B̄ bits; a clean line with them.
	if got := scanAsm("clean", "\tBYTE $0xc4; BYTE $0x42; BYTE $0x0d; BYTE $0x50; BYTE $0xc4 // VPDPBUSD Y12, Y14, Y8 (VEX)\n", tierFeatures["avxvnni"]); len(got) != 0 {
		t.Errorf("clean avxvnni snippet flagged: %v", got)
	}
}
