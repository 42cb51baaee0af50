#!/usr/bin/env bash
# What int8 inference costs in quality (docs/precision.md): trains the
# models, then runs bench/cmd/quantquality on each, which encodes the whole
# corpus and the test queries at float32 and at int8 and prints a table
# row (cosines, nDCG@10 and recall@100 at both, the paired randomization
# test, top-10 overlap, the SQ8 index's recall@10 against exact search).
#
#	bash bench/quant_quality.sh [workdir]     (default: a temporary folder)
#
# Models: a random-weight model of all-MiniLM-L6-v2's shape
# (bench/cmd/randmodel); the demo's model (rrra demo, Cranfield); a tiny
# model trained from scratch on SciFact (rrra train, BM25 negatives, 1000
# steps); and the MiniLM-shaped model fine-tuned on SciFact for 300 steps
# (its vocabulary is the test mini model's 1,000 WordPieces). About 45
# minutes on 2 cores, most of it training.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
go build -o "$work/rrra" ./cmd/rrra
go build -o "$work/quantquality" ./bench/cmd/quantquality
[ -d "$work/minilm-rand" ] || go run ./bench/cmd/randmodel --out "$work/minilm-rand" --vocab-from retrieval/testdata/mini-model
[ -d "$work/demo/model" ] || "$work/rrra" demo --out "$work/demo" >/dev/null
[ -d "$work/scifact-tiny" ] || "$work/rrra" train --data scifact --out "$work/scifact-tiny" --steps 1000 >"$work/scifact-tiny.log" 2>&1
[ -d "$work/minilm-scifact" ] || "$work/rrra" train --data scifact --model "$work/minilm-rand" --out "$work/minilm-scifact" \
	--steps 300 --doc-len 128 --lr 5e-4 >"$work/minilm-scifact.log" 2>&1
"$work/rrra" info | sed 's/^/    /'
echo
echo "| model | collection | docs | doc cosine mean | 1st pct | min | query cosine mean | nDCG@10 int8 (fp32) | R@100 int8 (fp32) | p (nDCG@10) | top-10 kept | SQ8 recall@10 | SQ8 re-scored |"
echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
q() { "$work/quantquality" "$@" | tail -1; }
q --data cranfield --model "$work/minilm-rand" --label "MiniLM-L6 shape, random weights"
q --data scifact --model "$work/minilm-rand" --label "MiniLM-L6 shape, random weights"
q --data cranfield --model "$work/demo/model" --label "rrra demo (mini, from scratch)"
q --data scifact --model "$work/scifact-tiny" --label "rrra train, tiny, from scratch"
q --data scifact --model "$work/minilm-scifact" --label "MiniLM-L6 shape, fine-tuned"
