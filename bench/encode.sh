#!/usr/bin/env bash
# Encoding speed and memory at the shapes of the encoders users deploy:
# rrra (bench/cmd/encspeed, the packed path retrieval.Encoder takes) against
# PyTorch (bench/encode_torch.py, Hugging Face BertModel's eager semantics,
# padded length-sorted batches as sentence-transformers encodes), on the
# same token ids: SciFact's first N abstracts (title and text) tokenised
# with the bert-base-uncased vocabulary, at most 256 tokens, batches of 32,
# random weights, pooled and normalised; tokenisation is not timed on
# either side. Shapes: minilm (all-MiniLM-L6-v2: hidden 384, 6 layers, 12
# heads, FFN 1536), bge-small (bge-small-en-v1.5: 12 layers of the same),
# bert-base (768, 12, 12, 3072). Rounds are interleaved (which side runs
# first alternates), every run is its own process, so its peak RSS is its
# own. Prints a markdown table of medians, ratios of medians, and each
# ratio's range over rounds.
#
#	bash bench/encode.sh [rounds]          (default 5)
#	SHAPES="minilm" THREADS="1" N=128 N_BASE=32 bash bench/encode.sh 5
#
# Needs Debian's python3-torch and, for a fair peer, OpenBLAS
# (apt-get install python3-torch libopenblas0-pthread): Debian's torch calls
# the libblas.so.3 alternative, and the reference BLAS behind it by default
# is an order of magnitude slower. The table names the BLAS torch had.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
shapes=${SHAPES:-minilm bge-small bert-base}
threads=${THREADS:-1 2}
n=${N:-128}
nbase=${N_BASE:-32}
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/encspeed" ./bench/cmd/encspeed
go build -o "$tmp/rrra" ./cmd/rrra
"$py" -c 'import torch' 2>/dev/null || { echo "encode.sh: $py cannot import torch (apt-get install python3-torch)" >&2; exit 1; }
count() { if [ "$1" = bert-base ]; then echo "$nbase"; else echo "$n"; fi; }
for s in $shapes; do
	"$tmp/encspeed" -shape "$s" -n "$(count "$s")" -write-ids "$tmp/$s.ids"
done
ours() { "$tmp/encspeed" -shape "$1" -n "$(count "$1")" -threads "$2"; }
torch() {
	env -u OPENBLAS_CORETYPE OMP_NUM_THREADS="$2" OPENBLAS_NUM_THREADS="$2" OMP_WAIT_POLICY=PASSIVE \
		"$py" bench/encode_torch.py --ids "$tmp/$1.ids" --shape "$1" --threads "$2"
}
for r in $(seq "$rounds"); do
	for s in $shapes; do
		for th in $threads; do
			if [ $((r % 2)) = 1 ]; then
				ours "$s" "$th" >>"$tmp/samples"
				torch "$s" "$th" >>"$tmp/samples"
			else
				torch "$s" "$th" >>"$tmp/samples"
				ours "$s" "$th" >>"$tmp/samples"
			fi
			echo "round $r/$rounds: $s t$th" >&2
		done
	done
done
info=$("$tmp/rrra" info | awk -F': *' '$1 == "cpu" || $1 == "cores" || $1 == "selected" { sub(/ \(force.*/, "", $2); printf "%s%s %s", (n++ ? "; " : ""), $1, $2 }')
"$py" - "$tmp/samples" "$info" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    rows.setdefault((d["who"], d["shape"], d["threads"]), []).append(d)
blas = {d.get("blas") for k, v in rows.items() if k[0] == "torch" for d in v}
import datetime
print(f"Machine (rrra info): {sys.argv[2].strip()}. Date {datetime.date.today()}. PyTorch {next(d['torch'] for k, v in rows.items() if k[0] == 'torch' for d in v)} with {', '.join(sorted(blas))}.\n")
print("| shape | threads | docs | tokens | rrra docs/s | PyTorch docs/s | speed ratio (range) | rrra peak RSS MiB | PyTorch peak RSS MiB | RSS ratio |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
order = {"minilm": 0, "bge-small": 1, "bert-base": 2}
for (who, shape, th) in sorted((k for k in rows if k[0] == "rrra"), key=lambda k: (order.get(k[1], 9), k[2])):
    o, p = rows[("rrra", shape, th)], rows[("torch", shape, th)]
    om = statistics.median(d["docs_per_s"] for d in o)
    pm = statistics.median(d["docs_per_s"] for d in p)
    # per-round ratios (rounds are paired in order)
    rr = [a["docs_per_s"] / b["docs_per_s"] for a, b in zip(o, p)]
    orss, prss = max(d["peak_rss_mib"] for d in o), max(d["peak_rss_mib"] for d in p)
    print(f"| {shape} | {th} | {o[0]['docs']} | {o[0]['tokens']} | {om:.2f} | {pm:.2f} | {om / pm:.2f} ({min(rr):.2f}–{max(rr):.2f}) | {orss:.0f} | {prss:.0f} | {orss / prss:.2f} |")
n = len(next(iter(rows.values())))
print(f"\n{n} interleaved round(s); docs/s are medians over rounds of whole-set throughput (after one warm-up batch); speed ratio = rrra/PyTorch of the medians, the range that of the per-round ratios; peak RSS is the largest over rounds, each run in its own process (rrra: VmHWM; PyTorch: ru_maxrss).")
PY
