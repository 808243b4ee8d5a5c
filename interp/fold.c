/*
** fold.c - constant folding of one op with the interpreter's kernels.
**
** Shared by the constfold pass and by ONNX import (which folds shape
** subgraphs as it goes).  Folding is an optimization, so it never fails
** loudly: when a kernel refuses (an integer division by zero, an index out
** of range) or the arena runs out, the op is simply left alone and the
** context's diagnostics are restored to what they were.  Computed NaNs are
** stored as the default quiet NaN so that folded bytes, and so constant
** hashes, do not depend on the host's NaN sign conventions.
*/
#include <math.h>
#include <string.h>

#include "interp/interp.h"
#include "ir/util.h"

static bool reinterprets(ir_opkind k)
{
	return k == IR_OP_IDENTITY || k == IR_OP_RESHAPE || k == IR_OP_FLATTEN || k == IR_OP_SQUEEZE ||
	       k == IR_OP_UNSQUEEZE;
}

/* Every present operand an unmasked const (at least one).  Ops on
** quantized types fold too: their kernels compute exactly the integers a
** compiled kernel must (docs/ir.md, "Quantized arithmetic"). */
static bool foldable(const ir_graph *g, const ir_op *op)
{
	int32_t present = 0;
	for (int32_t i = 0; i < op->n_in; i++) {
		ir_val v = op->in[i];
		if (v == IR_NOVAL)
			continue;
		if (!ir_const_of(g, v) || g->vals[v].def->mask)
			return false;
		present++;
	}
	return present > 0;
}

static void canonical_nans(const interp_tensor *t, int64_t n)
{
	if (t->type.dtype == IR_F32) {
		float *p = t->data, qnan;
		uint32_t bits = 0x7fc00000u;
		memcpy(&qnan, &bits, 4);
		for (int64_t i = 0; i < n; i++)
			if (isnan(p[i]))
				p[i] = qnan;
	} else if (t->type.dtype == IR_F16) {
		uint16_t *p = t->data;
		for (int64_t i = 0; i < n; i++)
			if ((p[i] & 0x7c00) == 0x7c00 && (p[i] & 0x3ff))
				p[i] = 0x7e00;
	}
}

/* Evaluate op into *out without leaving diagnostics behind; -1 if refused. */
static int eval_quietly(ir_graph *g, const ir_op *op, interp_tensor *out)
{
	ir_ctx *c = g->ctx;
	const interp_tensor **in = ir_alloc_array(c, (size_t)op->n_in, sizeof *in);
	interp_tensor *ts = ir_alloc_array(c, (size_t)op->n_in, sizeof *ts);
	for (int32_t i = 0; i < op->n_in; i++) {
		const ir_blob *b = ir_const_of(g, op->in[i]);
		if (!b)
			continue;
		ts[i] = (interp_tensor){g->vals[op->in[i]].type, (void *)b->data};
		in[i] = &ts[i];
	}
	FILE *saved_out = c->diag_out;
	int32_t saved_n = c->n_errors;
	char saved_first[sizeof c->first_error];
	memcpy(saved_first, c->first_error, sizeof saved_first);
	c->diag_out = NULL;
	int rc = interp_op(c, g, op, in, out);
	c->diag_out = saved_out;
	c->n_errors = saved_n;
	memcpy(c->first_error, saved_first, sizeof saved_first);
	return rc;
}

static int64_t sat_mul(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

static int64_t elems(const ir_graph *g, ir_val v)
{
	int64_t n;
	return v && ir_type_numel(&g->vals[v].type, &n) == 0 ? n : 0;
}

/* Work per output element: the reduction length of the contracting ops. */
static int64_t per_output(const ir_graph *g, const ir_op *op)
{
	const ir_type *a = op->n_in ? &g->vals[op->in[0]].type : NULL;
	int64_t k = 1;
	switch (op->kind) {
	case IR_OP_CONV: case IR_OP_CONVINTEGER: case IR_OP_QLINEARCONV: {
		ir_val w = op->in[op->kind == IR_OP_QLINEARCONV ? 3 : 1];
		const ir_type *wt = &g->vals[w].type;
		return wt->dims[0] ? elems(g, w) / wt->dims[0] : 0;
	}
	case IR_OP_CONVTRANSPOSE:
		return elems(g, op->in[1]); /* a generous bound: every weight per output */
	case IR_OP_MATMUL: case IR_OP_MATMULINTEGER: case IR_OP_QLINEARMATMUL: case IR_OP_GEMM:
		return a && a->rank ? a->dims[op->kind == IR_OP_GEMM && ir_op_int(op, "transA", 0) ? 0 : a->rank - 1]
				    : 1;
	case IR_OP_MAXPOOL: case IR_OP_AVGPOOL: {
		const ir_attr *ks = ir_op_attr(op, "kernel_shape");
		for (int32_t i = 0; ks && i < ks->n; i++)
			k = sat_mul(k, ks->u.ints[i]);
		return k;
	}
	case IR_OP_RESIZE:
		return 64; /* at most 4 taps per dim over a few dims */
	default:
		return 1;
	}
}

int64_t interp_cost(const ir_graph *g, const ir_op *op)
{
	int64_t out = 0, in = 0;
	for (int32_t i = 0; i < op->n_out; i++)
		out += elems(g, op->out[i]); /* at most IR_MAX_OPERANDS * 2^40: no overflow */
	for (int32_t i = 0; i < op->n_in; i++)
		in = in > INT64_MAX - elems(g, op->in[i]) ? INT64_MAX : in + elems(g, op->in[i]);
	int64_t work = sat_mul(out, per_output(g, op));
	return work > INT64_MAX - in ? INT64_MAX : work + in;
}

/* Turn op into a const op holding blob; its result value, name and location stay. */
static void make_const(ir_op *op, uint32_t blob)
{
	op->kind = IR_OP_CONST;
	op->n_in = 0;
	op->in = NULL;
	op->n_attrs = 0;
	op->attrs = NULL;
	op->blob = blob;
	op->mask = 0;
}

int interp_fold(ir_graph *g, ir_op *op, int64_t max_bytes)
{
	int64_t bytes, n;
	if (op->kind == IR_OP_CONST || op->n_out != 1 || !foldable(g, op))
		return 0;
	const ir_type *t = ir_type_of(g, op->out[0]);
	if (ir_type_bytes(t, &bytes) < 0 || bytes > max_bytes || ir_type_numel(t, &n) < 0 ||
	    interp_cost(g, op) > IR_MAX_FOLD_WORK)
		return 0;
	if (reinterprets(op->kind)) { /* the same bytes under another type: share the blob */
		make_const(op, g->vals[op->in[0]].def->blob);
		return 1;
	}
	interp_tensor out;
	if (eval_quietly(g, op, &out) < 0)
		return 0;
	canonical_nans(&out, n);
	make_const(op, ir_blob_intern(g, out.data, bytes));
	return 1;
}
