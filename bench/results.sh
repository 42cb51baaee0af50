#!/usr/bin/env bash
# Regenerates bench/RESULTS.md: the machine (rrra info), the SGEMM peer
# table (OpenBLAS through numpy, gonum), the Go benchmarks of Dot and of the
# micro-kernels alone, the autograd block step against PyTorch, and the
# per-op autograd benchmarks. Run from the repository root on a quiet
# machine; it takes about half an hour on two cores and installs nothing
# (see bench/README.md for what the OpenBLAS and PyTorch columns need).
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
	echo
	echo "## Training step: autograd against PyTorch (\`bash bench/blockstep.sh 5\`)"
	echo
	echo "One forward and backward step of a two-layer BERT-style post-LN encoder (hidden 256,"
	echo "4 heads, FFN 1024, batch 64 × 128 tokens, mean-pooled InfoNCE, no dropout):"
	echo "autograd's BenchmarkBlockStep against bench/blockstep_torch.py (PyTorch"
	echo "$(/usr/bin/python3 -c 'import torch; print(torch.__version__)' 2>/dev/null || echo 'n/a'), CPU)."
	echo
	bash bench/blockstep.sh 5
	echo
	echo "## BERT training step and encoding against PyTorch (\`bash bench/bert.sh 3\`)"
	echo
	echo "nn's BenchmarkTrainStep (32 queries × 32 tokens and 64 documents × 128, in-batch InfoNCE with a hard"
	echo "negative per query, backward, clipping, AdamW, dropout 0.1) and BenchmarkEncode (64 documents × 128"
	echo "tokens, no gradients) against bench/bert_torch.py, the same model in plain PyTorch; vocab 30522;"
	echo "tiny = hidden 128, 2 layers, 2 heads, FFN 512; small = hidden 256, 4 layers, 4 heads, FFN 1024."
	echo
	bash bench/bert.sh 3
	echo
	echo "## Autograd ops, forward and backward (\`go test -run '^\$' -bench BenchmarkOps -benchtime 20x ./autograd\`)"
	echo
	echo "Sizes of the block step: 8192 tokens × 256 features (FFN 1024, 4 heads, sequences of 128)."
	echo
	echo '```text'
	go test -run '^$' -bench 'BenchmarkOps' -benchtime 20x ./autograd | grep -E '^Benchmark'
	echo '```'
	echo
	echo "## Exact search against FAISS (\`bash bench/search.sh 5\`)"
	echo
	bash bench/search.sh 5
	echo
	echo "## Reading a BEIR corpus (\`go test -run '^\$' -bench LoadCorpus -benchtime 5x -count 5 ./retrieval/beir\`)"
	echo
	echo '```text'
	go test -run '^$' -bench 'LoadCorpus' -benchtime 5x -count 5 ./retrieval/beir | grep -E '^Benchmark'
	echo '```'
} >"$tmp"
mv "$tmp" "$out"
echo "wrote $out"
