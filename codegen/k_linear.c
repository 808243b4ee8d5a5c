/*
** k_linear.c - kernel emitters (being written).
*/
#include "codegen/cg.h"

int cg_k_matmul(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_gemm(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_conv(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_convtranspose(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int64_t cg_workspace(const ir_graph *g, const ir_op *op, void *ud)
{
	(void)g;
	(void)op;
	(void)ud;
	return 0;
}
