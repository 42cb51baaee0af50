#!/usr/bin/python3
"""FAISS peer of retrieval/index's BenchmarkSearch: exact inner-product
search (faiss.IndexFlatIP) of nq random unit queries over N = 100,000
random unit vectors of dimension d, for k nearest.

Usage (Debian's interpreter with python3-faiss and numpy; set the thread
counts of OpenMP and OpenBLAS before faiss loads):

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/search_faiss.py --threads 1

For every configuration (d in --dims, nq in --nq, k in --k) it makes one
warm-up call, then times --repeats samples, each as many calls as fill
--min-time seconds, and prints one line

    faiss d=128 nq=64 k=10 t=1 qps=1676.3 min=1650.2 max=1690.8 calls=5x12

with qps = nq / (median seconds per call) and min/max over the samples.
The vectors are N(0, 1) entries normalised to unit length, seeded; they
are not the Go benchmark's numbers, but the same distribution.
"""
import argparse
import statistics
import sys
import time

import faiss
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--n", type=int, default=100000)
ap.add_argument("--dims", default="128,384")
ap.add_argument("--nq", default="1,64")
ap.add_argument("--k", default="10,100")
ap.add_argument("--repeats", type=int, default=5)
ap.add_argument("--min-time", type=float, default=0.1)
args = ap.parse_args()
faiss.omp_set_num_threads(args.threads)


def ints(s):
    return [int(x) for x in s.split(",")]


def unit(rng, n, d):
    x = rng.standard_normal((n, d), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def sample(index, xq, k):
    """Seconds per call over as many calls as fill --min-time."""
    calls, start = 0, time.perf_counter()
    while True:
        index.search(xq, k)
        calls += 1
        el = time.perf_counter() - start
        if el >= args.min_time:
            return el / calls, calls


print(f"# faiss {faiss.__version__}, numpy {np.__version__}, omp threads {faiss.omp_get_max_threads()}",
      file=sys.stderr)
for d in ints(args.dims):
    rng = np.random.default_rng(d)
    index = faiss.IndexFlatIP(d)
    index.add(unit(rng, args.n, d))
    for nq in ints(args.nq):
        xq = unit(rng, nq, d)
        for k in ints(args.k):
            index.search(xq, k)  # warm-up
            samples = [sample(index, xq, k) for _ in range(args.repeats)]
            secs = [s for s, _ in samples]
            med = statistics.median(secs)
            calls = max(c for _, c in samples)
            print(f"faiss d={d} nq={nq} k={k} t={args.threads} qps={nq / med:.1f} "
                  f"min={nq / max(secs):.1f} max={nq / min(secs):.1f} calls={args.repeats}x{calls}",
                  flush=True)
