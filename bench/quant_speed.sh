#!/usr/bin/env bash
# int8 encoding speed, side by side in one run: rrra at float32 (the tier
# the CPU chooses, and the avx2 tier forced: what a CPU without AVX-512
# runs), rrra at int8 (the integer tier the CPU chooses), rrra at int8 with
# the AVX2 tier forced (RRRA_KERNELS_INT8=avx2: what a CPU without VNNI
# runs), rrra at int8 on the avx512vnni tier when the CPU's choice is
# amxint8 (rrra-int8-vnni: what an AVX512-VNNI CPU without AMX runs), and
# PyTorch 1.13's dynamic int8 quantization of every Linear layer
# (torch.ao.quantization.quantize_dynamic, qint8 weights, activations
# quantized per batch) on each quantized engine Debian's build has
# (onednn, qnnpack). Same harness as bench/encode.sh (bench/cmd/encspeed
# against bench/encode_torch.py): the same token ids from SciFact's first N
# abstracts, at most 256 tokens, length-sorted batches of 32, random
# weights, pooled and normalised; tokenisation not timed. Rounds are
# interleaved (the order of the runs rotates every round), every run its
# own process. Prints a markdown table of medians and of ratios of medians
# with each ratio's range over rounds.
#
#	bash bench/quant_speed.sh [rounds]          (default 5)
#	SHAPES="minilm" THREADS="1" ENGINES="onednn" bash bench/quant_speed.sh 5
#
# Needs Debian's python3-torch and libopenblas0-pthread (see encode.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
shapes=${SHAPES:-minilm bge-small bert-base}
threads=${THREADS:-1 2}
engines=${ENGINES:-onednn qnnpack}
n=${N:-64}
nbase=${N_BASE:-16}
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/encspeed" ./bench/cmd/encspeed
go build -o "$tmp/rrra" ./cmd/rrra
"$py" -c 'import torch' 2>/dev/null || { echo "quant_speed.sh: $py cannot import torch (apt-get install python3-torch)" >&2; exit 1; }
count() { if [ "$1" = bert-base ]; then echo "$nbase"; else echo "$n"; fi; }
for s in $shapes; do
	"$tmp/encspeed" -shape "$s" -n "$(count "$s")" -write-ids "$tmp/$s.ids"
done
# One configuration per line: a label and the command that prints its JSON.
configs() {
	echo "rrra-fp32"
	echo "rrra-fp32-avx2"
	echo "rrra-int8"
	echo "rrra-int8-avx2"
	if "$tmp/rrra" info | grep -q '^int8: *amxint8'; then echo "rrra-int8-vnni"; fi
	for e in $engines; do echo "torch-int8-$e"; done
}
measure() { # label shape threads
	local c=$1 s=$2 th=$3
	case $c in
	rrra-fp32) "$tmp/encspeed" -shape "$s" -n "$(count "$s")" -threads "$th" -precision fp32 ;;
	rrra-fp32-avx2) RRRA_KERNELS=avx2 "$tmp/encspeed" -shape "$s" -n "$(count "$s")" -threads "$th" -precision fp32 ;;
	rrra-int8) "$tmp/encspeed" -shape "$s" -n "$(count "$s")" -threads "$th" -precision int8 ;;
	rrra-int8-avx2) RRRA_KERNELS_INT8=avx2 "$tmp/encspeed" -shape "$s" -n "$(count "$s")" -threads "$th" -precision int8 ;;
	rrra-int8-vnni) RRRA_KERNELS_INT8=avx512vnni "$tmp/encspeed" -shape "$s" -n "$(count "$s")" -threads "$th" -precision int8 ;;
	torch-int8-*)
		env -u OPENBLAS_CORETYPE OMP_NUM_THREADS="$th" OPENBLAS_NUM_THREADS="$th" OMP_WAIT_POLICY=PASSIVE \
			"$py" bench/encode_torch.py --ids "$tmp/$s.ids" --shape "$s" --threads "$th" --precision int8 --engine "${c#torch-int8-}" 2>/dev/null
		;;
	esac | sed "s/^{/{\"config\": \"$c\", /"
}
mapfile -t cs < <(configs)
for r in $(seq "$rounds"); do
	for s in $shapes; do
		for th in $threads; do
			# Rotate the order each round so no configuration always runs first.
			for i in $(seq 0 $((${#cs[@]} - 1))); do
				c=${cs[$(((i + r) % ${#cs[@]}))]}
				measure "$c" "$s" "$th" >>"$tmp/samples"
			done
			echo "round $r/$rounds: $s t$th" >&2
		done
	done
done
info=$("$tmp/rrra" info | awk -F': *' '$1 == "cpu" || $1 == "cores" || $1 == "selected" || $1 == "int8" { sub(/ \(force.*/, "", $2); printf "%s%s %s", (n++ ? "; " : ""), $1, $2 }')
"$py" - "$tmp/samples" "$info" <<'PY'
import datetime, json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    rows.setdefault((d["config"], d["shape"], d["threads"]), []).append(d)
torch = next(d for k, v in rows.items() if k[0].startswith("torch") for d in v)
print(f"Machine (rrra info): {sys.argv[2].strip()}. Date {datetime.date.today()}. PyTorch {torch['torch']} with {torch['blas']}.\n")
ours = ["rrra-fp32", "rrra-fp32-avx2", "rrra-int8", "rrra-int8-avx2", "rrra-int8-vnni"]
configs = sorted({k[0] for k in rows}, key=lambda c: ours.index(c) if c in ours else len(ours) + len(c))
print("| shape | threads | docs | " + " | ".join(f"{c} docs/s" for c in configs) + " | int8 ÷ fp32 (range) | int8-avx2 ÷ fp32 (range) | int8-avx2 ÷ fp32-avx2 (range) | " +
      " | ".join(f"int8 ÷ {c} (range)" for c in configs if c.startswith("torch")) + " |")
print("|---|--:|--:|" + "--:|" * len(configs) + "--:|--:|--:|" + "--:|" * sum(c.startswith("torch") for c in configs))
order = {"minilm": 0, "bge-small": 1, "bert-base": 2}
def ratio(a, b):
    A, B = rows[a], rows[b]
    m = statistics.median(x["docs_per_s"] for x in A) / statistics.median(x["docs_per_s"] for x in B)
    per = [x["docs_per_s"] / y["docs_per_s"] for x, y in zip(A, B)]
    return f"{m:.2f} ({min(per):.2f}–{max(per):.2f})"
for shape, th in sorted({(k[1], k[2]) for k in rows}, key=lambda k: (order.get(k[0], 9), k[1])):
    med = {c: statistics.median(x["docs_per_s"] for x in rows[(c, shape, th)]) for c in configs}
    cells = [f"{med[c]:.2f}" for c in configs]
    rat = [ratio(("rrra-int8", shape, th), ("rrra-fp32", shape, th)), ratio(("rrra-int8-avx2", shape, th), ("rrra-fp32", shape, th)),
           ratio(("rrra-int8-avx2", shape, th), ("rrra-fp32-avx2", shape, th))]
    rat += [ratio(("rrra-int8", shape, th), (c, shape, th)) for c in configs if c.startswith("torch")]
    docs = rows[("rrra-fp32", shape, th)][0]["docs"]
    print(f"| {shape} | {th} | {docs} | " + " | ".join(cells) + " | " + " | ".join(rat) + " |")
n = len(next(iter(rows.values())))
print(f"\n{n} interleaved rounds; medians over rounds; a ratio's range is its per-round minimum and maximum. "
      f"rrra int8 tier: {rows[('rrra-int8', shape, th)][0]['int8_kernels']}.")
PY
