#!/usr/bin/python3
"""Generate the trec_eval comparison data for package metrics.

Writes, under trec_eval/ next to this script:

  qrels.txt          seeded random judgments, TREC qrels format
  qrels.tsv          the same judgments as a BEIR TSV file
  run_<name>.txt     seeded random runs, TREC run format
  run_<name>.tsv     trec_eval -q's numbers for the run
  run_<name>.c.tsv   trec_eval -q -c's summary numbers for the run (its
                     per-query numbers are those of run_<name>.tsv, which
                     the script checks)

Each .tsv file starts with a comment line naming the trec_eval version and
arguments, then holds "measure<TAB>query<TAB>value" lines (query "all" for the
summary), kept only for the measures package metrics implements. No part of
trec_eval itself is stored.

Usage: TREC_EVAL=/path/to/trec_eval /usr/bin/python3 gen_trec_eval.py

trec_eval 9.0.8 was used (git tag v9.0.8 of github.com/usnistgov/trec_eval,
which reports itself as 9.0.7). Note that 10.0-rc3 exits with an error without
-c when a qrels query is absent from the run, which these files include.

Edge cases covered: graded judgments 0-4 and a few negative ones; queries
whose judgments are all 0; qrels queries absent from a run; run queries absent
from the qrels; queries with fewer results than the cutoffs; one query with
more relevant documents than 100; ties in scores (coarse scores in run_b, a
single score per query in run_c); document ids such as "9" and "10" whose byte
and numeric orders differ; results written in shuffled order with ranks that
trec_eval ignores.
"""

import os
import random
import re
import subprocess
import sys

SEED = 20250811
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "trec_eval")

# Measures package metrics implements; cutoffs 15, 30 and 500 of all_trec
# are dropped to keep the files small.
KEEP = re.compile(r"^(num_q|num_ret|num_rel|num_rel_ret|map|recip_rank|ndcg|"
                  r"(P|recall|ndcg_cut|map_cut)_(1|2|3|5|7|10|20|100|200|1000))$")
EXTRA = ["-m", "P.1,2,3,7", "-m", "recall.1,2,3,7",
         "-m", "ndcg_cut.1,2,3,7", "-m", "map_cut.1,2,3,7"]


def doc_ids(rng):
    """A pool of document ids: numbers of 1 to 3 digits and a few words."""
    ids = [str(i) for i in range(1, 400)]
    ids += ["d%d" % i for i in range(60)]
    ids += ["D%02d" % i for i in range(30)]
    rng.shuffle(ids)
    return ids


def make_qrels(rng, pool):
    """qid -> {docid: rel}. Query ids are "1".."30"."""
    qrels = {}
    for q in range(1, 31):
        qid = str(q)
        if q == 1:  # many relevant documents: recall_100 < 1, k < num_rel
            docs = rng.sample(pool, 140)
            qrels[qid] = {d: rng.choice([1, 1, 2, 3, 4, 0]) for d in docs}
            continue
        n = rng.choice([1, 2, 3, 5, 8, 12, 20, 30])
        docs = rng.sample(pool, n)
        if q in (4, 17, 25):  # judged, but nothing relevant
            qrels[qid] = {d: 0 for d in docs}
            continue
        judged = {d: rng.choice([0, 0, 0, 1, 1, 2, 3, 4]) for d in docs}
        if q in (6, 13, 21):  # negative judgments among others
            for d in rng.sample(pool, 3):
                if d not in judged:
                    judged[d] = -1
            judged[docs[0]] = max(judged[docs[0]], 0)
        qrels[qid] = judged
    return qrels


def make_run(rng, pool, qrels, style):
    """qid -> [(docid, score_text)] in shuffled order."""
    qids = [q for q in qrels if rng.random() > 0.12]  # some qrels queries absent
    qids += ["900", "q_extra"]  # not in the qrels
    run = {}
    for qid in qids:
        n = rng.choice([1, 2, 3, 5, 8, 10, 15, 40, 101, 150])
        judged = list(qrels.get(qid, {}))
        take = rng.sample(judged, min(len(judged), rng.randint(0, n)))
        rest = [d for d in pool if d not in take]
        docs = take + rng.sample(rest, n - len(take))
        scored = []
        for d in docs:
            rel = qrels.get(qid, {}).get(d, 0)
            x = rng.gauss(0.3 * max(rel, 0), 1.0)
            if style == "a":  # fine scores, occasional exact ties
                s = "%.6f" % x if rng.random() > 0.1 else "%.1f" % x
            elif style == "b":  # coarse scores: many ties, some negative
                s = "%.1f" % x
            else:  # one score for the whole query: order by docid only
                s = "-2.5e-1" if qid in ("2", "3") else "7"
            scored.append((d, s))
        rng.shuffle(scored)
        run[qid] = scored
    return run


def write_qrels(qrels):
    with open(os.path.join(OUT, "qrels.txt"), "w") as f:
        for qid in sorted(qrels, key=int):
            for d, rel in qrels[qid].items():
                f.write("%s 0 %s %d\n" % (qid, d, rel))
    with open(os.path.join(OUT, "qrels.tsv"), "w") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for qid in sorted(qrels, key=int):
            for d, rel in qrels[qid].items():
                f.write("%s\t%s\t%d\n" % (qid, d, rel))


def write_run(name, run):
    path = os.path.join(OUT, "run_%s.txt" % name)
    with open(path, "w") as f:
        for qid, scored in run.items():
            for i, (d, s) in enumerate(scored):
                f.write("%s Q0 %s %d %s run_%s\n" % (qid, d, i + 1, s, name))
    return path


def trec_eval(exe, args, qrels, run):
    out = subprocess.run([exe] + args + [qrels, run], check=True,
                         capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        measure, qid, value = line.split()
        measure = measure.strip()
        if KEEP.match(measure):
            rows.append((measure, qid, value))
    return rows


def main():
    exe = os.environ.get("TREC_EVAL")
    if not exe:
        sys.exit("set TREC_EVAL to the trec_eval binary")
    version = subprocess.run([exe, "-v"], capture_output=True,
                             text=True).stderr.strip() or "trec_eval"
    rng = random.Random(SEED)
    os.makedirs(OUT, exist_ok=True)
    pool = doc_ids(rng)
    qrels = make_qrels(rng, pool)
    write_qrels(qrels)
    qrels_path = os.path.join(OUT, "qrels.txt")
    for name in ("a", "b", "c"):
        run_path = write_run(name, make_run(rng, pool, qrels, name))
        per_query = None
        for suffix, flags in ((".tsv", ["-q"]), (".c.tsv", ["-q", "-c"])):
            rows, seen = [], set()
            for ms in (["-m", "all_trec"], EXTRA):
                for row in trec_eval(exe, flags + ms, qrels_path, run_path):
                    if row[:2] not in seen:
                        seen.add(row[:2])
                        rows.append(row)
            if per_query is None:
                per_query = [r for r in rows if r[1] != "all"]
            else:
                if [r for r in rows if r[1] != "all"] != per_query:
                    sys.exit("trec_eval -c changed per-query values")
                rows = [r for r in rows if r[1] == "all"]
            path = os.path.join(OUT, "run_%s%s" % (name, suffix))
            with open(path, "w") as f:
                f.write("# %s %s -m all_trec, then %s\n" %
                        (version, " ".join(flags), " ".join(EXTRA)))
                for row in rows:
                    f.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main()
