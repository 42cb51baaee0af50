// Package adapter implements the retriever adapter of RRRA ("Resampling and
// Reranking through a Retriever Adapter", Kim, arXiv 2508.11670): a small
// network that reads a bi-encoder's query vector q and candidate vector c
// and estimates how likely the candidate is relevant, and therefore, for a
// labelled negative, how likely it is a false negative. Its estimates
// reweight hard-negative sampling during training and rerank the top of a
// result list at query time. docs/method.md describes the method as rrra
// implements it.
//
// The public surface:
//
//   - SamplerConfig and its one parameter table (Params, ParseParams,
//     SamplerConfig.String, ParamsHelp, SamplerConfig.Validate): every
//     knob with its name, domain and default.
//   - NewTrainingSampler: RRRA's sampler assembled for a retrieval.Trainer
//     (adapters, lexical feature, self-training data, stage-3 loss).
//   - Folds: a cross-fitted set of adapters, saved in a model directory
//     (File) and loaded back (LoadFolds).
//   - NewReranker and LoadReranker: the one way to rerank, used by rrra's
//     search, serve and experiments alike; τ_b defaults to the model's
//     temperature everywhere.
//   - Audit: the labelled negatives most likely to be false negatives.
//
// The formulation is built so that every knob at zero gives back a known
// baseline, and tests check those reductions exactly: a zero residual
// gives a = c, α̂ = 0 and L_norm = 0; γ = 0 and ρ = 0 give the base
// sampler's distribution; λ_RR = 0 gives the bi-encoder ranking.
package adapter
