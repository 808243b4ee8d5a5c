/*
** passes.h - the pass table: one row per pass, in the order --list-passes
** prints them.  PASS(ID, NAME, SUMMARY): the pass is implemented by
** `int pass_<ID>(ir_graph *g, pass_stats *st)` in passes/<ID>.c.
*/
PASS(dce, "dce", "dead-code elimination: drop ops whose results are never used")
PASS(cse, "cse", "common-subexpression elimination; constants compare by content hash")
PASS(constfold, "constfold", "fold ops whose operands are all constants into constants")
PASS(canonicalize, "canonicalize", "local rewrites to a canonical form (Identity removal, reshape/transpose chains, ...), to a fixpoint")
PASS(fold_bn, "fold-bn", "fold an inference BatchNormalization into the Conv before it (new weights and bias)")
PASS(fuse_activation, "fuse-activation", "fold Relu, Clip and LeakyRelu into the Conv, Gemm or Add producing their operand")
PASS(quant_fold, "quant-fold", "fold DequantizeLinear -> op -> QuantizeLinear chains into the op on quantized integer types")
PASS(quant_io, "quant-io", "int8 graph boundaries: inputs read by QuantizeLinear and outputs of DequantizeLinear become the quantized values")
PASS(equalize, "equalize", "cross-layer equalization of Conv -> Conv pairs through Relu (Relu6 blocks); float function unchanged")
PASS(equalize_relu6, "equalize-relu6", "equalize, with Relu6 (Clip(0, hi)) between a pair replaced by Relu as DFQ does (changes the float function)")
