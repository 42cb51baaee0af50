// Package slurm holds no Go code: it is the home of the Slurm job scripts
// that encode and index a BEIR corpus in shards on a cluster and merge,
// search and score the result (submit.sh, index-shards.sbatch,
// merge.sbatch; see README.md), and of their test, which starts a real
// single-node Slurm cluster when RRRA_SLURM=1 or RRRA_REQUIRE_SLURM=1.
package slurm
