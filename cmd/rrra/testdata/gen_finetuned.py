#!/usr/bin/python3
"""Writes finetuned_golden.json: what a sentence-transformers reader gets
from a folder that `rrra train` saved after fine-tuning a
sentence-transformers folder, computed in plain PyTorch from the folder's
own files, read the way sentence-transformers reads them:

  modules.json                 the modules, in order: a Transformer (its path
                               holds config.json, model.safetensors,
                               vocab.txt, tokenizer_config.json and
                               sentence_bert_config.json), a Pooling module
                               (its config.json), an optional Normalize
  config.json                  BertModel's sizes, layer_norm_eps
  model.safetensors            the weights (parsed here: 8-byte header
                               length, JSON header, raw little-endian F32)
  tokenizer_config.json        do_lower_case
  sentence_bert_config.json    max_seq_length (null: the smaller of the
                               tokenizer's model_max_length and
                               max_position_embeddings)
  1_Pooling/config.json        pooling_mode_cls_token / _mean_tokens /
                               _max_tokens, include_prompt
  config_sentence_transformers.json   prompts: "query" before queries,
                               "passage" (or "document") before documents

then BertModel's eager forward (as nn/testdata/gen_st_shapes.py), pooling
and normalisation, for a few fixed texts as queries and as documents. The
folder comes from TestFineTunedFolderMatchesTorch (cmd/rrra):

    RRRA_FINETUNED_OUT=/tmp/ft go test ./cmd/rrra -run TestFineTunedFolderMatchesTorch
    /usr/bin/python3 cmd/rrra/testdata/gen_finetuned.py /tmp/ft

The test fine-tunes the same way and compares its folder, loaded back in
rrra, with these vectors (within 1e-4). Vectors are rounded to 7 decimals.
"""
import hashlib
import json
import math
import os
import re
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

TEXTS = [
    "what similarity laws must be obeyed when constructing aeroelastic models of heated high speed aircraft",
    "the boundary layer on a flat plate in supersonic flow",
    "Heat transfer near the leading edge, at Mach 3.5!",
    "wing",
]
folder = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
read = []


def load(*parts):
    path = os.path.join(folder, *parts)
    read.append(os.path.relpath(path, folder))
    with open(path, encoding="utf-8") as f:
        return json.load(f)


modules = load("modules.json")
kinds = {m["type"].rsplit(".", 1)[-1]: m["path"] for m in modules}
assert set(kinds) <= {"Transformer", "Pooling", "Normalize"}, kinds
tdir = kinds["Transformer"]
cfg = load(tdir, "config.json")
tok_cfg = load(tdir, "tokenizer_config.json")
st_cfg = load(tdir, "sentence_bert_config.json")
pool = load(kinds["Pooling"], "config.json")
prompts = load("config_sentence_transformers.json").get("prompts", {})
assert pool.get("include_prompt", True), "include_prompt false is not modelled here"
mode = [k for k in ("cls_token", "mean_tokens", "max_tokens") if pool.get("pooling_mode_" + k)]
assert len(mode) == 1, pool
mode = mode[0]
normalize = "Normalize" in kinds
# As sentence-transformers: max_seq_length, else the tokenizer's and the
# model's limits.
max_len = st_cfg.get("max_seq_length") or min(tok_cfg.get("model_max_length", 512), cfg["max_position_embeddings"])
lower = tok_cfg.get("do_lower_case", True)

path = os.path.join(folder, tdir, "model.safetensors")
read.append(os.path.relpath(path, folder))
raw = open(path, "rb").read()
(hlen,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + hlen])
P = {}
for name, d in header.items():
    if name == "__metadata__":
        continue
    assert d["dtype"] == "F32", (name, d["dtype"])
    a, b = d["data_offsets"]
    arr = np.frombuffer(raw[8 + hlen + a:8 + hlen + b], dtype="<f4").reshape(d["shape"])
    P[name.removeprefix("bert.")] = torch.from_numpy(arr.copy())

vocab = {}
vpath = os.path.join(folder, tdir, "vocab.txt")
read.append(os.path.relpath(vpath, folder))
with open(vpath, encoding="utf-8") as f:
    for i, line in enumerate(f):
        vocab[line.rstrip("\n")] = i
CLS, SEP, UNK = vocab["[CLS]"], vocab["[SEP]"], vocab["[UNK]"]


def is_punct(c):
    o = ord(c)
    return 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126


def tokenize(text):
    """bert-base-uncased's basic + WordPiece tokenisation for ASCII text."""
    assert text.isascii() and text.isprintable(), text
    words = []
    for w in (text.lower() if lower else text).split():
        cur = ""
        for c in w:
            if is_punct(c):
                if cur:
                    words.append(cur)
                words.append(c)
                cur = ""
            else:
                cur += c
        if cur:
            words.append(cur)
    ids = []
    for w in words:
        pieces, start = [], 0
        while start < len(w):
            end = len(w)
            while end > start:
                piece = ("##" if start > 0 else "") + w[start:end]
                if piece in vocab:
                    break
                end -= 1
            if end == start:
                pieces = [UNK]
                break
            pieces.append(vocab[piece])
            start = end
        ids += pieces
    return [CLS] + ids[:max_len - 2] + [SEP]


C, L, H = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"]
EPS, D = cfg["layer_norm_eps"], C // H


def encode(seqs):
    B, T = len(seqs), max(len(s) for s in seqs)
    ids = torch.zeros(B, T, dtype=torch.long)
    mask = torch.zeros(B, T)
    for b, s in enumerate(seqs):
        ids[b, :len(s)] = torch.tensor(s)
        mask[b, :len(s)] = 1
    with torch.no_grad():
        e = P["embeddings.word_embeddings.weight"][ids] + P["embeddings.position_embeddings.weight"][torch.arange(T)][None] \
            + P["embeddings.token_type_embeddings.weight"][torch.zeros(B, T, dtype=torch.long)]
        h = F.layer_norm(e, (C,), P["embeddings.LayerNorm.weight"], P["embeddings.LayerNorm.bias"], EPS)
        ext = (1.0 - mask)[:, None, None, :] * torch.finfo(torch.float32).min

        def lin(x, name):
            return F.linear(x, P[name + ".weight"], P[name + ".bias"])

        def heads(t):
            return t.view(B, T, H, D).permute(0, 2, 1, 3)

        for l in range(L):
            pre = f"encoder.layer.{l}."
            q, k, v = (heads(lin(h, pre + "attention.self." + n)) for n in ("query", "key", "value"))
            prob = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + ext, dim=-1)
            ctx = (prob @ v).permute(0, 2, 1, 3).reshape(B, T, C)
            h = F.layer_norm(h + lin(ctx, pre + "attention.output.dense"), (C,), P[pre + "attention.output.LayerNorm.weight"],
                             P[pre + "attention.output.LayerNorm.bias"], EPS)
            f = lin(F.gelu(lin(h, pre + "intermediate.dense")), pre + "output.dense")
            h = F.layer_norm(h + f, (C,), P[pre + "output.LayerNorm.weight"], P[pre + "output.LayerNorm.bias"], EPS)
        if mode == "cls_token":
            out = h[:, 0]
        elif mode == "mean_tokens":
            out = (h * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
        else:
            out = (h + (mask[:, :, None] - 1) * 1e9).max(1).values
        if normalize:
            out = F.normalize(out, p=2, dim=1)
    return out


qp = prompts.get("query", "")
dp = prompts.get("passage", prompts.get("document", ""))
qids = [tokenize(qp + t) for t in TEXTS]
dids = [tokenize(dp + t) for t in TEXTS]
golden = {
    "generator": "/usr/bin/python3 cmd/rrra/testdata/gen_finetuned.py FOLDER",
    "torch": torch.__version__,
    "files_read": sorted(set(read)),
    "model_sha256": hashlib.sha256(raw).hexdigest(),
    "pooling": mode, "normalize": normalize, "query_prompt": qp, "doc_prompt": dp, "max_seq_length": max_len,
    "texts": TEXTS,
    "query_ids": qids, "doc_ids": dids,
    "queries": [[round(float(x), 7) for x in row] for row in encode(qids)],
    "docs": [[round(float(x), 7) for x in row] for row in encode(dids)],
}
lines = json.dumps(golden, indent=1)
lines = re.sub(r"\[\s+(-?[0-9.e-]+(?:,\s+-?[0-9.e-]+)*)\s+\]", lambda mo: "[" + ",".join(x.strip() for x in mo.group(1).split(",")) + "]", lines)
with open(os.path.join(here, "finetuned_golden.json"), "w") as f:
    f.write(lines + "\n")
print(f"wrote finetuned_golden.json ({mode} pooling, normalize {normalize}, prompts {qp!r} / {dp!r})", file=sys.stderr)
