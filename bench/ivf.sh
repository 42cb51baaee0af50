#!/usr/bin/env bash
# rrra's IVF index against FAISS's, side by side in one run: the same
# vectors, nlist and nprobe grid; IVF-Flat and IVF-SQ8 for both, and
# FAISS's IndexHNSWFlat (M 32, efSearch on the nprobe grid) as the other
# approximate index users reach for. Every (engine, index, thread count) is
# its own process per round, the rounds interleaved (the order rotates each
# round). Each process builds its index (k-means of ITERATIONS rounds with
# the same seed on 256 vectors per list), timing it and reading its peak
# resident memory, then times single queries and blocks of 64 at every
# nprobe and scores recall@10 against exact search.
#
# The vectors (bench/cmd/ivfbench gen): N documents and 1024 queries of
# dimension D from a seeded clustered distribution, CLUSTERS centres
# uniform on the unit sphere, each vector a centre plus Gaussian noise of
# standard deviation SPREAD/√D per coordinate, normalised. With VECTORS=DIR
# the documents and queries are DIR/base.npy and DIR/queries.npy instead
# (real embeddings: ivfbench embed, as bench/ivf_real.sh makes them).
# KINDS may also name sq8-rescore: IVF-SQ8 keeping the float32 vectors,
# searched from its file (vectors memory-mapped) re-scoring the best 100
# exactly, against FAISS's IndexRefineFlat over IVF-SQ8 with k_factor 10.
#
#	bash bench/ivf.sh [rounds]     (default 3)
#	N=200000 NLIST=512 THREADS="1" KINDS="flat" bash bench/ivf.sh 3
#	VECTORS=/tmp/scifact NLIST=64 NPROBE=1,2,4,8,16 bash bench/ivf.sh 3
#
# Prints the report of ivfbench report (markdown) and writes
# $OUT/ivf.png and $OUT/ivf-nq64.png (OUT defaults to the working
# directory). Needs Debian's python3-faiss and python3-numpy for the FAISS
# rows (the harness installs nothing; without them only rrra runs).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
n=${N:-1000000}
d=${D:-384}
clusters=${CLUSTERS:-1000}
spread=${SPREAD:-1.5}
nlist=${NLIST:-1024}
iters=${ITERATIONS:-10}
nprobe=${NPROBE:-1,2,4,8,16,32,64,128}
efsearch=${EFSEARCH:-16,32,64,128,256}
threads=${THREADS:-1 2}
kinds=${KINDS:-flat sq8}
hnsw=${HNSW:-1}
out=${OUT:-.}
mkdir -p "$out"
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/ivfbench" ./bench/cmd/ivfbench
go build -o "$tmp/rrra" ./cmd/rrra
have_faiss=1
"$py" -c 'import faiss, numpy' 2>/dev/null || {
	have_faiss=0
	echo "ivf.sh: $py cannot import faiss and numpy: rrra only (apt-get install python3-faiss)" >&2
}
if [ -n "${VECTORS:-}" ]; then
	base=$VECTORS/base.npy
	queries=$VECTORS/queries.npy
	what="vectors of $VECTORS"
else
	base=$tmp/base.npy
	queries=$tmp/queries.npy
	"$tmp/ivfbench" gen -n "$n" -d "$d" -clusters "$clusters" -spread "$spread" -seed 1 -nq 1024 -base "$base" -queries "$queries"
	what="$n synthetic vectors of dimension $d ($clusters clusters, spread $spread, seed 1)"
fi
"$tmp/ivfbench" truth -base "$base" -queries "$queries" -k 10 -out "$tmp/truth.npy"

configs() {
	for t in $threads; do
		for k in $kinds; do
			echo "rrra $k $t"
			if [ "$have_faiss" = 1 ]; then echo "faiss $k $t"; fi
		done
		if [ "$have_faiss" = 1 ] && [ "$hnsw" = 1 ]; then echo "faiss hnsw $t"; fi
	done
}
measure() { # engine kind threads
	case $1 in
	rrra)
		"$tmp/ivfbench" run -base "$base" -queries "$queries" -truth "$tmp/truth.npy" -kind "$2" -nlist "$nlist" \
			-iterations "$iters" -nprobe "$nprobe" -threads "$3" ;;
	faiss)
		local grid=$nprobe
		if [ "$2" = hnsw ]; then grid=$efsearch; fi
		env -u OPENBLAS_CORETYPE OMP_NUM_THREADS="$3" OPENBLAS_NUM_THREADS="$3" OMP_WAIT_POLICY=PASSIVE \
			"$py" bench/ivf_faiss.py --base "$base" --queries "$queries" --truth "$tmp/truth.npy" --kind "$2" \
			--nlist "$nlist" --iterations "$iters" --nprobe "$grid" --threads "$3" ;;
	esac
}
mapfile -t all < <(configs)
for ((r = 0; r < rounds; r++)); do
	for ((i = 0; i < ${#all[@]}; i++)); do
		c=${all[$(((i + r) % ${#all[@]}))]}
		echo "round $((r + 1))/$rounds: $c" >&2
		# shellcheck disable=SC2086
		measure $c >> "$tmp/results.jsonl"
	done
done
echo "Machine (rrra info): $("$tmp/rrra" info | awk -F': +' '/^cpu:/ {print $2}'); $(date -u +%Y-%m-%d). Data: $what; nlist $nlist, k-means $iters rounds; $rounds interleaved rounds."
echo
"$tmp/ivfbench" report -in "$tmp/results.jsonl" -png "$out/ivf.png"
cp "$tmp/results.jsonl" "$out/ivf-results.jsonl"
