/*
** k_elementwise.c - kernel emitters (being written).
*/
#include "codegen/cg.h"

int cg_k_unary(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_binary(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_clip(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_where(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_cast(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

