#!/usr/bin/python3
"""Writes a tiny BERT model directory (tinybert/: config.json,
model.safetensors with the "bert." prefix and a masked-LM head that loaders
must skip, vocab.txt = bert-base-uncased, tokenizer_config.json) and
bert_golden.safetensors: a padded batch of token ids, the last hidden
states, CLS and mean-pooled embeddings, and the gradients of an in-batch
InfoNCE loss (mean-pooled, L2-normalised, temperature 0.05, sequences 0-1
are queries for documents 2-3) with respect to every parameter, computed
in plain PyTorch with Hugging Face BertModel semantics (dropout 0).

    /usr/bin/python3 nn/testdata/gen_bert.py                     # tinybert/, bert_golden.safetensors
    /usr/bin/python3 nn/testdata/gen_bert.py --hidden 64 --heads 4  # tinybert64/, bert64_golden.safetensors

The word-embedding table has the full 30,522 rows but only the rows the
batch uses are non-zero, so the committed file compresses to little; its
gradient is stored for those rows only (grad_rows.*, rows listed in
grad_rows_ids).
"""
import argparse
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--hidden", type=int, default=32)
ap.add_argument("--heads", type=int, default=2)
args = ap.parse_args()
suffix = "" if args.hidden == 32 else str(args.hidden)
torch.manual_seed(2026 if args.hidden == 32 else 2026 + args.hidden)
here = os.path.dirname(os.path.abspath(__file__))
cfg = dict(vocab_size=30522, hidden_size=args.hidden, num_hidden_layers=2, num_attention_heads=args.heads, intermediate_size=2 * args.hidden,
           hidden_act="gelu", max_position_embeddings=64, type_vocab_size=2, layer_norm_eps=1e-12,
           hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, initializer_range=0.02, pad_token_id=0,
           position_embedding_type="absolute", model_type="bert", architectures=["BertForMaskedLM"])
C, H, FF, L, V = cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
D, EPS, TAU = C // H, cfg["layer_norm_eps"], 0.05

B, T = 4, 12
lengths = [12, 7, 10, 5]
ids = torch.zeros(B, T, dtype=torch.long)
mask = torch.zeros(B, T)
for b, n in enumerate(lengths):
    body = torch.randint(1000, 30000, (n - 2,))
    ids[b, :n] = torch.cat([torch.tensor([101]), body, torch.tensor([102])])
    mask[b, :n] = 1
types = torch.zeros(B, T, dtype=torch.long)
types[0, 4:lengths[0]] = 1  # a second segment in the first sequence
used = sorted(set(ids.flatten().tolist()))

params = {}


def p(name, tensor):
    params[name] = tensor.requires_grad_(True)
    return params[name]


word = torch.zeros(V, C)
word[used] = torch.randn(len(used), C) * 0.5
p("embeddings.word_embeddings.weight", word)
p("embeddings.position_embeddings.weight", torch.randn(cfg["max_position_embeddings"], C) * 0.5)
p("embeddings.token_type_embeddings.weight", torch.randn(2, C) * 0.5)
p("embeddings.LayerNorm.weight", 1 + 0.1 * torch.randn(C))
p("embeddings.LayerNorm.bias", 0.1 * torch.randn(C))
for l in range(L):
    pre = f"encoder.layer.{l}."
    for name, (o, i) in {"attention.self.query": (C, C), "attention.self.key": (C, C), "attention.self.value": (C, C),
                         "attention.output.dense": (C, C), "intermediate.dense": (FF, C), "output.dense": (C, FF)}.items():
        p(pre + name + ".weight", torch.randn(o, i) * 0.2)
        p(pre + name + ".bias", torch.randn(o) * 0.05)
    for name in ("attention.output.LayerNorm", "output.LayerNorm"):
        p(pre + name + ".weight", 1 + 0.1 * torch.randn(C))
        p(pre + name + ".bias", 0.1 * torch.randn(C))

P = params
e = P["embeddings.word_embeddings.weight"][ids] + P["embeddings.position_embeddings.weight"][torch.arange(T)][None] \
    + P["embeddings.token_type_embeddings.weight"][types]
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
    h = F.layer_norm(h + lin(ctx, pre + "attention.output.dense"), (C,), P[pre + "attention.output.LayerNorm.weight"], P[pre + "attention.output.LayerNorm.bias"], EPS)
    f = lin(F.gelu(lin(h, pre + "intermediate.dense")), pre + "output.dense")
    h = F.layer_norm(h + f, (C,), P[pre + "output.LayerNorm.weight"], P[pre + "output.LayerNorm.bias"], EPS)
cls = h[:, 0]
mean = (h * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
emb = F.normalize(mean, dim=-1, eps=1e-12)
loss = F.cross_entropy(emb[:2] @ emb[2:].T / TAU, torch.arange(2))
loss.backward()


def write(path, tensors, meta):
    header, off, data = {}, 0, b""
    for name in sorted(tensors):
        raw = tensors[name].detach().contiguous().float().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        data += raw
    header["__metadata__"] = meta
    hj = json.dumps(header).encode()
    hj += b" " * (-len(hj) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)) + hj + data)


model = {"bert." + n: t for n, t in params.items()}
model["cls.predictions.bias"] = torch.zeros(V)[:8]  # a pre-training head the loader must skip
model["cls.predictions.transform.dense.weight"] = torch.randn(C, C)
mdir = os.path.join(here, "tinybert" + suffix)
os.makedirs(mdir, exist_ok=True)
write(os.path.join(mdir, "model.safetensors"), model, {"format": "pt"})
with open(os.path.join(mdir, "config.json"), "w") as f:
    json.dump(cfg, f, indent=2)
with open(os.path.join(mdir, "tokenizer_config.json"), "w") as f:
    json.dump({"do_lower_case": True, "tokenizer_class": "BertTokenizer", "model_max_length": 64}, f, indent=2)

golden = {"input.ids": ids.float(), "input.mask": mask, "input.types": types.float(), "out.hidden": h, "out.cls": cls,
          "out.mean": mean, "out.loss": loss.reshape(()), "grad_rows_ids": torch.tensor(used, dtype=torch.float32),
          "grad_rows.embeddings.word_embeddings.weight": P["embeddings.word_embeddings.weight"].grad[used]}
for n, t in params.items():
    if n != "embeddings.word_embeddings.weight":
        golden["grad." + n] = t.grad
write(os.path.join(here, f"bert{suffix}_golden.safetensors"), golden, {"generator": "gen_bert.py", "torch": torch.__version__})
if not os.path.exists(os.path.join(mdir, "vocab.txt")):
    import shutil
    shutil.copy(os.path.join(here, "tinybert", "vocab.txt"), os.path.join(mdir, "vocab.txt"))
print(f"wrote tinybert{suffix}/ and bert{suffix}_golden.safetensors; loss", float(loss))
