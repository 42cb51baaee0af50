#!/usr/bin/env bash
# Runs the quality experiments whose tables README.md quotes: every
# negative sampler and RRRA on Cranfield and SciFact (3 seeds, the default
# budget of rrra experiment), and the planted-false-negative study on
# Cranfield (30% of each training query's relevant documents hidden).
# Writes results.json, table.md and PNG plots per experiment under
# docs/experiments/ (the Cranfield and SciFact runs committed on 2026-11-26
# predate the plots; rerun to get them).
# About an hour on the 2-core reference machine (Cranfield 23 min, the
# planted study 14, SciFact 19, measured 2026-11-26).
#
# The adapter ablation (every variant fitted on the same topk-uniform
# models, planted false negatives) runs with "ablation".
#
# Usage: bash bench/experiments.sh [cranfield|scifact|planted|ablation ...]
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o /tmp/rrra-experiments ./cmd/rrra
run() { # name args...
	local name=$1
	shift
	echo "== $name: rrra experiment $*" >&2
	/tmp/rrra-experiments experiment "$@" --out "docs/experiments/$name"
}
which=${*:-cranfield scifact planted}
for w in $which; do
	case $w in
	cranfield)
		run cranfield --data cranfield --seeds 3 \
			--methods bm25,crops,no-warmup,random,bm25-negatives,topk-uniform,simans,positive-aware,rrra-resample,rrra-rerank,rrra
		;;
	scifact)
		run scifact --data scifact --seeds 3 \
			--methods bm25,crops,topk-uniform,simans,positive-aware,rrra-resample,rrra-rerank,rrra
		;;
	planted)
		run cranfield-planted --data cranfield --seeds 3 --hide-positives 0.3 \
			--methods topk-uniform,simans,positive-aware,rrra-resample,rrra
		;;
	ablation)
		run cranfield-ablation --data cranfield --seeds 3 --hide-positives 0.3 --methods topk-uniform \
			--variants 'A:;A+score:score_feature=1;A+rel:rel_feature=1;A+lex:lex_feature=1;A+all:score_feature=1,rel_feature=1,lex_feature=1;features:score_feature=1,rel_feature=1,lex_feature=1,no_vectors=1;B:adapter=B;B+all:adapter=B,score_feature=1,rel_feature=1,lex_feature=1;no-balance:no_balance=1;no-residual:no_residual=1;no-Lnorm:beta=0'
		;;
	*)
		echo "unknown experiment $w" >&2
		exit 2
		;;
	esac
done
