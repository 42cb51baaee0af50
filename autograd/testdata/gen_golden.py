#!/usr/bin/python3
"""Writes golden.safetensors: a two-layer post-LN transformer encoder (BERT
semantics) with random weights, its forward values and every gradient of a
mean-pooled InfoNCE loss, computed by PyTorch in float32.

Run with Debian's interpreter (python3-torch):

    /usr/bin/python3 autograd/testdata/gen_golden.py

autograd's TestGoldenEncoder rebuilds the same computation from its ops and
compares. The container is written by hand (8-byte length, JSON, F32 data).
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

torch.manual_seed(20261126)
B, T, C, H, FF, L = 4, 8, 32, 4, 64, 2  # batch (2 queries, 2 documents), tokens, width, heads, FFN, layers
D = C // H
EPS = 1e-12
TAU = 0.05

tensors = {}


def param(name, *shape, std=0.2):
    p = (torch.randn(*shape) * std).requires_grad_(True)
    tensors[name] = p
    return p


x = (torch.randn(B, T, C)).requires_grad_(True)
mask = torch.ones(B, T)
mask[1, 5:] = 0
mask[3, 3:] = 0
layers = []
for l in range(L):
    pre = f"encoder.layer.{l}."
    w = {}
    for part in ("query", "key", "value"):
        w[part + ".weight"] = param(pre + f"attention.self.{part}.weight", C, C)
        w[part + ".bias"] = param(pre + f"attention.self.{part}.bias", C, std=0.05)
    w["ao.weight"] = param(pre + "attention.output.dense.weight", C, C)
    w["ao.bias"] = param(pre + "attention.output.dense.bias", C, std=0.05)
    w["aln.weight"] = (1 + 0.1 * torch.randn(C)).requires_grad_(True)
    tensors[pre + "attention.output.LayerNorm.weight"] = w["aln.weight"]
    w["aln.bias"] = param(pre + "attention.output.LayerNorm.bias", C, std=0.05)
    w["i.weight"] = param(pre + "intermediate.dense.weight", FF, C)
    w["i.bias"] = param(pre + "intermediate.dense.bias", FF, std=0.05)
    w["o.weight"] = param(pre + "output.dense.weight", C, FF)
    w["o.bias"] = param(pre + "output.dense.bias", C, std=0.05)
    w["oln.weight"] = (1 + 0.1 * torch.randn(C)).requires_grad_(True)
    tensors[pre + "output.LayerNorm.weight"] = w["oln.weight"]
    w["oln.bias"] = param(pre + "output.LayerNorm.bias", C, std=0.05)
    layers.append(w)

additive = (1.0 - mask)[:, None, None, :] * -1e9  # [B, 1, 1, T]


def heads(t):
    return t.view(B, T, H, D).permute(0, 2, 1, 3)


h = x
for w in layers:
    q = heads(F.linear(h, w["query.weight"], w["query.bias"]))
    k = heads(F.linear(h, w["key.weight"], w["key.bias"]))
    v = heads(F.linear(h, w["value.weight"], w["value.bias"]))
    s = q @ k.transpose(-1, -2) / math.sqrt(D) + additive
    p = torch.softmax(s, dim=-1)
    ctx = (p @ v).permute(0, 2, 1, 3).reshape(B, T, C)
    h = F.layer_norm(h + F.linear(ctx, w["ao.weight"], w["ao.bias"]), (C,), w["aln.weight"], w["aln.bias"], EPS)
    f = F.linear(F.gelu(F.linear(h, w["i.weight"], w["i.bias"])), w["o.weight"], w["o.bias"])
    h = F.layer_norm(h + f, (C,), w["oln.weight"], w["oln.bias"], EPS)
h.retain_grad()
pooled = (h * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
emb = F.normalize(pooled, dim=-1, eps=EPS)
scores = emb[: B // 2] @ emb[B // 2 :].T / TAU
loss = F.cross_entropy(scores, torch.arange(B // 2))
loss.backward()

out = {"input.x": x.detach(), "input.mask": mask, "out.hidden": h.detach(), "out.pooled": pooled.detach(),
       "out.scores": scores.detach(), "out.loss": loss.detach().reshape(()), "grad.x": x.grad,
       "grad.hidden": h.grad}
for name, p in tensors.items():
    out[name] = p.detach()
    out["grad." + name] = p.grad

header, off, data = {}, 0, b""
for name in sorted(out):
    t = out[name].contiguous().float()
    raw = t.numpy().astype("<f4").tobytes()
    header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
    off += len(raw)
    data += raw
header["__metadata__"] = {"generator": "gen_golden.py", "torch": torch.__version__,
                          "config": json.dumps({"B": B, "T": T, "C": C, "H": H, "FF": FF, "L": L, "eps": EPS, "tau": TAU})}
hj = json.dumps(header).encode()
hj += b" " * (-len(hj) % 8)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.safetensors")
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(hj)) + hj + data)
print("wrote", path, os.path.getsize(path), "bytes; loss", float(loss))
