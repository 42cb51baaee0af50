// Package beir reads and writes retrieval collections in the BEIR layout and
// the files that travel with them:
//
//   - corpus.jsonl (or corpus.jsonl.gz): one JSON object per line with a
//     string "_id", an optional string "title" and a string "text";
//   - queries.jsonl: one object per line with "_id" and "text";
//   - qrels/<split>.tsv: a header line "query-id<TAB>corpus-id<TAB>score",
//     then one judgment per line with an integer score;
//   - Tevatron-style training JSONL (query, positive and negative passages),
//     which `rrra mine` writes and `rrra train` reads.
//
// JSON lines are parsed with github.com/minio/simdjson-go where the CPU
// supports it (amd64 with AVX2 and CLMUL) and with encoding/json otherwise;
// both paths give the same rows and the same errors, and either can be forced
// with Options.Parser. Files are read in blocks of whole lines, so memory
// grows with what is kept, not with the size of the file. All text is
// checked to be valid UTF-8.
//
// Bad input fails with a *LineError that names the file, the line and the
// field. With Options.SkipBadLines the offending line is skipped instead and
// counted, by reason, in the returned Stats. Two cases are not errors: a
// corpus document whose title and text are both empty is kept (it may still be
// judged relevant, as document 995 of Cranfield is) and counted in
// Stats.Empty; unknown fields such as "metadata" are ignored.
package beir
