/*
** constfold.c - constant folding.
**
** An op whose present operands are all const ops is evaluated now, with the
** reference interpreter's kernels (interp_fold), and becomes a const op in
** place: it keeps its position, its result value (so every use, graph
** outputs included, now reads the constant), the value's name and its
** location.  Arithmetic on quantized operands folds by the interpreter's
** integer kernels, exactly as it would run (docs/ir.md, "Quantized
** arithmetic").  Reshape-like ops share the operand's stored bytes instead of
** copying them.  Left alone, without a diagnostic: ops with several
** results, a const operand carrying a sparsity mask, results over
** CONSTFOLD_MAX_BYTES, DequantizeLinear (a quantized weight stays integer
** for quant-fold, and 4x smaller, as the importer keeps it), and ops the
** kernel refuses
** (integer division by zero, an index out of range).
**
** One forward sweep; ops are visited in order, so a chain of foldable ops
** folds in one run.  Each fold is complete before the next starts, so an
** unwind midway leaves a valid graph.  Const operands left unused are dce's
** to remove.
*/
#include "interp/interp.h"
#include "passes/pass.h"

/* Largest result folded, in bytes: a fold costs up to twice this in arena
** memory (the evaluation buffer and its interned copy). */
#define CONSTFOLD_MAX_BYTES ((int64_t)1 << 26)

int pass_constfold(ir_graph *g, pass_stats *st)
{
	for (uint32_t i = 0; i < g->n_ops; i++)
		if (g->ops[i]->kind != IR_OP_DEQUANTIZE)
			st->changed += interp_fold(g, g->ops[i], CONSTFOLD_MAX_BYTES);
	return 0;
}
