//go:build ignore

// gen_armwords fills in the encodings of the WORD lines in this package's
// arm64 assembly. Go's arm64 assembler has no mnemonic for most NEON
// floating-point instructions (FADD, FMUL, FMLA by element, UCVTF, …) and
// none for SDOT or BFDOT, so the .s files write them as
//
//	WORD $0x4e22d420 // fadd v0.4s, v1.4s, v2.4s
//
// with the instruction, in GNU syntax, in the comment. This program
// assembles every comment with GNU as (Debian's binutils-aarch64-linux-gnu)
// and rewrites the word before it; TestArm64Words checks the result the
// other way round, disassembling every word with GNU objdump. Run it with
//
//	go generate ./kernels   (or: cd kernels && go run gen_armwords.go)
//
// after adding or changing a WORD line; write the word as $0x00000000 until
// then.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// wordLine matches a WORD line: the hex word, the comment's instruction.
var wordLine = regexp.MustCompile(`WORD(\s+)\$0x([0-9a-fA-F]{8})(\s*)(//|/\*)\s*([^*\\]+?)\s*(\*/)?(\s*\\)?$`)

func main() {
	files, err := filepath.Glob("*_arm64.s")
	if err != nil || len(files) == 0 {
		log.Fatalf("no *_arm64.s files here (%v)", err)
	}
	var insts []string
	index := map[string]int{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			log.Fatal(err)
		}
		for _, line := range strings.Split(string(src), "\n") {
			if m := wordLine.FindStringSubmatch(line); m != nil {
				if _, ok := index[m[5]]; !ok {
					index[m[5]] = len(insts)
					insts = append(insts, m[5])
				}
			}
		}
	}
	words, err := assemble(insts)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			log.Fatal(err)
		}
		lines := strings.Split(string(src), "\n")
		for i, line := range lines {
			m := wordLine.FindStringSubmatchIndex(line)
			if m == nil {
				continue
			}
			inst := line[m[10]:m[11]]
			hex := fmt.Sprintf("%08x", words[index[inst]])
			lines[i] = line[:m[4]] + hex + line[m[5]:]
		}
		out := strings.Join(lines, "\n")
		if out != string(src) {
			if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
				log.Fatal(err)
			}
			fmt.Println("updated", f)
		}
	}
}

// assemble returns the encoding of each instruction, by GNU as and objdump.
func assemble(insts []string) ([]uint32, error) {
	dir, err := os.MkdirTemp("", "armwords")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "w.s")
	obj := filepath.Join(dir, "w.o")
	if err := os.WriteFile(src, []byte(strings.Join(insts, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	if out, err := exec.Command("aarch64-linux-gnu-as", "-march=armv8.6-a", "-o", obj, src).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("aarch64-linux-gnu-as: %v\n%s", err, out)
	}
	out, err := exec.Command("aarch64-linux-gnu-objdump", "-d", obj).Output()
	if err != nil {
		return nil, fmt.Errorf("aarch64-linux-gnu-objdump: %v", err)
	}
	var words []uint32
	for _, line := range bytes.Split(out, []byte("\n")) {
		var off int
		var w uint32
		if n, _ := fmt.Sscanf(strings.TrimSpace(string(line)), "%x:\t%x", &off, &w); n == 2 {
			words = append(words, w)
		}
	}
	if len(words) != len(insts) {
		return nil, fmt.Errorf("assembled %d words for %d instructions", len(words), len(insts))
	}
	return words, nil
}
