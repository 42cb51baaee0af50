#!/usr/bin/python3
"""PyTorch peer of nn's BenchmarkTrainStep and BenchmarkEncode: a BERT
encoder in plain torch with Hugging Face semantics (vocab 30522, 512
positions, dropout 0.1, GELU), configs tiny (hidden 128, 2 layers, 2 heads,
FFN 512) and small (hidden 256, 4 layers, 4 heads, FFN 1024), documents of
128 tokens, and minilm (all-MiniLM-L6-v2's shape: hidden 384, 6 layers, 12
heads, FFN 1536), documents of 256. The train step is 32 queries of 32
tokens and 64 documents (a positive and a hard
negative per query), CLS pooling, L2 normalisation, in-batch InfoNCE at
temperature 0.05, backward, gradient clipping at 1 and AdamW; encode is a
batch of 64 documents of 128 tokens without gradients. --precision bf16
runs the forward pass (and the loss) under torch.autocast("cpu",
dtype=torch.bfloat16), PyTorch's mixed precision on CPU: its Linear and
matmul in bfloat16 through oneDNN, float32 weights and AdamW (the peer of
BenchmarkTrainStep/<config>-bf16).

    OMP_NUM_THREADS=1 /usr/bin/python3 bench/bert_torch.py --config small --threads 1 --what train --steps 3

Prints one JSON line: median/min/max milliseconds per step (or batch) after
warm-up, and the process's peak RSS in MiB.
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--config", default="tiny")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--what", default="train")
ap.add_argument("--steps", type=int, default=3)
ap.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
args = ap.parse_args()
bf16 = args.precision == "bf16"
torch.set_num_threads(args.threads)
torch.manual_seed(1)
C, L, H, DOC = {"tiny": (128, 2, 2, 128), "small": (256, 4, 4, 128), "minilm": (384, 6, 12, 256)}[args.config]
FF, V, P, EPS, DROP = 4 * C, 30522, 512, 1e-12, 0.1


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.ao = (torch.nn.Linear(C, C) for _ in range(4))
        self.aln, self.oln = torch.nn.LayerNorm(C, eps=EPS), torch.nn.LayerNorm(C, eps=EPS)
        self.i, self.o = torch.nn.Linear(C, FF), torch.nn.Linear(FF, C)

    def forward(self, x, ext):
        B, T, _ = x.shape
        heads = lambda t: t.view(B, T, H, C // H).permute(0, 2, 1, 3)
        p = torch.softmax(heads(self.q(x)) @ heads(self.k(x)).transpose(-1, -2) / math.sqrt(C // H) + ext, -1)
        p = F.dropout(p, DROP, self.training)
        ctx = (p @ heads(self.v(x))).permute(0, 2, 1, 3).reshape(B, T, C)
        x = self.aln(x + F.dropout(self.ao(ctx), DROP, self.training))
        return self.oln(x + F.dropout(self.o(F.gelu(self.i(x))), DROP, self.training))


class Bert(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.word, self.pos, self.typ = torch.nn.Embedding(V, C), torch.nn.Embedding(P, C), torch.nn.Embedding(2, C)
        self.ln = torch.nn.LayerNorm(C, eps=EPS)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(L))
        for m in self.modules():
            if isinstance(m, (torch.nn.Linear, torch.nn.Embedding)):
                torch.nn.init.normal_(m.weight, 0, 0.02)

    def forward(self, ids, mask):
        B, T = ids.shape
        x = self.word(ids) + self.pos(torch.arange(T))[None] + self.typ(torch.zeros_like(ids))
        x = F.dropout(self.ln(x), DROP, self.training)
        ext = (1.0 - mask)[:, None, None, :] * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, ext)
        return F.normalize(x[:, 0], dim=-1)


def batch(n, t):
    ids = torch.randint(1000, 30000, (n, t))
    ids[:, 0], ids[:, -1] = 101, 102
    return ids, torch.ones(n, t)


model = Bert()
q, qm = batch(32, 32)
d, dm = batch(64, DOC)
opt = torch.optim.AdamW([{"params": [p for n, p in model.named_parameters() if not (n.endswith("bias") or ".ln" in n or "aln" in n or "oln" in n)], "weight_decay": 0.01},
                         {"params": [p for n, p in model.named_parameters() if n.endswith("bias") or ".ln" in n or "aln" in n or "oln" in n], "weight_decay": 0.0}], lr=1e-4)


def train():
    model.train()
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        s = model(q, qm) @ model(d, dm).T / 0.05
        loss = F.cross_entropy(s, torch.arange(32) * 2)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


def encode():
    model.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        model(d, dm)


f = train if args.what == "train" else encode
for _ in range(2):
    f()
times = []
for _ in range(args.steps):
    t0 = time.perf_counter()
    f()
    times.append((time.perf_counter() - t0) * 1e3)
print(json.dumps({"config": args.config, "precision": args.precision, "what": args.what, "threads": args.threads, "median_ms": statistics.median(times),
                  "min_ms": min(times), "max_ms": max(times), "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
