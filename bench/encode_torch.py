#!/usr/bin/python3
"""PyTorch peer of bench/cmd/encspeed: encodes the same token ids (the file
`encspeed -write-ids` writes: little-endian int32 count, then each
sequence's length and ids, longest first) with a BERT encoder of the same
shape and random weights, in plain torch with Hugging Face BertModel's
eager semantics (embeddings + LayerNorm, per layer: Q, K, V projections,
softmax(QKᵀ/√d + mask)·V, output projection, residual + LayerNorm, GELU
feed-forward, residual + LayerNorm), under torch.no_grad, in batches of
--batch padded to the batch's longest sequence with an attention mask, as
sentence-transformers encodes; then pooled (mean over real tokens, or
CLS) and L2-normalised. Tokenisation is not timed (the ids come from the
file). One warm-up batch, then the whole set is timed.

    OMP_NUM_THREADS=1 /usr/bin/python3 bench/encode_torch.py --ids ids.bin --shape minilm --threads 1

Prints one JSON line: documents per second, seconds, tokens and the
process's peak resident memory in MiB.
"""
import argparse
import json
import math
import resource
import struct
import time

import torch
import torch.nn.functional as F

SHAPES = {  # hidden, layers, heads, FFN, pooling
    "minilm": (384, 6, 12, 1536, "mean"),
    "bge-small": (384, 12, 12, 1536, "cls"),
    "bert-base": (768, 12, 12, 3072, "mean"),
}

ap = argparse.ArgumentParser()
ap.add_argument("--ids", required=True)
ap.add_argument("--shape", default="minilm", choices=SHAPES)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--precision", default="fp32", choices=["fp32", "int8"],
                help="int8: torch.ao.quantization.quantize_dynamic on every Linear (qint8 weights, activations quantized per batch at run time)")
ap.add_argument("--engine", default="onednn", help="quantized engine for --precision int8 (torch.backends.quantized.supported_engines)")
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1)
C, L, H, FF, POOL = SHAPES[args.shape]
V, P, EPS = 30522, 512, 1e-12


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.ao = (torch.nn.Linear(C, C) for _ in range(4))
        self.aln, self.oln = torch.nn.LayerNorm(C, eps=EPS), torch.nn.LayerNorm(C, eps=EPS)
        self.i, self.o = torch.nn.Linear(C, FF), torch.nn.Linear(FF, C)

    def forward(self, x, ext):
        B, T, _ = x.shape
        heads = lambda t: t.view(B, T, H, C // H).permute(0, 2, 1, 3)
        s = heads(self.q(x)) @ heads(self.k(x)).transpose(-1, -2) / math.sqrt(C // H) + ext
        ctx = (torch.softmax(s, -1) @ heads(self.v(x))).permute(0, 2, 1, 3).reshape(B, T, C)
        x = self.aln(x + self.ao(ctx))
        return self.oln(x + self.o(F.gelu(self.i(x))))


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
        x = self.ln(self.word(ids) + self.pos(torch.arange(T))[None] + self.typ(torch.zeros_like(ids)))
        ext = (1.0 - mask)[:, None, None, :] * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, ext)
        if POOL == "cls":
            out = x[:, 0]
        else:
            out = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return F.normalize(out, dim=-1)


def blas():
    """Names the BLAS mapped into this process: Debian's torch calls the
    libblas.so.3 alternative, which is the slow reference BLAS unless
    OpenBLAS (libopenblas0-pthread) is installed."""
    libs = {l.split()[-1] for l in open("/proc/self/maps") if "blas" in l}
    if any("openblas" in l for l in libs):
        return "OpenBLAS"
    return "reference BLAS" if libs else "none mapped"


def read_ids(path):
    b = open(path, "rb").read()
    (n,), at, seqs = struct.unpack_from("<i", b, 0), 4, []
    for _ in range(n):
        (l,) = struct.unpack_from("<i", b, at)
        seqs.append(list(struct.unpack_from(f"<{l}i", b, at + 4)))
        at += 4 + 4 * l
    return seqs


def batch(seqs):
    t = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), t, dtype=torch.long)
    mask = torch.zeros(len(seqs), t)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids, mask


seqs = read_ids(args.ids)
batches = [batch(seqs[i : i + args.batch]) for i in range(0, len(seqs), args.batch)]
model = Bert().eval()
if args.precision == "int8":
    if args.engine not in torch.backends.quantized.supported_engines:
        raise SystemExit(f"engine {args.engine} not in {torch.backends.quantized.supported_engines}")
    torch.backends.quantized.engine = args.engine
    model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
with torch.no_grad():
    model(*batches[0])  # warm-up
    start = time.perf_counter()
    for ids, mask in batches:
        model(ids, mask)
    secs = time.perf_counter() - start
print(json.dumps({
    "who": "torch", "shape": args.shape, "threads": args.threads, "docs": len(seqs),
    "docs_per_s": len(seqs) / secs, "seconds": secs, "tokens": sum(len(s) for s in seqs),
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "torch": torch.__version__, "blas": blas(),
    "precision": args.precision, "engine": args.engine if args.precision == "int8" else "",
}))
