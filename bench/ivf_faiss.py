#!/usr/bin/python3
"""FAISS half of bench/ivf.sh: the peer of `ivfbench run` (bench/cmd/ivfbench).

Builds a FAISS index over the same .npy vectors (IndexIVFFlat or
IndexIVFScalarQuantizer with QT_8bit (sq8; sq8-rescore wraps it in an
IndexRefineFlat re-scoring the best 10·k exactly), inner product, an IndexFlatIP coarse
quantizer, spherical k-means of --iterations rounds with --seed on FAISS's
default sample of 256 vectors per list; or IndexHNSWFlat with M 32),
timing training and adding and reading the peak resident memory after
them, then for each nprobe (efSearch for HNSW) times single queries (the
first --nq1, one call each) and blocks of 64 (the first --nq64), and
computes recall@10 of the blocks' results against the truth. Prints one
JSON line with the fields of ivfbench's.

Usage (Debian's interpreter with python3-faiss and numpy; set the thread
counts of OpenMP and OpenBLAS before faiss loads):

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/ivf_faiss.py \\
        --base b.npy --queries q.npy --truth t.npy --kind flat --nlist 1024 --threads 1
"""
import argparse
import json
import resource
import sys
import time

import faiss
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--base", required=True)
ap.add_argument("--queries", required=True)
ap.add_argument("--truth", required=True)
ap.add_argument("--kind", choices=["flat", "sq8", "sq8-rescore", "hnsw"], default="flat")
ap.add_argument("--nlist", type=int, default=1024)
ap.add_argument("--iterations", type=int, default=10)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--nprobe", default="1,2,4,8,16,32,64")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--nq1", type=int, default=200)
ap.add_argument("--nq64", type=int, default=1024)
args = ap.parse_args()
faiss.omp_set_num_threads(args.threads)

x = np.ascontiguousarray(np.load(args.base), dtype=np.float32)
q = np.ascontiguousarray(np.load(args.queries), dtype=np.float32)
gt = np.load(args.truth).astype(np.int64)
n, d = x.shape
nq1 = min(args.nq1, len(q))
nq64 = min(args.nq64, len(q)) // 64 * 64

res = {"engine": "faiss " + faiss.__version__, "kind": "ivf-" + args.kind if args.kind != "hnsw" else "hnsw",
       "n": n, "d": d, "nlist": args.nlist if args.kind != "hnsw" else 0,
       "iterations": args.iterations if args.kind != "hnsw" else 0, "threads": args.threads}
if args.kind == "hnsw":
    index = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
    vector_bytes = 4 * n * d + 2 * 32 * 4 * n  # vectors and the level-0 links
else:
    quantizer = faiss.IndexFlatIP(d)
    if args.kind == "flat":
        index = faiss.IndexIVFFlat(quantizer, d, args.nlist, faiss.METRIC_INNER_PRODUCT)
        vector_bytes = 4 * n * d + 8 * n
    else:
        index = faiss.IndexIVFScalarQuantizer(quantizer, d, args.nlist, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
        vector_bytes = n * d + 8 * n + 8 * d
    index.cp.niter = args.iterations
    index.cp.spherical = True
    index.cp.seed = args.seed
    ivf = index
    if args.kind == "sq8-rescore":
        # The codes scanned, the best 10·k re-scored exactly against the
        # float32 vectors: as rrra's --keep-vectors and --rescore 100.
        index = faiss.IndexRefineFlat(ivf)
        index.k_factor = 10
        vector_bytes += 4 * n * d
t0 = time.perf_counter()
index.train(x)
res["train_s"] = time.perf_counter() - t0
t0 = time.perf_counter()
index.add(x)
res["add_s"] = time.perf_counter() - t0
res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
res["vector_mb"] = vector_bytes / (1 << 20)
del x

points = []
for f in args.nprobe.split(","):
    p = int(f)
    if args.kind == "hnsw":
        index.hnsw.efSearch = p
    else:
        ivf.nprobe = p
    index.search(q[:1], 10)  # warm
    t0 = time.perf_counter()
    for i in range(nq1):
        index.search(q[i:i + 1], 10)
    qps1 = nq1 / (time.perf_counter() - t0)
    ids = []
    t0 = time.perf_counter()
    for i in range(0, nq64, 64):
        _, I = index.search(q[i:i + 64], 10)
        ids.append(I)
    qps64 = nq64 / (time.perf_counter() - t0)
    I = np.concatenate(ids)
    hit = sum(len(set(I[i]) & set(gt[i, :10])) for i in range(len(I)))
    rec = hit / (10 * len(I))
    points.append({"nprobe": p, "recall10": rec, "qps_nq1": qps1, "qps_nq64": qps64})
    print(f"faiss {res['kind']} nlist {res['nlist']} nprobe {p} t{args.threads}: recall@10 {rec:.4f}, "
          f"{qps1:.0f} q/s at nq 1, {qps64:.0f} at nq 64", file=sys.stderr)
res["points"] = points
print(json.dumps(res))
