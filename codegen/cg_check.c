/*
** cg_check.c - ops the code generator refuses before emitting anything.
**
** Quantized types change what an op means (real = scale * (q - zero)):
** Add requantizes, Relu clamps at the zero point, Conv accumulates
** zero-point-corrected products.  Emitters written for plain integers
** would compile those ops without complaint and compute something else,
** so every op computing on quantized types is refused here unless a
** kernel implements its quantized rule: the int8 engine (Conv, Gemm,
** MatMul), k_elementwise.c (Add, Relu, Clip with constant bounds),
** k_pool.c (the global pools; MaxPool, whose integer maximum is the rule
** wherever no window is all padding).  Pure data movement is the same
** bytes either way.
*/
#include <string.h>

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

/* A quantized Clip's bounds must be constants: absent, f32 (real values)
** or of x's element type (stored integers); k_elementwise.c folds them. */
static bool clip_bounds_constant(const ir_graph *g, const ir_op *op)
{
	ir_dtype xt = ir_type_of(g, op->in[0])->dtype;
	for (int32_t k = 1; k < op->n_in; k++) {
		ir_val v = op->in[k];
		if (v == IR_NOVAL)
			continue;
		const ir_op *d = g->vals[v].def;
		ir_dtype bt = ir_type_of(g, v)->dtype;
		if (!d || d->kind != IR_OP_CONST || (bt != IR_F32 && bt != xt))
			return false;
	}
	return true;
}

/* The window of every output of a quantized MaxPool holds an element: the
** integer kernel would give 0 for an empty one, the rule real 0 (z_x). */
static bool maxpool_windows_full(const ir_graph *g, const ir_op *op)
{
	const ir_type *x = ir_type_of(g, op->in[0]), *y = ir_type_of(g, op->out[0]);
	const ir_attr *k = ir_op_attr(op, "kernel_shape"), *s = ir_op_attr(op, "strides");
	const ir_attr *d = ir_op_attr(op, "dilations"), *p = ir_op_attr(op, "pads");
	const char *ap = ir_op_str(op, "auto_pad", "NOTSET");
	int n = x->rank - 2;
	if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID"))
		return false;   /* SAME_*: windows are checked only for explicit pads */
	for (int i = 0; i < n; i++) {
		int64_t ki = k && i < k->n ? k->u.ints[i] : 1, si = s && i < s->n ? s->u.ints[i] : 1;
		int64_t di = d && i < d->n ? d->u.ints[i] : 1;
		int64_t pb = p && !strcmp(ap, "NOTSET") && i < p->n ? p->u.ints[i] : 0;
		for (int64_t o = 0; o < y->dims[2 + i]; o++) {
			int64_t first = o * si - pb, last = first + (ki - 1) * di;
			/* some tap in [0, in): the taps are first + j*di */
			int64_t j0 = first >= 0 ? 0 : (-first + di - 1) / di;
			if (last < 0 || first + j0 * di >= x->dims[2 + i])
				return false;
		}
	}
	return true;
}

bool cg_supports_quantized(const ir_graph *g, const ir_op *op)
{
	if (moves_bytes(op->kind) || cg_int8_supports(g, op))
		return true;
	switch (op->kind) {
	case IR_OP_ADD: case IR_OP_RELU: case IR_OP_GLOBALMAXPOOL:
		return true;
	case IR_OP_GLOBALAVGPOOL: {
		const ir_type *x = ir_type_of(g, op->in[0]);
		return x->rank >= 3 && x->dims[2] > 0 && cg_numel(x) > 0;
	}
	case IR_OP_CLIP:
		return clip_bounds_constant(g, op);
	case IR_OP_MAXPOOL:
		return op->n_out == 1 && maxpool_windows_full(g, op);
	case IR_OP_AVGPOOL:
		return cg_pool_quant_ok(g, op);
	case IR_OP_CONCAT: {
		ir_qop p;
		return ir_qop_params(g, op, &p) == 0;
	}
	default:
		return false;
	}
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
