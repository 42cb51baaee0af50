package autograd

import "github.com/rrra/rrra/tensor"

// opKind names a kind of operation; it indexes the tables below.
type opKind uint8

const (
	opInvalid opKind = iota
	opMatMul
	opBatchedMatMul
	opAdd
	opSub
	opMul
	opScale
	opGELU
	opTanh
	opReLU
	opSoftmax
	opLogSoftmax
	opLayerNorm
	opEmbedding
	opDropout
	opReshape
	opSplitHeads
	opMergeHeads
	opConcat
	opMeanPool
	opCLSPool
	opL2Normalize
	opCrossEntropy
	opBCEWithLogits
	opSum
	opMean
	opAttention
	opLinear
	opMultiHeadAttention
	opAttentionVarLen
	opMeanPoolPacked
	opCLSPoolPacked
	opCheckpoint
	opFeedForward
	opLinearInt8
	opFeedForwardInt8
	numOps
)

var opNames = [numOps]string{
	opInvalid: "invalid", opMatMul: "MatMul", opBatchedMatMul: "BatchedMatMul", opAdd: "Add",
	opSub: "Sub", opMul: "Mul", opScale: "Scale", opGELU: "GELU", opTanh: "Tanh", opReLU: "ReLU",
	opSoftmax: "Softmax", opLogSoftmax: "LogSoftmax", opLayerNorm: "LayerNorm",
	opEmbedding: "Embedding", opDropout: "Dropout", opReshape: "Reshape",
	opSplitHeads: "SplitHeads", opMergeHeads: "MergeHeads", opConcat: "Concat",
	opMeanPool: "MeanPool", opCLSPool: "CLSPool", opL2Normalize: "L2Normalize",
	opCrossEntropy: "CrossEntropy", opBCEWithLogits: "BCEWithLogits", opSum: "Sum",
	opMean: "Mean", opAttention: "Attention", opLinear: "Linear",
	opMultiHeadAttention: "MultiHeadAttention", opAttentionVarLen: "MultiHeadAttentionVarLen",
	opMeanPoolPacked: "MeanPoolPacked", opCLSPoolPacked: "CLSPoolPacked",
	opCheckpoint: "Checkpoint", opFeedForward: "FeedForward",
	opLinearInt8: "LinearInt8", opFeedForwardInt8: "FeedForwardInt8",
}

// backwardFns[k] adds the gradients of op k's inputs from its output's.
var backwardFns = [numOps]func(t *Tape, o *op){
	opMatMul: matMulBackward, opBatchedMatMul: batchedMatMulBackward, opAdd: addBackward,
	opSub: subBackward, opMul: mulBackward, opScale: scaleBackward, opGELU: geluBackward,
	opTanh: tanhBackward, opReLU: reluBackward, opSoftmax: softmaxBackward,
	opLogSoftmax: logSoftmaxBackward, opLayerNorm: layerNormBackward,
	opEmbedding: embeddingBackward, opDropout: dropoutBackward, opReshape: reshapeBackward,
	opSplitHeads: splitHeadsBackward, opMergeHeads: mergeHeadsBackward, opConcat: concatBackward,
	opMeanPool: meanPoolBackward, opCLSPool: clsPoolBackward, opL2Normalize: l2NormalizeBackward,
	opCrossEntropy: crossEntropyBackward, opBCEWithLogits: bceBackward, opSum: sumBackward,
	opMean: meanBackward, opAttention: attentionBackward, opLinear: linearBackward,
	opMultiHeadAttention: multiHeadAttentionBackward, opAttentionVarLen: attentionVarLenBackward,
	opMeanPoolPacked: segmentPoolBackward, opCLSPoolPacked: segmentPoolBackward,
}

// runFns[k] computes rows [lo, hi) of op k's current phase when the op is
// split across goroutines with kernels.Parallel; nil for ops that run on
// one goroutine.
var runFns = [numOps]func(o *op, lo, hi int){
	opGELU: geluRun, opSoftmax: softmaxRun, opLogSoftmax: softmaxRun,
	opLayerNorm: layerNormRun, opAttention: attentionRun, opMultiHeadAttention: attentionRun,
	opAttentionVarLen: attentionVarLenRun, opFeedForward: feedForwardRun,
	opFeedForwardInt8: feedForwardRun,
}

// Run computes rows [lo, hi) of o's current phase (it makes *op a
// kernels.Task, so splitting an op allocates nothing).
func (o *op) Run(lo, hi int) { runFns[o.kind](o, lo, hi) }

// broadcastOp records an element-wise op of a and b, where b has a's shape
// or is one row of a's last dimension broadcast over a's rows (o.n[0] is 1
// then). ok is false, and the tape has failed, when the shapes do not fit.
func (t *Tape) broadcastOp(kind opKind, a, b *Var) (o *op, ok bool) {
	row, ok := tensor.RowBroadcast(a.Value.Shape, b.Value.Shape)
	if !ok {
		t.fail(kind, "%w: %v and %v (b must match a or be one row of width %d)", ErrShape, a.Value.Shape, b.Value.Shape, a.Value.Shape.Cols())
		return nil, false
	}
	o = t.record(kind, a.Value.Shape, a, b)
	o.n[0] = b2i(row)
	return o, true
}
