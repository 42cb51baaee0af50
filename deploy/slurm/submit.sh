#!/usr/bin/env bash
# submit.sh: encodes and indexes a BEIR corpus on a Slurm cluster as SHARDS
# shards in parallel, then merges, searches and scores, as two jobs:
#
#	index-shards.sbatch  a job array --array=0-$((SHARDS-1)): task I runs
#	                     rrra index --shard I/SHARDS --out OUT/shard-I.idx
#	merge.sbatch         --dependency=afterok:ARRAY_JOB_ID: rrra index merge
#	                     into OUT/index.idx, rrra search --method dense into
#	                     OUT/run.trec, rrra eval into OUT/eval.json
#
# It prints the two job ids on stdout, as ARRAY_JOB_ID=… and MERGE_JOB_ID=…
# lines, and where the logs go on stderr. Parameters, from the environment:
#
#	RRRA                the rrra binary (default: rrra on PATH); it must be on a
#	                    filesystem every compute node sees, at the same path
#	DATA                a BEIR folder, or an embedded collection: cranfield,
#	                    scifact (default cranfield)
#	MODEL               the bi-encoder folder (required)
#	SHARDS              the number of shards, a positive integer (default 4)
#	MAX_PARALLEL        at most this many shards at once (--array=…%MAX_PARALLEL;
#	                    default: as many as the cluster runs)
#	OUT                 the output folder, created if missing (default
#	                    ./rrra-slurm-out); job logs go to OUT/logs
#	SPLIT               the query split to search and score (default test)
#	INDEX_FLAGS         more flags for rrra index (e.g. "--doc-len 256")
#	SEARCH_FLAGS        more flags for rrra search (e.g. "--k 1000")
#	EVAL_FLAGS          more flags for rrra eval (e.g. "--measures ndcg_cut.10")
#	EVAL                0: no rrra eval (a split without qrels); default 1
#	SBATCH_FLAGS        more flags for both sbatch calls (e.g. "--partition=cpu
#	                    --account=proj --time=2:00:00")
#	INDEX_SBATCH_FLAGS  more flags for the array's sbatch (e.g.
#	                    "--cpus-per-task=8 --mem=8G")
#	MERGE_SBATCH_FLAGS  more flags for the merge job's sbatch
#
# The *_FLAGS values are split on whitespace, without shell quoting. DATA,
# MODEL and OUT must be on the shared filesystem too; they are made
# absolute here, and the jobs get this environment (sbatch --export=ALL).
#
# Example:
#
#	RRRA=/shared/bin/rrra MODEL=/shared/models/rrra DATA=/shared/beir/scifact \
#	SHARDS=8 OUT=/shared/runs/scifact INDEX_SBATCH_FLAGS="--cpus-per-task=8 --mem=8G" \
#	deploy/slurm/submit.sh
set -euo pipefail

die() {
	echo "submit.sh: $*" >&2
	exit 2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for f in index-shards.sbatch merge.sbatch; do
	[[ -f $here/$f ]] || die "$here/$f is missing (submit.sh submits the job scripts next to it)"
done
command -v sbatch >/dev/null || die "sbatch is not on PATH (run this on a Slurm login node)"

if [[ -z ${RRRA:-} ]]; then
	RRRA=$(command -v rrra) || die "RRRA is not set and there is no rrra on PATH: set RRRA to the rrra binary (CGO_ENABLED=0 go build -o /shared/bin/rrra ./cmd/rrra) on a filesystem the compute nodes see"
fi
[[ -f $RRRA && -x $RRRA ]] || die "RRRA=$RRRA is not an executable file"
RRRA=$(realpath -- "$RRRA")

DATA=${DATA:-cranfield}
if [[ -d $DATA ]]; then
	DATA=$(realpath -- "$DATA")
elif [[ $DATA != cranfield && $DATA != scifact ]]; then
	die "DATA=$DATA is neither a folder (a BEIR collection: corpus.jsonl[.gz], queries.jsonl, qrels/) nor an embedded collection (cranfield, scifact)"
fi

[[ -n ${MODEL:-} ]] || die "MODEL is not set: set it to the bi-encoder folder (config.json, model.safetensors, vocab.txt)"
[[ -d $MODEL ]] || die "MODEL=$MODEL is not a folder"
MODEL=$(realpath -- "$MODEL")

SHARDS=${SHARDS:-4}
[[ $SHARDS =~ ^[1-9][0-9]*$ ]] || die "SHARDS=$SHARDS is not a positive integer"

array_range="0-$((SHARDS - 1))"
if [[ -n ${MAX_PARALLEL:-} ]]; then
	[[ $MAX_PARALLEL =~ ^[1-9][0-9]*$ ]] || die "MAX_PARALLEL=$MAX_PARALLEL is not a positive integer"
	array_range+="%$MAX_PARALLEL"
fi

SPLIT=${SPLIT:-test}
[[ -n $SPLIT ]] || die "SPLIT is empty"
EVAL=${EVAL:-1}
[[ $EVAL == 0 || $EVAL == 1 ]] || die "EVAL=$EVAL: want 0 or 1"

# The job scripts set these flags themselves; a second one would win.
reserved() {
	local var=$1 w f
	shift
	local words=()
	read -r -a words <<<"${!var:-}"
	for w in "${words[@]}"; do
		for f in "$@"; do
			case $w in
			-"$f" | --"$f" | -"$f"=* | --"$f"=*)
				die "$var: $w is set by the job scripts (from DATA, MODEL, SHARDS, OUT, SPLIT); leave it out"
				;;
			esac
		done
	done
}
reserved INDEX_FLAGS data model shard out vectors type
reserved SEARCH_FLAGS data split method model index out
reserved EVAL_FLAGS data split run qrels json

OUT=${OUT:-$PWD/rrra-slurm-out}
mkdir -p -- "$OUT/logs" || die "cannot create OUT=$OUT/logs"
OUT=$(realpath -- "$OUT")

for v in RRRA OUT; do
	case ${!v} in
	/tmp/* | /var/tmp/* | /dev/shm/*)
		echo "submit.sh: warning: $v=${!v} is usually local to each node; the compute nodes need a shared filesystem" >&2
		;;
	esac
done

export RRRA DATA MODEL SHARDS OUT SPLIT EVAL INDEX_FLAGS="${INDEX_FLAGS:-}" SEARCH_FLAGS="${SEARCH_FLAGS:-}" EVAL_FLAGS="${EVAL_FLAGS:-}"
read -r -a common <<<"${SBATCH_FLAGS:-}"
read -r -a index_sb <<<"${INDEX_SBATCH_FLAGS:-}"
read -r -a merge_sb <<<"${MERGE_SBATCH_FLAGS:-}"

# --parsable prints "jobid" or "jobid;cluster".
array=$(sbatch --parsable --export=ALL --array="$array_range" --job-name=rrra-index \
	--output="$OUT/logs/index-%A_%a.out" "${common[@]}" "${index_sb[@]}" "$here/index-shards.sbatch") ||
	die "sbatch of the index array failed"
array=${array%%;*}
[[ $array =~ ^[0-9]+$ ]] || die "sbatch --parsable printed $array, not a job id"

if ! merge=$(sbatch --parsable --export=ALL --dependency="afterok:$array" --kill-on-invalid-dep=yes \
	--job-name=rrra-merge --output="$OUT/logs/merge-%j.out" "${common[@]}" "${merge_sb[@]}" "$here/merge.sbatch"); then
	scancel "$array" || true
	die "sbatch of the merge job failed; cancelled the index array $array"
fi
merge=${merge%%;*}

echo "ARRAY_JOB_ID=$array"
echo "MERGE_JOB_ID=$merge"
cat >&2 <<MSG
submit.sh: index array job $array (tasks 0-$((SHARDS - 1))), merge job $merge after it
  watch:   squeue -j $array,$merge
  logs:    $OUT/logs/index-${array}_*.out, $OUT/logs/merge-$merge.out
  results: $OUT/index.idx, $OUT/run.trec$( ((EVAL)) && echo ", $OUT/eval.json")
MSG
