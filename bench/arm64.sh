#!/usr/bin/env bash
# The arm64 benchmark table, for the first person with an arm64 host (this
# project has none): the machine (rrra info), the kernel benchmarks of every
# tier the CPU runs (float32 neon against generic, the integer and
# bfloat16 tiers), and the encoder's documents per second. Every benchmark
# name carries its tier. Run from the repository root on the arm64 host:
#
#   mkdir -p docs/arm64 && bash bench/arm64.sh 5 > docs/arm64/<host>.md
#
# Arguments and environment:
#   $1            rounds of each benchmark (go test -count; default 5)
#   BENCHTIME     go test -benchtime (default 1s)
#   ENCODE        the encoder shapes, a regexp over tiny|small|minilm|bert-base
#                 (default tiny|minilm; "none" leaves the encoder out)
#   KERNELS       the kernel benchmarks, a go test -bench regexp (default
#                 MicroKernel|Sgemm$|Dot$|Scores|DotRowsU8|GELU|Int8Linear|GemmU8S8|SgemmBF16)
#   RRRA_BENCH_THREADS  the encoder's thread counts (default 1,2)
#   EXEC          run under an emulator, e.g. EXEC=qemu-aarch64 on x86: this
#                 tests the script (CI does); the timings then mean nothing
# The float32 tier compared with generic also shows how much the NEON code
# buys on that core; docs/arm64.md has the static account to compare with.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
benchtime=${BENCHTIME:-1s}
encode=${ENCODE:-tiny|minilm}
kernels=${KERNELS:-'MicroKernel|Sgemm$|Dot$|Scores|DotRowsU8|GELU|Int8Linear|GemmU8S8|SgemmBF16'}
case $count in '' | *[!0-9]* | 0)
	echo "bench/arm64.sh: rounds must be a positive integer, got '$count'" >&2
	exit 2
	;;
esac
execflag=()
if [ -n "${EXEC:-}" ]; then
	export GOARCH=arm64 CGO_ENABLED=0
	execflag=(-exec "$EXEC")
fi
if [ "$(go env GOARCH)" != arm64 ]; then
	echo "bench/arm64.sh: GOARCH is $(go env GOARCH), not arm64 (EXEC=qemu-aarch64 emulates one)" >&2
	exit 2
fi
filter() { grep -E '^(Benchmark|cpu:|goos:|goarch:)' || true; }

echo "# arm64 benchmarks"
echo
echo "Produced by \`bash bench/arm64.sh $count\` (benchtime $benchtime) on $(date -u '+%Y-%m-%d %H:%M UTC')${EXEC:+, under $EXEC: emulated, the timings mean nothing}."
echo
echo "## The machine (\`rrra info\`)"
echo
echo '```text'
go run "${execflag[@]}" ./cmd/rrra info
echo '```'
echo
echo "## Kernels, every tier (\`go test -bench ./kernels\`)"
echo
echo "MicroKernel is each tier's SGEMM micro-kernel alone on L1-resident panels:"
echo "compare its GFLOP/s with the core's peak (docs/arm64.md: 8 flop/cycle per"
echo "128-bit FMLA pipe) at its clock."
echo
echo '```text'
go test "${execflag[@]}" -run '^$' -bench "$kernels" -benchtime "$benchtime" -count "$count" ./kernels | filter
echo '```'
[ "$encode" = none ] && exit 0
echo
echo "## Encoding, batches of 64 documents (\`go test -bench 'Encode/($encode)/' ./nn\`)"
echo
echo '```text'
go test "${execflag[@]}" -run '^$' -bench "Encode/($encode)/" -benchtime "$benchtime" -count "$count" ./nn | filter
echo '```'
