// Package adapter implements the retriever adapter of RRRA ("Resampling and
// Reranking through a Retriever Adapter", Kim, arXiv 2508.11670): a small
// network that reads a bi-encoder's query vector q and candidate vector c
// and estimates how likely the candidate is relevant, and therefore, for a
// labelled negative, how likely it is a false negative. Its estimates
// reweight hard-negative sampling during training (Sampler) and rerank the
// top of a result list at query time (Rerank).
//
// The formulation (rrra's DESIGN §6) is built so that every knob at zero
// gives back a known baseline, and tests check those reductions exactly:
// a zero residual gives a = c, α̂ = 0 and L_norm = 0; γ = 0 and ρ = 0 give
// the base sampler's distribution; λ_RR = 0 gives the bi-encoder ranking.
package adapter
