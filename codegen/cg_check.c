/*
** cg_check.c - ops the code generator refuses before emitting anything.
**
** Quantized types change what an op means (real = scale * (q - zero)):
** Add requantizes, Relu clamps at the zero point, Conv accumulates
** zero-point-corrected products.  Emitters written for plain integers
** would compile those ops without complaint and compute something else,
** so every op computing on quantized types is refused here unless a
** kernel implements its quantized rule.  Pure data movement is the same
** bytes either way.
*/
#include "codegen/cg_internal.h"
#include "codegen/codegen.h"
#include "ir/requant.h"

/* Ops whose quantized form moves stored integers unchanged. */
static bool moves_bytes(ir_opkind k)
{
	switch (k) {
	case IR_OP_RESHAPE: case IR_OP_FLATTEN: case IR_OP_SQUEEZE: case IR_OP_UNSQUEEZE:
	case IR_OP_TRANSPOSE: case IR_OP_SLICE: case IR_OP_IDENTITY:
		return true;
	default:
		return false;
	}
}

bool cg_supports_quantized(const ir_graph *g, const ir_op *op)
{
	return moves_bytes(op->kind) || cg_int8_supports(g, op);
}

int cg_check_quantized(cg *g)
{
	for (uint32_t i = 0; i < g->g->n_ops; i++) {
		const ir_op *op = g->g->ops[i];
		if (ir_op_is_quantized(g->g, op) && !cg_supports_quantized(g->g, op))
			return cg_unsupported(g, op, "quantized operands (int8 kernels for this op are not "
						 "implemented yet)");
	}
	return 0;
}
