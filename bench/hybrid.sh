#!/bin/bash
# Hybrid ranking on a BEIR collection (issue 19): BM25, a dense model,
# reciprocal rank fusion, a linear fusion with one tuned weight and the
# learned fusion (adapter.Fusion), fitted on out-of-sample features.
#
# The fusion must see dense scores the model did not train on: two more
# models are fine-tuned, each on one half of the training queries
# (retrieval.SplitDev at 0.5), and each half's features come from the
# model that did not see it. All three fine-tunes start from one crop
# warm-up, with the demo's settings (rrra experiment's defaults).
#
# Usage: bash bench/hybrid.sh [cranfield|scifact] [WORKDIR]
set -euo pipefail
data=${1:-cranfield}
work=${2:-/tmp/rrra-hybrid-$data}
mkdir -p "$work"
go build -o "$work/rrra" ./cmd/rrra
rrra="$work/rrra"
$rrra info | head -2
date -u +%Y-%m-%d
ft=(--model "$work/warm" --sampler topk-uniform --negatives 3 --batch 16 --steps 300 --lr 1e-3 --refresh 100 --doc-len 128 --quiet)
$rrra train --data "$data" --crops --steps 300 --batch 32 --lr 2e-3 --config mini --vocab-size 4000 --doc-len 128 --out "$work/warm" --quiet
$rrra train --data "$data" "${ft[@]}" --dev-frac 0 --out "$work/full"
$rrra train --data "$data" "${ft[@]}" --dev-frac 0.5 --out "$work/train-half"
go run ./bench/cmd/hybrid --data "$data" --write-dev-half "$work/dev-half-data"
$rrra train --data "$work/dev-half-data" "${ft[@]}" --dev-frac 0 --out "$work/dev-half"
go run ./bench/cmd/hybrid --data "$data" --model "$work/full" --crossfit "$work/train-half,$work/dev-half"
