package kernels

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The arm64 half of the assembly scanner (asmscan_test.go has the amd64
// half and TestAsmFeatures, which calls scanArm64 for *_arm64.s files).
//
// Go's arm64 assembler spells base ASIMD with its own mnemonics (VLD1,
// VFMLA, VUXTL, …); every other instruction is a WORD line whose comment
// gives the instruction in GNU syntax. The scanner reads the feature an
// instruction needs from that comment, and TestArm64Words checks, with GNU
// objdump, that each word is what its comment says.

// armWordLine matches a WORD line with its comment ("//" or "/* */", the
// latter inside macros): the word and the instruction.
var armWordLine = regexp.MustCompile(`^WORD\s+\$0x([0-9a-fA-F]{8})\s*(?://|/\*)\s*([^*\\]+?)\s*(?:\*/)?\s*\\?$`)

// armExtOps maps the instructions that need more than ASIMD to the feature
// they need. Those of no tier here (I8MM, SVE, crypto, CRC) are listed so
// that using one fails the scan rather than passing unnoticed.
var armExtOps = map[string]string{
	"sdot": featASIMDDP, "udot": featASIMDDP,
	"bfdot": featBF16, "bfmmla": featBF16, "bfmlalb": featBF16, "bfmlalt": featBF16,
	"bfcvt": featBF16, "bfcvtn": featBF16, "bfcvtn2": featBF16,
	"usdot": "I8MM", "sudot": "I8MM", "smmla": "I8MM", "ummla": "I8MM", "usmmla": "I8MM",
}

// goArmExtOps are Go mnemonics of instructions beyond ASIMD (SHA3, crypto,
// CRC32), none of which any tier's guard checks.
var goArmExtOps = map[string]string{
	"VEOR3": "SHA3", "VBCAX": "SHA3", "VRAX1": "SHA3", "VXAR": "SHA3",
	"VPMULL": "PMULL", "VPMULL2": "PMULL", "AESE": "AES", "AESD": "AES", "AESMC": "AES", "AESIMC": "AES",
	"SHA1C": "SHA1", "SHA256H": "SHA2", "CRC32B": "CRC32", "CRC32W": "CRC32", "CRC32X": "CRC32",
}

// armSVEReg matches an SVE vector or predicate register operand.
var armSVEReg = regexp.MustCompile(`\b[zp]\d+\.`)

// scanArm64 checks one arm64 assembly source against the features its
// tier's guard checks, returning one message per violation.
func scanArm64(name, src string, allowed []string) []string {
	ok := map[string]bool{}
	for _, f := range allowed {
		ok[f] = true
	}
	var msgs []string
	for i, raw := range strings.Split(src, "\n") {
		line := strings.TrimSpace(raw)
		// Preprocessor lines (#include, a #define's name) hold no
		// instruction here: a macro's body is on its continuation lines.
		if line == "" || strings.HasPrefix(line, "//") || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		op := fields[0]
		var feat string
		switch {
		case op == "WORD":
			m := armWordLine.FindStringSubmatch(line)
			if m == nil {
				msgs = append(msgs, fmt.Sprintf("%s:%d: WORD line without the instruction in a comment: %s", name, i+1, line))
				continue
			}
			inst := strings.Fields(m[2])
			feat = armExtOps[inst[0]]
			if armSVEReg.MatchString(m[2]) {
				feat = "SVE"
			}
		default:
			feat = goArmExtOps[strings.Split(op, ".")[0]]
		}
		if feat == "" {
			feat = featASIMD
		}
		if !ok[feat] {
			msgs = append(msgs, fmt.Sprintf("%s:%d: %s needs %s, which the tier's guard does not check (it checks %v)", name, i+1, line, feat, allowed))
		}
	}
	return msgs
}

// armWord is one WORD line of an arm64 source.
type armWord struct {
	where string // file:line
	word  uint32
	inst  string // the comment's instruction, GNU syntax
}

// armWords returns the WORD lines of the given sources (name → text).
func armWords(srcs map[string]string) []armWord {
	var names []string
	for n := range srcs {
		names = append(names, n)
	}
	sort.Strings(names)
	var ws []armWord
	for _, n := range names {
		for i, raw := range strings.Split(srcs[n], "\n") {
			line := strings.TrimSpace(raw)
			if strings.HasPrefix(line, "#define") {
				continue
			}
			if m := armWordLine.FindStringSubmatch(line); m != nil {
				w, _ := strconv.ParseUint(m[1], 16, 32)
				ws = append(ws, armWord{fmt.Sprintf("%s:%d", n, i+1), uint32(w), m[2]})
			}
		}
	}
	return ws
}

// objdumpArm64 disassembles the words with GNU objdump, one instruction per
// word, as "mnemonic operands" with single spaces.
func objdumpArm64(objdump string, words []uint32) ([]string, error) {
	dir, err := os.MkdirTemp("", "armwords")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var buf bytes.Buffer
	for _, w := range words {
		buf.Write([]byte{byte(w), byte(w >> 8), byte(w >> 16), byte(w >> 24)})
	}
	bin := filepath.Join(dir, "w.bin")
	if err := os.WriteFile(bin, buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	out, err := exec.Command(objdump, "-D", "-b", "binary", "-m", "aarch64", bin).Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", objdump, err)
	}
	got := make([]string, len(words))
	for _, line := range strings.Split(string(out), "\n") {
		// "   4:	4e22d420 	fadd	v0.4s, v1.4s, v2.4s"
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) < 3 || !strings.HasSuffix(strings.TrimSpace(parts[0]), ":") {
			continue
		}
		off, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(parts[0]), ":"), 16, 64)
		if err != nil || off%4 != 0 || int(off/4) >= len(got) {
			continue
		}
		inst := parts[2]
		if j := strings.Index(inst, "//"); j >= 0 {
			inst = inst[:j]
		}
		got[off/4] = strings.Join(strings.Fields(inst), " ")
	}
	return got, nil
}

// checkArm64Words returns a message for each word that does not disassemble
// to its comment.
func checkArm64Words(objdump string, ws []armWord) ([]string, error) {
	words := make([]uint32, len(ws))
	for i, w := range ws {
		words[i] = w.word
	}
	got, err := objdumpArm64(objdump, words)
	if err != nil {
		return nil, err
	}
	var msgs []string
	for i, w := range ws {
		want := strings.Join(strings.Fields(w.inst), " ")
		if got[i] != want {
			msgs = append(msgs, fmt.Sprintf("%s: WORD $0x%08x is %q, not %q (fix with go generate ./kernels)", w.where, w.word, got[i], want))
		}
	}
	return msgs, nil
}

// envRequireObjdump, when set (CI sets it), turns a missing objdump from
// a skip into a failure.
const envRequireObjdump = "RRRA_REQUIRE_ARM64_OBJDUMP"

// armObjdump returns GNU objdump for AArch64, or skips the test.
func armObjdump(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("aarch64-linux-gnu-objdump")
	if err != nil {
		if os.Getenv(envRequireObjdump) != "" {
			t.Fatalf("%s is set but aarch64-linux-gnu-objdump is not found: %v", envRequireObjdump, err)
		}
		t.Skip("aarch64-linux-gnu-objdump not found (Debian: apt-get install binutils-aarch64-linux-gnu): the arm64 WORD encodings are not checked here; CI installs it")
	}
	return p
}

// TestArm64Words disassembles every WORD of the arm64 assembly with GNU
// objdump and compares it with the instruction its comment names.
func TestArm64Words(t *testing.T) {
	objdump := armObjdump(t)
	files, err := filepath.Glob("*_arm64.s")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no arm64 assembly found")
	}
	srcs := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs[f] = string(b)
	}
	ws := armWords(srcs)
	if len(ws) == 0 {
		t.Fatal("no WORD lines found in the arm64 assembly")
	}
	msgs, err := checkArm64Words(objdump, ws)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		t.Error(m)
	}
	t.Logf("%d words in %d files checked", len(ws), len(files))
}

// TestArm64ScannerCatches shows that both arm64 checks can fail.
func TestArm64ScannerCatches(t *testing.T) {
	cases := []struct {
		name, src string
		allowed   []string
	}{
		{"SDOT in the neon tier", "\tWORD $0x4f82e020 // sdot v0.4s, v1.16b, v2.4b[0]\n", tierFeatures["neon"]},
		{"BFDOT in the asimddp tier", "\tWORD $0x6e42fc20 // bfdot v0.4s, v1.8h, v2.8h\n", tierFeatures["asimddp"]},
		{"USDOT (I8MM) in the asimddp tier", "\tWORD $0x4e829c20 // usdot v0.4s, v1.16b, v2.16b\n", tierFeatures["asimddp"]},
		{"an SVE instruction", "\tWORD $0x65808000 // fadd z0.s, p0/m, z0.s, z0.s\n", tierFeatures["neonbf16"]},
		{"WORD without a comment", "\tWORD $0x4e22d420\n", tierFeatures["neon"]},
		{"SHA3 in the neon tier", "\tVEOR3 V1.B16, V2.B16, V3.B16, V4.B16\n", tierFeatures["neon"]},
		{"inside a macro", "#define M \\\n\tWORD $0x4f82e020 /* sdot v0.4s, v1.16b, v2.4b[0] */ \\\n", tierFeatures["neon"]},
	}
	for _, c := range cases {
		if got := scanArm64(c.name, c.src, c.allowed); len(got) == 0 {
			t.Errorf("%s: scanner found nothing", c.name)
		}
	}
	if got := scanArm64("clean", "\tWORD $0x4f82e020 // sdot v0.4s, v1.16b, v2.4b[0]\n\tVFMLA V0.S4, V1.S4, V2.S4\n", tierFeatures["asimddp"]); len(got) != 0 {
		t.Errorf("clean asimddp snippet flagged: %v", got)
	}

	objdump := armObjdump(t)
	// GNU as (2.40) encodes fadd v0.4s, v1.4s, v2.4s as 4e22d420 and
	// fmla v8.4s, v2.4s, v0.s[0] as 4f801048; the first line is right, the
	// others are one bit off or name other registers.
	ws := []armWord{
		{"ok", 0x4e22d420, "fadd v0.4s, v1.4s, v2.4s"},
		{"bit", 0x4e22d421, "fadd v0.4s, v1.4s, v2.4s"},
		{"lane", 0x4f801048, "fmla v8.4s, v2.4s, v0.s[1]"},
	}
	msgs, err := checkArm64Words(objdump, ws)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0], "bit:") || !strings.HasPrefix(msgs[1], "lane:") {
		t.Errorf("word check found %q, want the two wrong words", msgs)
	}
}
