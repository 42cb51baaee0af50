// Package nn holds rrra's model-building blocks on top of autograd: the
// AdamW optimizer with its learning-rate schedule and gradient clipping
// (this file set), and, as it grows, the BERT modules and Hugging Face model
// directories. The WordPiece tokenizer lives in nn/wordpiece.
package nn
