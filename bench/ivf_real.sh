#!/usr/bin/env bash
# IVF on real embeddings (docs/ivf.md): SciFact and Cranfield encoded by a
# trained model, their test queries by its query tower.
#
#  1. For each collection, bench/ivf.sh with VECTORS: rrra's IVF-Flat and
#     IVF-SQ8 against FAISS's and FAISS's HNSW on the same vectors, nlist
#     4·√documents (rrra's default), recall@10 against exact search and
#     queries/s at every nprobe.
#  2. Quality end to end through the CLI: nDCG@10 and recall@100 of rrra
#     search over the exact index and over IVF-Flat and IVF-SQ8 indexes
#     (rrra index --type ivf, default nlist and k-means) at the default
#     nprobe (an eighth of the lists) and at twice and half of it.
#
#	bash bench/ivf_real.sh [rounds] [workdir]     (defaults: 3, a temporary folder)
#	MODEL_SCIFACT=DIR MODEL_CRANFIELD=DIR bash bench/ivf_real.sh 3   (other models)
#
# The models: for each collection, a random-weight model of
# all-MiniLM-L6-v2's shape (384 wide; bench/cmd/randmodel) trained on the
# collection's training queries for 300 steps (rrra train, as
# bench/quant_quality.sh trains its SciFact one); each made once in the
# work folder. Writes $OUT/ivf-scifact*.png and $OUT/ivf-cranfield*.png.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
work=${2:-$(mktemp -d)}
out=${OUT:-.}
mkdir -p "$work"
go build -o "$work/rrra" ./cmd/rrra
go build -o "$work/ivfbench" ./bench/cmd/ivfbench
# One model per collection, the same recipe: bench/quant_quality.sh's
# random-weight model of all-MiniLM-L6-v2's shape, trained on the
# collection's training queries.
model_of() { # collection
	local m=$work/minilm-$1
	case $1 in
	scifact) m=${MODEL_SCIFACT:-$m} ;;
	cranfield) m=${MODEL_CRANFIELD:-$m} ;;
	esac
	if [ ! -d "$m" ]; then
		[ -d "$work/minilm-rand" ] || go run ./bench/cmd/randmodel --out "$work/minilm-rand" --vocab-from retrieval/testdata/mini-model
		"$work/rrra" train --data "$1" --model "$work/minilm-rand" --out "$m" \
			--steps 300 --doc-len 128 --lr 5e-4 >"$work/minilm-$1.log" 2>&1
	fi
	echo "$m"
}
for c in scifact cranfield; do
	mkdir -p "$work/$c"
	"$work/ivfbench" embed -data "$c" -model "$(model_of "$c")" -split test -base "$work/$c/base.npy" -queries "$work/$c/queries.npy"
done
for c in scifact cranfield; do
	n=$(case $c in scifact) echo 5183 ;; cranfield) echo 1400 ;; esac)
	nlist=$(awk -v n="$n" 'BEGIN { printf "%d", 4 * sqrt(n) + 0.5 }')
	echo "## $c"
	echo
	VECTORS=$work/$c NLIST=$nlist ITERATIONS=20 NPROBE=1,2,4,8,16,32,64 EFSEARCH=16,32,64,128 OUT=$work/$c \
		bash bench/ivf.sh "$rounds"
	cp "$work/$c/ivf.png" "$out/ivf-$c.png"
	cp "$work/$c/ivf-nq64.png" "$out/ivf-$c-nq64.png"
	echo
done

echo "## nDCG@10 through rrra search (test queries)"
echo
echo "| collection | index | nlist | nprobe | nDCG@10 | Δ vs exact | recall@100 |"
echo "|---|---|--:|--:|--:|--:|--:|"
for c in scifact cranfield; do
	common=(--data "$c" --model "$(model_of "$c")")
	"$work/rrra" index "${common[@]}" --out "$work/$c/flat.idx" --quiet 2>/dev/null
	"$work/rrra" index "${common[@]}" --type ivf --out "$work/$c/ivf.idx" --quiet 2>/dev/null
	"$work/rrra" index "${common[@]}" --type ivf --sq8 --out "$work/$c/sq8.idx" --quiet 2>/dev/null
	nlist=$("$work/rrra" index --stat "$work/$c/ivf.idx" | awk '/^lists:/ {print $2}')
	def=$("$work/rrra" index --stat "$work/$c/ivf.idx" | awk '/^nprobe:/ {print $2}')
	q() { "$work/rrra" search "${common[@]}" --method dense --split test --out /dev/null --json "$@" 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["ndcg_cut_10"], j["recall_100"])'; }
	read -r e0 r0 < <(q --index "$work/$c/flat.idx")
	echo "| $c | exact | | | $e0 | | $r0 |"
	for kind in ivf sq8; do
		for np in $((def / 2)) "$def" $((def * 2)); do
			[ "$np" -ge 1 ] || continue
			read -r e r < <(q --index "$work/$c/$kind.idx" --nprobe "$np")
			d=$(awk -v a="$e" -v b="$e0" 'BEGIN { printf "%+.4f", a - b }')
			label=$([ "$np" = "$def" ] && echo "$np (default)" || echo "$np")
			echo "| $c | IVF-$([ $kind = ivf ] && echo Flat || echo SQ8) | $nlist | $label | $e | $d | $r |"
		done
	done
done
