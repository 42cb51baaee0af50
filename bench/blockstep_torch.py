#!/usr/bin/python3
"""PyTorch peer of autograd's BenchmarkBlockStep: one training step
(forward and backward) of a two-layer BERT-style post-LN encoder, hidden
256, 4 heads, FFN 1024, batch 64 x 128 tokens, mean-pooled L2-normalised
in-batch InfoNCE loss, dropout 0, weights N(0, 0.02). The same computation
as autograd/encoder_test.go.

Usage (Debian's interpreter with python3-torch; set the thread count
before torch starts its pools):

    OMP_NUM_THREADS=1 /usr/bin/python3 bench/blockstep_torch.py --threads 1 --steps 10

It prints one JSON line: the median, minimum and maximum milliseconds per
step over the timed steps, after two warm-up steps.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--steps", type=int, default=10)
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1)

B, T, C, H, FF, L = 64, 128, 256, 4, 1024, 2
D = C // H
EPS, TAU = 1e-12, 0.05


def w(*shape):
    return (torch.randn(*shape) * 0.02).requires_grad_(True)


def z(*shape):
    return torch.zeros(*shape).requires_grad_(True)


def o(*shape):
    return torch.ones(*shape).requires_grad_(True)


layers = [dict(q=(w(C, C), z(C)), k=(w(C, C), z(C)), v=(w(C, C), z(C)), ao=(w(C, C), z(C)),
               aln=(o(C), z(C)), i=(w(FF, C), z(FF)), o=(w(C, FF), z(C)), oln=(o(C), z(C)))
          for _ in range(L)]
params = [t for lw in layers for pair in lw.values() for t in pair]
x = torch.randn(B, T, C)
mask = torch.zeros(B, T)
for i in range(B):
    mask[i, : T - (i * 7) % (T // 2)] = 1
additive = (1.0 - mask)[:, None, None, :] * -1e9
targets = torch.arange(B // 2)


def heads(t):
    return t.view(B, T, H, D).permute(0, 2, 1, 3)


def step():
    for p in params:
        p.grad = None
    h = x
    for lw in layers:
        q = heads(F.linear(h, *lw["q"]))
        k = heads(F.linear(h, *lw["k"]))
        v = heads(F.linear(h, *lw["v"]))
        p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + additive, dim=-1)
        ctx = (p @ v).permute(0, 2, 1, 3).reshape(B, T, C)
        h = F.layer_norm(h + F.linear(ctx, *lw["ao"]), (C,), *lw["aln"], EPS)
        f = F.linear(F.gelu(F.linear(h, *lw["i"])), *lw["o"])
        h = F.layer_norm(h + f, (C,), *lw["oln"], EPS)
    pooled = (h * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
    emb = F.normalize(pooled, dim=-1, eps=EPS)
    loss = F.cross_entropy(emb[: B // 2] @ emb[B // 2 :].T / TAU, targets)
    loss.backward()


for _ in range(2):
    step()
times = []
for _ in range(args.steps):
    t0 = time.perf_counter()
    step()
    times.append((time.perf_counter() - t0) * 1e3)
print(json.dumps({"threads": args.threads, "torch": torch.__version__, "num_threads": torch.get_num_threads(),
                  "median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times), "steps": len(times)}))
