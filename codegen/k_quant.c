/*
** k_quant.c - kernel emitters (being written).
*/
#include "codegen/cg.h"

int cg_k_quant(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_qlinear(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

