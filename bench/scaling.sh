#!/usr/bin/env bash
# Multi-core scaling and the avx512 tier on a bigger host: SGEMM against
# numpy's BLAS at 1–16 threads (both tiers), the encoder against PyTorch
# (bench/bert_torch.py) at 1 and 16 threads, exact search at 1–16 threads.
# Writes its reports under OUT (default ./scaling-out). Needs Go, or the
# binaries prebuilt into BIN (peers, nn.test, index.test, rrra: what the
# device machine, which has no Go, was given), and a python3 with numpy and
# torch (PY, default python3) for the peers' columns.
#
# Usage: bash bench/scaling.sh            (THREADS=1,2,4,8,16 by default)
set -uo pipefail
cd "$(dirname "$0")/.."
R=$PWD
O=${OUT:-$R/scaling-out}
PY=${PY:-python3}
TH=${THREADS:-1,2,4,8,16}
mkdir -p "$O"
if [ -z "${BIN:-}" ]; then
	BIN=$(mktemp -d)
	go build -o "$BIN/peers" ./bench/cmd/peers && go build -o "$BIN/rrra" ./cmd/rrra &&
		go test -c -o "$BIN/nn.test" ./nn && go test -c -o "$BIN/index.test" ./retrieval/index && go test -c -o "$BIN/kernels.test" ./kernels || exit 1
fi
{
	grep -m1 "model name" /proc/cpuinfo
	grep -o -w 'avx512[a-z_0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' '
	echo
	"$BIN/rrra" info
} >"$O/machine.txt" 2>&1
# Every kernel test on this CPU, every tier it runs.
(cd kernels && "$BIN/kernels.test" -test.short >"$O/kernels-tests.txt" 2>&1)
# SGEMM: a 0.3 s pause before each sample lets OpenBLAS's threads, which
# spin for about 0.1 s after a call, go idle before rrra's sample starts.
shapes=NN:1024x1024x1024,NN:2048x2048x2048,NN:4096x1024x256,NT:64x128x128x64
for tier in avx2 avx512; do
	"$BIN/peers" -tier $tier -threads "$TH" -rounds 3 -min-time 0.1s -settle 0.3s -shapes $shapes \
		-peers ours,numpy -python "$PY" -out "$O/peers-$tier.md" >/dev/null 2>"$O/peers-$tier.err"
done
# The encoder (small: hidden 256, 4 layers; 64 documents of 128 tokens).
for tier in avx2 avx512; do
	(cd nn && RRRA_KERNELS=$tier RRRA_BENCH_THREADS=1,16 "$BIN/nn.test" -test.run '^$' -test.bench 'Encode/small' -test.benchtime 5x |
		grep ^Bench | sed "s/^/$tier /")
done >"$O/encode.txt"
for t in 1 16; do
	OMP_NUM_THREADS=$t OMP_WAIT_POLICY=PASSIVE "$PY" bench/bert_torch.py --what encode --config small --threads $t --steps 5 >>"$O/encode.txt"
done
# Exact search: 100,000 vectors of 384, 64 queries, top 100.
(cd retrieval/index && RRRA_BENCH_THREADS=$TH "$BIN/index.test" -test.run '^$' -test.bench 'Search/d384/nq64/k100' -test.benchtime 10x) >"$O/search.txt"
cat "$O"/machine.txt "$O"/kernels-tests.txt "$O"/peers-*.md "$O"/encode.txt "$O"/search.txt
