/*
** k_shape.c - kernel emitters (being written).
*/
#include "codegen/cg.h"

int cg_k_transpose(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_concat(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_split(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_slice(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_pad(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_gather(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_expand(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_tile(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_depthtospace(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_trilu(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_cumsum(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

int cg_k_resize(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	(void)in;
	(void)out;
	return cg_unsupported(g, op, "this op yet");
}

