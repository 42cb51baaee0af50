#!/usr/bin/python3
"""Writes st_shapes_golden.json: the pooled, L2-normalised embeddings of a
few fixed texts, with and without the prompts "query: " and "passage: ",
under random-weight BERT models of the shapes users deploy as
sentence-transformers folders, computed in plain PyTorch with Hugging Face
BertModel eager semantics (word + position + token-type embeddings,
LayerNorm eps 1e-12, post-LN layers, GELU in its erf form, additive
attention mask of float32's minimum, dropout 0), as sentence-transformers
encodes (padded batch, Pooling, Normalize):

    /usr/bin/python3 nn/testdata/gen_st_shapes.py
    /usr/bin/python3 nn/testdata/gen_st_shapes.py --folders /tmp/st  # also write the folders

    name       seed hidden layers heads ffn   pooling  weights under
    minilm_l6  1    384    6      12    1536  mean     the folder itself
    bge_small  2    384    12     12    1536  cls      the folder itself
    bert_base  3    768    12     12    3072  mean     0_Transformer/

All three: vocab_size 30522 (nn/testdata/tinybert/vocab.txt, bert-base-
uncased), max_position_embeddings 512, type_vocab_size 2. The test
(retrieval/st_shapes_test.go) regenerates the same weights in Go, writes
each folder, loads it with retrieval.LoadEncoder and compares.

No weights are committed. Both sides generate them from this recipe, which
gives bit-identical float32 values:

  mix64(z)  = z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27;
              z *= 0x94D049BB133111EB; z ^ (z >> 31)      (all mod 2^64)
  element i (0-based, row-major in the Hugging Face shape) of parameter p
  (0-based position in the order below) of the model with seed s is drawn
  from the (i+1)-th output of splitmix64 started at state (s << 32) + p:
      z = mix64((s << 32) + p + (i + 1) * 0x9E3779B97F4A7C15)
      k = (z >> 40) - 2^23                    an integer in [-2^23, 2^23)
      u = float64(k) * 0.05, then u / 2^23    float64, one rounding each
  LayerNorm weights (gammas) are float32(1 + u) (float64 sum, rounded
  once); every other parameter (embeddings, matrices, biases, LayerNorm
  betas) is float32(u), uniform in [-0.05, 0.05).

The parameter order is BertModel's named_parameters without the pooler:
   0 embeddings.word_embeddings.weight        [30522, C]
   1 embeddings.position_embeddings.weight    [512, C]
   2 embeddings.token_type_embeddings.weight  [2, C]
   3 embeddings.LayerNorm.weight              [C]
   4 embeddings.LayerNorm.bias                [C]
  then for layer l, p = 5 + 16 l + j with j:
   0 attention.self.query.weight [C, C]     1 attention.self.query.bias [C]
   2 attention.self.key.weight   [C, C]     3 attention.self.key.bias   [C]
   4 attention.self.value.weight [C, C]     5 attention.self.value.bias [C]
   6 attention.output.dense.weight [C, C]   7 attention.output.dense.bias [C]
   8 attention.output.LayerNorm.weight [C]  9 attention.output.LayerNorm.bias [C]
  10 intermediate.dense.weight [F, C]      11 intermediate.dense.bias [F]
  12 output.dense.weight [C, F]            13 output.dense.bias [C]
  14 output.LayerNorm.weight [C]           15 output.LayerNorm.bias [C]
  each name prefixed with "encoder.layer.{l}.".

Token ids: the texts are ASCII, so bert-base-uncased's tokenizer reduces
to the few lines of tokenize() below (lower-case, split on whitespace and
punctuation, greedy longest-match WordPiece); the ids are recorded in the
golden file and the Go test checks that rrra's tokenizer, itself checked
against Hugging Face's, gives the same ids.

Vectors are stored whole, rounded to 6 decimals (error ≤ 5e-7, against the
test's tolerance of 1e-4); "probe" holds the first values of a few
parameters, exactly, so that a generator mismatch shows as such.
"""
import argparse
import json
import math
import os
import re
import shutil
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--folders", help="also write the sentence-transformers folders under this directory")
args = ap.parse_args()
torch.set_num_threads(2)
here = os.path.dirname(os.path.abspath(__file__))

MODELS = [
    dict(name="minilm_l6", seed=1, hidden=384, layers=6, heads=12, ffn=1536, pooling="mean", path=""),
    dict(name="bge_small", seed=2, hidden=384, layers=12, heads=12, ffn=1536, pooling="cls", path=""),
    dict(name="bert_base", seed=3, hidden=768, layers=12, heads=12, ffn=3072, pooling="mean", path="0_Transformer"),
]
V, P_MAX, EPS = 30522, 512, 1e-12
PROMPTS = {"query": "query: ", "passage": "passage: "}
TEXTS = [
    "what is the boundary layer thickness on a flat plate?",
    "The Reynolds number was 3.5 million, and transition occurred near the leading edge of the wing.",
    "Hello",
    "Sentence-transformers folders ship pooling, normalisation and prompts; rrra reads them all!",
]

GAMMA = np.uint64(0x9E3779B97F4A7C15)


def mix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def uniform(seed, p, idx):
    """u (float64) for the elements idx (int64 array) of parameter p."""
    state = np.uint64((seed << 32) + p)
    with np.errstate(over="ignore"):
        z = mix64(state + (idx.astype(np.uint64) + np.uint64(1)) * GAMMA)
    k = (z >> np.uint64(40)).astype(np.int64) - (1 << 23)
    u = k.astype(np.float64) * 0.05
    return u / float(1 << 23)


def param_list(C, L, FF):
    out = [("embeddings.word_embeddings.weight", (V, C)), ("embeddings.position_embeddings.weight", (P_MAX, C)),
           ("embeddings.token_type_embeddings.weight", (2, C)), ("embeddings.LayerNorm.weight", (C,)),
           ("embeddings.LayerNorm.bias", (C,))]
    for l in range(L):
        pre = f"encoder.layer.{l}."
        for name, o, i in (("attention.self.query", C, C), ("attention.self.key", C, C), ("attention.self.value", C, C),
                           ("attention.output.dense", C, C)):
            out += [(pre + name + ".weight", (o, i)), (pre + name + ".bias", (o,))]
        out += [(pre + "attention.output.LayerNorm.weight", (C,)), (pre + "attention.output.LayerNorm.bias", (C,)),
                (pre + "intermediate.dense.weight", (FF, C)), (pre + "intermediate.dense.bias", (FF,)),
                (pre + "output.dense.weight", (C, FF)), (pre + "output.dense.bias", (C,)),
                (pre + "output.LayerNorm.weight", (C,)), (pre + "output.LayerNorm.bias", (C,))]
    return out


def generate(seed, p, name, shape, rows=None):
    """Parameter p as float32; for the word embeddings only the given rows
    (all when rows is None)."""
    n = int(np.prod(shape))
    if rows is None:
        idx = np.arange(n, dtype=np.int64)
    else:
        idx = (np.asarray(rows, dtype=np.int64)[:, None] * shape[1] + np.arange(shape[1], dtype=np.int64)[None]).reshape(-1)
    u = uniform(seed, p, idx)
    if name.endswith("LayerNorm.weight"):
        u = 1.0 + u
    t = u.astype(np.float32)
    return t.reshape(shape if rows is None else (len(rows), shape[1]))


# --- bert-base-uncased tokenisation of ASCII text ---------------------------
vocab = {}
with open(os.path.join(here, "tinybert", "vocab.txt"), encoding="utf-8") as f:
    for i, line in enumerate(f):
        vocab[line.rstrip("\n")] = i
CLS, SEP, UNK = vocab["[CLS]"], vocab["[SEP]"], vocab["[UNK]"]


def is_punct(c):
    o = ord(c)
    return 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126


def tokenize(text):
    assert text.isascii() and text.isprintable(), text
    words = []
    for w in text.lower().split():
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
    ids = [CLS]
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
    return ids + [SEP]


VARIANTS = {"none": "", **PROMPTS}
ids = {k: [tokenize(p + t) for t in TEXTS] for k, p in VARIANTS.items()}
seqs = [s for k in VARIANTS for s in ids[k]]
B, T = len(seqs), max(len(s) for s in seqs)
input_ids = torch.zeros(B, T, dtype=torch.long)
mask = torch.zeros(B, T)
for b, s in enumerate(seqs):
    input_ids[b, :len(s)] = torch.tensor(s)
    mask[b, :len(s)] = 1
used = sorted(set(input_ids.flatten().tolist()))


def write_safetensors(path, tensors):
    header, off, chunks = {}, 0, []
    for name in sorted(tensors):
        raw = tensors[name].astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        chunks.append(raw)
    header["__metadata__"] = {"format": "pt"}
    hj = json.dumps(header).encode()
    hj += b" " * (-len(hj) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)) + hj)
        for c in chunks:
            f.write(c)


def write_folder(m, cfg, full):
    top = os.path.join(args.folders, m["name"])
    tdir = os.path.join(top, m["path"])
    os.makedirs(tdir, exist_ok=True)
    os.makedirs(os.path.join(top, "1_Pooling"), exist_ok=True)
    os.makedirs(os.path.join(top, "2_Normalize"), exist_ok=True)
    write_safetensors(os.path.join(tdir, "model.safetensors"), full)
    shutil.copy(os.path.join(here, "tinybert", "vocab.txt"), os.path.join(tdir, "vocab.txt"))
    files = {
        os.path.join(tdir, "config.json"): cfg,
        os.path.join(tdir, "tokenizer_config.json"): {"do_lower_case": True, "tokenizer_class": "BertTokenizer", "model_max_length": P_MAX},
        os.path.join(tdir, "sentence_bert_config.json"): {"max_seq_length": P_MAX, "do_lower_case": False},
        os.path.join(top, "modules.json"): [
            {"idx": 0, "name": "0", "path": m["path"], "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}],
        os.path.join(top, "1_Pooling", "config.json"): {"word_embedding_dimension": m["hidden"],
                                                        "pooling_mode_cls_token": m["pooling"] == "cls",
                                                        "pooling_mode_mean_tokens": m["pooling"] == "mean", "include_prompt": True},
        os.path.join(top, "config_sentence_transformers.json"): {"prompts": PROMPTS, "default_prompt_name": None,
                                                                 "similarity_fn_name": "cosine"},
    }
    for path, v in files.items():
        with open(path, "w") as f:
            json.dump(v, f, indent=2)


out_models = []
for m in MODELS:
    C, L, H, FF, seed = m["hidden"], m["layers"], m["heads"], m["ffn"], m["seed"]
    D = C // H
    cfg = dict(vocab_size=V, hidden_size=C, num_hidden_layers=L, num_attention_heads=H, intermediate_size=FF,
               hidden_act="gelu", max_position_embeddings=P_MAX, type_vocab_size=2, layer_norm_eps=EPS,
               hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, initializer_range=0.02, pad_token_id=0,
               position_embedding_type="absolute", model_type="bert", architectures=["BertModel"])
    plist = param_list(C, L, FF)
    P, full = {}, {}
    for p, (name, shape) in enumerate(plist):
        if name == "embeddings.word_embeddings.weight" and not args.folders:
            rows = torch.tensor(used)
            table = torch.zeros(V, C)
            table[rows] = torch.from_numpy(generate(seed, p, name, shape, used))
            P[name] = table
        else:
            a = generate(seed, p, name, shape)
            P[name] = torch.from_numpy(a)
            full[name] = a
    probe = {}
    for name in ("embeddings.word_embeddings.weight", "embeddings.LayerNorm.weight",
                 f"encoder.layer.{L - 1}.output.dense.weight", f"encoder.layer.{L - 1}.output.LayerNorm.bias"):
        p = [n for n, _ in plist].index(name)
        u = uniform(seed, p, np.arange(4, dtype=np.int64))
        probe[name] = [float(x) for x in (1.0 + u if name.endswith("LayerNorm.weight") else u).astype(np.float32)]
    if args.folders:
        write_folder(m, cfg, full)
    del full

    with torch.no_grad():
        e = P["embeddings.word_embeddings.weight"][input_ids] + P["embeddings.position_embeddings.weight"][torch.arange(T)][None] \
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
        if m["pooling"] == "cls":
            pooled = h[:, 0]
        else:
            pooled = (h * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
        emb = F.normalize(pooled, p=2, dim=1)
    vectors, b = {}, 0
    for k in VARIANTS:
        vectors[k] = [[round(float(x), 6) for x in emb[b + i]] for i in range(len(TEXTS))]
        b += len(TEXTS)
    spread = max(float((emb[len(TEXTS) * j:len(TEXTS) * (j + 1)] - emb[:len(TEXTS)]).abs().max()) for j in (1, 2))
    print(f"{m['name']}: prompts move the vectors by up to {spread:.4f}", file=sys.stderr)
    out_models.append({k: m[k] for k in ("name", "seed", "hidden", "layers", "heads", "ffn", "pooling", "path")} |
                      {"probe": probe, "vectors": vectors})

golden = {
    "generator": "/usr/bin/python3 nn/testdata/gen_st_shapes.py",
    "torch": torch.__version__,
    "vocab": "nn/testdata/tinybert/vocab.txt",
    "prompts": PROMPTS,
    "texts": TEXTS,
    "ids": ids,
    "models": out_models,
}
# One vector per line keeps the file diffable.
lines = json.dumps(golden, indent=1)
lines = re.sub(r"\[\s+(-?[0-9.e-]+(?:,\s+-?[0-9.e-]+)*)\s+\]", lambda mo: "[" + ",".join(x.strip() for x in mo.group(1).split(",")) + "]", lines)
with open(os.path.join(here, "st_shapes_golden.json"), "w") as f:
    f.write(lines + "\n")
print("wrote st_shapes_golden.json", file=sys.stderr)
