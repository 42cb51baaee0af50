#!/usr/bin/env bash
# Regenerates bench/RESULTS.md: the machine (rrra info), the SGEMM peer
# table (OpenBLAS through numpy, gonum), and the Go benchmarks of Dot and
# of the micro-kernels alone. Run from the repository root on a quiet
# machine; it takes about ten minutes on two cores and installs nothing
# (see bench/README.md for what the OpenBLAS column needs).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/RESULTS.md
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
	echo "# Benchmark results"
	echo
	echo "Produced by \`bash bench/results.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo
	echo "## The machine (\`rrra info\`)"
	echo
	echo '```text'
	go run ./cmd/rrra info
	echo '```'
	echo
	go run ./bench/cmd/peers | sed 's/^# rrra SGEMM against its peers/## SGEMM against its peers/; s/^### /### SGEMM, /'
	echo
	echo "## Dot and the micro-kernels (\`go test -run '^\$' -bench 'Dot|MicroKernel' -count 5 ./kernels\`)"
	echo
	echo "Dot reports the bytes of x and y read per second; n = 4096 (32 KiB) stays in"
	echo "L1, n = 32768 (256 KiB) in L2. MicroKernel is each tier's SGEMM micro-kernel"
	echo "alone on L1-resident panels, the ceiling of its SGEMM; with the FMA units"
	echo "saturated, its GFLOP/s divided by 32 flop/cycle (two 256-bit FMAs) bounds the"
	echo "clock from below, and 64 bytes/cycle (two 32-byte loads) times that clock"
	echo "bounds an L1-resident Dot."
	echo
	echo '```text'
	go test -run '^$' -bench 'Dot|MicroKernel' -count 5 ./kernels | grep -E '^(Benchmark|cpu|goos|goarch)'
	echo '```'
} >"$tmp"
mv "$tmp" "$out"
echo "wrote $out"
