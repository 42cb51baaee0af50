#!/usr/bin/env bash
# Static performance account of the arm64 (NEON) kernels, for want of an
# arm64 machine: cross-compiles the kernels for linux/arm64, disassembles
# each kernel's main loop from the binary with GNU objdump, and asks LLVM's
# machine-code analyzer (llvm-mca, whose scheduling models encode Arm's
# Software Optimization Guides) how many cycles one pass of that loop takes
# on each core, with the work a pass does. These are model predictions for
# L1-resident data, not measurements; docs/arm64.md explains them.
#
#   bash bench/arm64_mca.sh            # prints a Markdown table
#
# Needs (Debian): binutils-aarch64-linux-gnu, llvm-19 (llvm-mca-19).
# CPUS overrides the cores (llvm-mca -mcpu names); MCA and OBJDUMP the tools;
# LOOPS=dir keeps each loop's instructions there (dir/<kernel>.s), for
# llvm-mca's other views (-bottleneck-analysis, -timeline).
set -euo pipefail
cd "$(dirname "$0")/.."
MCA=${MCA:-llvm-mca-19}
OBJDUMP=${OBJDUMP:-aarch64-linux-gnu-objdump}
CPUS=${CPUS:-"cortex-a72 neoverse-n1 neoverse-v1 neoverse-v2"}
for tool in "$MCA" "$OBJDUMP"; do
	command -v "$tool" >/dev/null || { echo "bench/arm64_mca.sh: $tool not found (apt-get install llvm-19 binutils-aarch64-linux-gnu)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 GOARCH=arm64 go test -c -o "$tmp/kernels.test" ./kernels
"$OBJDUMP" -d --no-show-raw-insn "$tmp/kernels.test" >"$tmp/all.s"

# kernel (Go symbol), work per pass of its main loop, unit, what a pass is.
kernels="
sgemmMicroNEON.abi0 384 flop two_depth_steps_of_the_8x12_tile
microGeneric2x4 64 flop four_depth_steps_of_the_2x4_tile_(generic,_Go)
gather12NEON.abi0 48 elem four_depth_steps_of_12_rows_(packing_B)
dotNEON.abi0 64 flop 32_elements
dotGeneric 8 flop 4_elements_(generic,_Go)
axpyNEON.abi0 32 flop 16_elements
dotU8NEON.abi0 32 flop 16_bytes
geluNEON.abi0 4 elem one_register
geluBackwardNEON.abi0 4 elem one_register
expShiftSumNEON.abi0 4 elem one_register
layerNormRowNEON.abi0 8 elem the_sum_pass,_two_registers
int8MicroASIMDDP.abi0 768 op one_group_of_the_6x16_tile_(384_MAC)
int8MicroNEON.abi0 256 op one_group_of_the_2x16_tile_(128_MAC)
bf16MicroNEONBF16.abi0 384 flop one_pair_of_the_6x16_tile_(192_MAC)
bf16MicroNEON.abi0 128 flop one_pair_of_the_2x16_tile_(64_MAC)
"

# loop SYMBOL prints the main loop of a kernel: the instructions from the
# target of the function's first backward branch to that branch. SYMBOL is
# the Go name in package kernels; assembly functions carry ".abi0".
loop() {
	awk -v sym="<github.com/rrra/rrra/kernels.$1>:" '
		function hex(s,   i, v) {
			v = 0
			for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		index($0, sym) { on = 1; next }
		on && /^$/ { exit }
		on {
			split($0, f, "\t")
			addr = f[1]; sub(/^ */, "", addr); sub(/:$/, "", addr)
			ins = f[2]; args = f[3]; sub(/ *\/\/.*/, "", args); sub(/ *<.*>/, "", args)
			tgt = -1
			if (ins ~ /^(b|b\..*|cbz|cbnz|tbz|tbnz)$/) {
				# The target is the last operand; it becomes "." (llvm-mca
				# repeats the block anyway).
				t = args; sub(/.*[ ,]/, "", t); tgt = hex(t)
				sub(/[0-9a-f]+$/, ".", args)
			}
			n++; A[n] = hex(addr); I[n] = ins " " args
			if (tgt >= 0 && tgt < A[n]) {
				for (i = 1; i <= n; i++) if (A[i] >= tgt) print I[i]
				exit
			}
		}' "$tmp/all.s"
}

printf '| kernel | pass | instructions |'
for c in $CPUS; do printf ' %s cycles | %s per cycle |' "$c" "$c"; done
printf '\n|---|---|---|'
for c in $CPUS; do printf -- '---|---|'; done
printf '\n'
echo "$kernels" | while read -r sym work unit what; do
	[ -n "$sym" ] || continue
	loop "$sym" >"$tmp/$sym.s"
	if [ -n "${LOOPS:-}" ]; then
		mkdir -p "$LOOPS"
		cp "$tmp/$sym.s" "$LOOPS/"
	fi
	n=$(wc -l <"$tmp/$sym.s")
	if [ "$n" -eq 0 ]; then
		echo "bench/arm64_mca.sh: no loop found in $sym" >&2
		exit 1
	fi
	printf '| %s | %s | %d |' "${sym%.abi0}" "${what//_/ }" "$n"
	for c in $CPUS; do
		cyc=$("$MCA" -mtriple=aarch64 -mcpu="$c" -mattr=+dotprod,+bf16 -iterations=400 "$tmp/$sym.s" 2>/dev/null |
			awk '/^Iterations:/ {it = $2} /^Total Cycles:/ {print $3 / it}')
		awk -v c="$cyc" -v w="$work" -v u="$unit" 'BEGIN { printf " %.2f | %.2f %s |", c, w / c, u }'
	done
	printf '\n'
done
