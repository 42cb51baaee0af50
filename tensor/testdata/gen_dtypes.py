#!/usr/bin/python3
"""Writes dtypes.safetensors: F16 and BF16 tensors next to their float32
values as numpy and PyTorch convert them, for tensor's decoder tests.

Run with Debian's interpreter (python3-numpy, python3-torch):

    /usr/bin/python3 tensor/testdata/gen_dtypes.py

The safetensors container is written by hand here (8-byte length, JSON,
data); the conversions being checked are numpy's and PyTorch's.
"""
import json
import os
import struct

import numpy as np
import torch

rng = np.random.default_rng(20261126)

# Every binary16 bit pattern, and numpy's float32 value for each.
f16_bits = np.arange(65536, dtype=np.uint16)
f16_as_f32 = f16_bits.view(np.float16).astype(np.float32)

# bfloat16: random values over many magnitudes plus the special cases,
# rounded by PyTorch, and PyTorch's float32 value for each.
vals = np.concatenate([
    rng.standard_normal(500).astype(np.float32) * np.float32(10.0) ** rng.integers(-40, 38, 500),
    np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 3.4e38], dtype=np.float32),
]).astype(np.float32)
bf16 = torch.from_numpy(vals).to(torch.bfloat16)
bf16_bits = bf16.view(torch.int16).numpy().view(np.uint16)
bf16_as_f32 = bf16.to(torch.float32).numpy()

tensors = [
    ("f16", "F16", f16_bits.tobytes(), [65536]),
    ("f16_as_f32", "F32", f16_as_f32.astype("<f4").tobytes(), [65536]),
    ("bf16", "BF16", bf16_bits.astype("<u2").tobytes(), [len(vals)]),
    ("bf16_as_f32", "F32", bf16_as_f32.astype("<f4").tobytes(), [len(vals)]),
]
header, off, data = {}, 0, b""
for name, dtype, raw, shape in tensors:
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
    off += len(raw)
    data += raw
header["__metadata__"] = {"generator": "gen_dtypes.py", "numpy": np.__version__, "torch": torch.__version__}
h = json.dumps(header).encode()
h += b" " * (-len(h) % 8)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dtypes.safetensors")
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + data)
print("wrote", out, os.path.getsize(out), "bytes")
