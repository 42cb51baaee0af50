#!/usr/bin/python3
"""Writes adamw.safetensors: three parameters (a weight, a bias, a LayerNorm
weight), the gradients fed at each of 6 steps, and the parameters and
moments after them, computed by torch.optim.AdamW (weight decay 0.1 on the
weight only, as rrra's NoDecay), with Hugging Face's linear warm-up/decay
schedule (peak 1e-2, 2 warm-up steps, 6 total) and gradient clipping by
global norm 1.0 before each step.

    /usr/bin/python3 nn/testdata/gen_adamw.py
"""
import json
import os
import struct

import torch

torch.manual_seed(7)
names = ["dense.weight", "dense.bias", "LayerNorm.weight"]
params = [torch.randn(4, 3).requires_grad_(True), torch.randn(3).requires_grad_(True), torch.ones(3).requires_grad_(True)]
init = {n: p.detach().clone() for n, p in zip(names, params)}
opt = torch.optim.AdamW([{"params": [params[0]], "weight_decay": 0.1},
                         {"params": params[1:], "weight_decay": 0.0}], lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
steps, warmup, peak = 6, 2, 1e-2
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / max(1, warmup) if s < warmup else max(0.0, (steps - s) / max(1, steps - warmup)))
out = {}
for n, t in init.items():
    out["init." + n] = t
for s in range(steps):
    for i, (n, p) in enumerate(zip(names, params)):
        g = torch.randn_like(p) * (3.0 if s % 2 == 0 else 0.1)
        out[f"grad.{s}.{n}"] = g.clone()
        p.grad = g
    out[f"norm.{s}"] = torch.nn.utils.clip_grad_norm_(params, 1.0).reshape(())
    opt.step()
    sched.step()
for n, p in zip(names, params):
    out["final." + n] = p.detach()
    st = opt.state[p]
    out["m." + n] = st["exp_avg"]
    out["v." + n] = st["exp_avg_sq"]
header, off, data = {}, 0, b""
for name in sorted(out):
    raw = out[name].contiguous().float().numpy().astype("<f4").tobytes()
    header[name] = {"dtype": "F32", "shape": list(out[name].shape), "data_offsets": [off, off + len(raw)]}
    off += len(raw)
    data += raw
header["__metadata__"] = {"generator": "gen_adamw.py", "torch": torch.__version__}
h = json.dumps(header).encode()
h += b" " * (-len(h) % 8)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "adamw.safetensors")
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + data)
print("wrote", path)
