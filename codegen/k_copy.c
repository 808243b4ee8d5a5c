/*
** k_copy.c - reshape-like ops (Identity, Reshape, Flatten, Squeeze,
** Unsqueeze) and const.  The memory plan makes their results views of the
** operand, so a kernel runs only when the result must land in another
** buffer (a graph output): then it is a byte copy.
*/
#include "codegen/cg.h"

int cg_k_copy(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	int64_t n;
	if (ir_type_bytes(out[0].type, &n) < 0)
		return cg_unsupported(g, op, "a result this large");
	if (in[0].ptr != out[0].ptr)
		cg_memcpy(g, out[0].ptr, in[0].ptr, n);
	return 0;
}

int cg_k_none(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "an op without a kernel");
}
