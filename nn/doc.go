// Package nn holds rrra's models, built on autograd:
//
//   - Bert, a BERT encoder with Hugging Face's semantics and parameter
//     names (word, position and token-type embeddings, post-LN layers with
//     fused QKV attention and a GELU feed-forward block, every numeric
//     setting from its BertConfig), and Preset's configurations for models
//     trained from scratch ("mini", "tiny", "small");
//   - Model and LoadModel/Save: a Hugging Face model directory
//     (config.json, model.safetensors, vocab.txt, tokenizer_config.json)
//     read and written, so that a model trained here loads with
//     transformers' BertModel.from_pretrained;
//   - BiEncoder: shared or separate towers, CLS or mean pooling, cosine or
//     dot scores, in-batch InfoNCE with hard negatives and masked pairs,
//     saved and loaded as model directories by SaveBiEncoder and
//     LoadBiEncoder;
//   - training parts: AdamW (decoupled weight decay, none on biases and
//     LayerNorm), LinearSchedule (warm-up then linear decay), ClipGradNorm,
//     and checkpoints (SaveCheckpoint, LoadCheckpoint: weights, AdamW
//     moments, step, RNG state and data position in one safetensors file,
//     written atomically, so that a resumed run continues bit for bit).
//
// The WordPiece tokenizer lives in nn/wordpiece.
package nn
