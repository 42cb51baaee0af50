// Writes golden.jsonl: token ids of varied strings under bert-base-uncased,
// computed by an implementation we did not write, npm's
// @huggingface/tokenizers (a JavaScript port of Hugging Face's Rust
// tokenizers). Dev-time only; its output is committed, so tests need no
// node.
//
//   cd nn/wordpiece/testdata && npm install && node gen_golden.mjs
//
// The tokenizer is assembled from vocab.txt as Hugging Face describes
// BertTokenizerFast: BertNormalizer (clean text, CJK spacing, strip
// accents, lowercase), BertPreTokenizer, WordPiece (## continuation, words
// over 100 characters become [UNK]), [CLS] … [SEP]. Each line of
// golden.jsonl is {"text", "ids"} with ids including [CLS] and [SEP], no
// truncation.
import { readFileSync, writeFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const vocabLines = readFileSync("vocab.txt", "utf8").split("\n");
if (vocabLines[vocabLines.length - 1] === "") vocabLines.pop();
const vocab = {};
vocabLines.forEach((tok, i) => { vocab[tok] = i; });
const special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
const tokenizerJSON = {
  version: "1.0",
  truncation: null,
  padding: null,
  added_tokens: special.map((t) => ({ id: vocab[t], content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
  normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
  pre_tokenizer: { type: "BertPreTokenizer" },
  post_processor: {
    type: "TemplateProcessing",
    single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
    pair: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } },
      { Sequence: { id: "B", type_id: 1 } }, { SpecialToken: { id: "[SEP]", type_id: 1 } }],
    special_tokens: {
      "[CLS]": { id: "[CLS]", ids: [vocab["[CLS]"]], tokens: ["[CLS]"] },
      "[SEP]": { id: "[SEP]", ids: [vocab["[SEP]"]], tokens: ["[SEP]"] },
    },
  },
  decoder: { type: "WordPiece", prefix: "##", cleanup: true },
  model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab },
};
const tokenizer = new Tokenizer(tokenizerJSON, { do_lower_case: true, model_max_length: 512, tokenizer_class: "BertTokenizer" });

const texts = [
  "", " ", "\t\n\r", "Hello, world!", "HELLO World", "hello   world", "don't stop-believing...",
  "Café déjà vu — naïve résumé", "Ångström ÅÄÖ åäö ß ẞ", "İstanbul ıi", "ﬁnancial ﬀ", "Ǆ ǅ ǆ",
  "中文字符测试", "日本語のテキスト", "한국어 텍스트", "混合English和中文", "東京2020",
  "emoji 😀🎉 done", "👍🏽 thumbs", "a\u0000b\u0001c\u007fd", "zero\u200bwidth", "soft\u00adhyphen",
  "bell\u0007char", "tab\tand\nnewline", "nbsp\u00a0space", "ideographic\u3000space", "\ufeffBOM start",
  "replacement \ufffd char", "combining e\u0301 acute", "precomposed é", "a" + "b".repeat(99), "a" + "b".repeat(100),
  "x".repeat(150) + " short", "supercalifragilisticexpialidocious", "antidisestablishmentarianism",
  "COVID-19 SARS-CoV-2 mRNA-1273", "p < 0.05, n = 1,234; 95% CI [1.2-3.4]", "IL-6/STAT3 and TNF-α", "β-amyloid Aβ42",
  "γδ T cells", "10⁻⁶ m²/s", "x² + y² = z²", "½ ¼ ¾", "℃ ℉ °C", "Ⅳ Ⅻ", "①②③", "™ © ®", "€100 £50 ¥1000 $20",
  "http://example.com/path?q=1&r=2", "user@example.com", "#hashtag @mention", "C++ C# F#", "e.g. i.e. etc.",
  "«quotes» „German“ “curly” ‘single’", "em—dash en–dash", "ellipsis…", "bullet • point", "arrows → ← ↑ ↓",
  "Ελληνικά κείμενο", "Русский текст", "עברית", "العربية", "हिन्दी", "ไทย", "Tiếng Việt có dấu",
  "Ölçüm ğüşıöç", "Æther Œuvre", "Øresund", "Łódź", "Ďábelské Ňuňu", "Ṁȧçḉëñťś",
  "MiXeD CaSe WoRdS", "ALLCAPS", "123 4567 89.0", "3.14159265358979", "1e-10", "0x1F",
  "unaffable", "unwanted running", "##notaprefix", "[notspecial]", "<s>html</s>", "a.b.c.d",
  "......", "!!!???", "(((nested)))", "'\"`", "~tilde^caret", "under_score", "back\\slash",
];
for (const f of ["../../../../shared/data/scifact/corpus.jsonl", "../../../../shared/data/cranfield/corpus.jsonl"]) {
  let lines = [];
  try { lines = readFileSync(f, "utf8").split("\n").filter(Boolean); } catch { continue; }
  for (const line of lines.slice(0, 60)) {
    const doc = JSON.parse(line);
    texts.push(doc.title, doc.text);
  }
}
const out = texts.map((text) => JSON.stringify({ text, ids: tokenizer.encode(text).ids })).join("\n") + "\n";
writeFileSync("golden.jsonl", out);
console.log(`wrote golden.jsonl: ${texts.length} texts`);
