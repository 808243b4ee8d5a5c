/*
** interp.c - the reference interpreter's driver: evaluating one op and a
** whole graph, and the element accessors every kernel uses.
**
** Dispatch goes through a table built from the op table (column KERN).
** interp_op and interp_run set their own ir_protect boundary, so arena
** exhaustion inside a kernel comes back as -1 with its diagnostic.  Both
** assume a verified graph (ir_verify); interp_run checks only what the
** caller supplies: the graph inputs' types and data.  Constants are bound
** to the constant store's bytes, never copied, except a constant (or graph
** input) that is itself a graph output, which is copied into c's arena.
**
** Element conversions, the kernels' common vocabulary:
**   get_f   exact for every type but i64 beyond 2^53 (rounded to double)
**   get_i   floats truncate toward zero and saturate to int64; NaN gives 0
**   set_f   to f32 rounds to nearest even; to f16 rounds through f32 (as
**           numpy computes float16); to an integer type truncates toward
**           zero and saturates to the type's range (ONNX leaves
**           out-of-range casts undefined), NaN giving 0; to bool, nonzero
**   set_i   to an integer type wraps (two's complement); to a float type
**           rounds to nearest even; to bool, nonzero
** bool reads back as 0 or 1 whatever nonzero byte it holds; i4 packs two
** elements a byte, element 2k in the low nibble, and reads sign-extended.
*/
#include <math.h>
#include <string.h>

#include "interp/kernel.h"
#include "ir/requant.h"
#include "ir/util.h"

/* ---- element accessors ------------------------------------------------- */

/* v truncated toward zero and clamped to [lo, hi]; NaN gives 0. */
static int64_t trunc_sat(double v, int64_t lo, int64_t hi)
{
	if (isnan(v))
		return 0;
	if (v <= (double)lo)
		return lo;
	if (v >= (double)hi)
		return hi;
	return (int64_t)v;
}

double interp_get_f(const interp_tensor *t, int64_t i)
{
	switch (t->type.dtype) {
	case IR_F32: return ((const float *)t->data)[i];
	case IR_F16: return ir_f16_to_f32(((const uint16_t *)t->data)[i]);
	default: return (double)interp_get_i(t, i);
	}
}

int64_t interp_get_i(const interp_tensor *t, int64_t i)
{
	const void *p = t->data;
	switch (t->type.dtype) {
	case IR_F32:
	case IR_F16: return trunc_sat(interp_get_f(t, i), INT64_MIN, INT64_MAX);
	case IR_I8: return ((const int8_t *)p)[i];
	case IR_U8: return ((const uint8_t *)p)[i];
	case IR_I16: return ((const int16_t *)p)[i];
	case IR_I32: return ((const int32_t *)p)[i];
	case IR_I64: return ((const int64_t *)p)[i];
	case IR_BOOL: return ((const uint8_t *)p)[i] != 0;
	case IR_I4: {
		int v = (((const uint8_t *)p)[i / 2] >> (i % 2 * 4)) & 15;
		return v >= 8 ? v - 16 : v;
	}
	default: return 0;
	}
}

void interp_set_f(interp_tensor *t, int64_t i, double v)
{
	int64_t lo, hi;
	switch (t->type.dtype) {
	case IR_F32: ((float *)t->data)[i] = (float)v; return;
	case IR_F16: ((uint16_t *)t->data)[i] = ir_f32_to_f16((float)v); return;
	case IR_BOOL: ((uint8_t *)t->data)[i] = v != 0; return;
	default:
		int_range(t->type.dtype, &lo, &hi);
		interp_set_i(t, i, trunc_sat(v, lo, hi));
		return;
	}
}

void interp_set_i(interp_tensor *t, int64_t i, int64_t v)
{
	void *p = t->data;
	switch (t->type.dtype) {
	case IR_F32: ((float *)p)[i] = (float)v; return;
	case IR_F16: ((uint16_t *)p)[i] = ir_f32_to_f16((float)v); return;
	case IR_I8:
	case IR_U8: ((uint8_t *)p)[i] = (uint8_t)v; return;
	case IR_I16: ((uint16_t *)p)[i] = (uint16_t)v; return;
	case IR_I32: ((uint32_t *)p)[i] = (uint32_t)v; return;
	case IR_I64: ((uint64_t *)p)[i] = (uint64_t)v; return;
	case IR_BOOL: ((uint8_t *)p)[i] = v != 0; return;
	case IR_I4: {
		uint8_t *b = &((uint8_t *)p)[i / 2];
		int sh = (int)(i % 2 * 4);
		*b = (uint8_t)((*b & ~(15 << sh)) | ((v & 15) << sh));
		return;
	}
	default: return;
	}
}

/* ---- one op -------------------------------------------------------------- */

static const interp_kernel kernels[IR_NOPS] = {
#define OP(id, name, inlo, inhi, outlo, outhi, ty, rule, kern, attrs, doc) [IR_OP_##id] = interp_##kern,
#include "ir/ops.h"
#undef OP
};

/* const ops are not kernels: interp_run binds their data directly. */
int interp_none(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	(void)in;
	(void)out;
	return ir_error(x->c, op->loc, "'%s' op: has no kernel; interp_run binds constants itself",
			ir_op_name(op->kind));
}

/* Set the result types from g and allocate their zeroed data. */
static int alloc_results(ir_ctx *c, const ir_graph *g, const ir_op *op, interp_tensor *out)
{
	for (int32_t i = 0; i < op->n_out; i++) {
		int64_t n;
		out[i].type = *ir_type_of(g, op->out[i]);
		if (ir_type_bytes(&out[i].type, &n) < 0)
			return ir_error(c, op->loc, "'%s' op: result %d has too many elements",
					ir_op_name(op->kind), (int)i);
		out[i].data = ir_alloc(c, (size_t)n);
	}
	return 0;
}

/* Apply the op's fused activation (ir/ir.h) to its float result; a
** quantized op's kernel folds it into its output clamp instead. */
static int fused_activation(ir_ctx *c, const ir_graph *g, const ir_op *op, interp_tensor *out)
{
	ir_activation a;
	if (ir_op_activation(op, &a) < 0)
		return ir_error(c, op->loc, "'%s' op: invalid fused activation", ir_op_name(op->kind));
	if (a.kind == IR_ACT_NONE || ir_op_is_quantized(g, op))
		return 0;
	int64_t n;
	ir_type_numel(&out[0].type, &n);
	for (int64_t i = 0; i < n; i++)
		interp_set_f(&out[0], i, ir_act_apply(&a, (float)interp_get_f(&out[0], i)));
	return 0;
}

static int eval(ir_ctx *c, const ir_graph *g, const ir_op *op, const interp_tensor *const *in,
		interp_tensor *out)
{
	if ((unsigned)op->kind >= IR_NOPS)
		return ir_error(c, op->loc, "op of unknown kind %d", (int)op->kind);
	if (alloc_results(c, g, op, out) < 0)
		return -1;
	interp_ctx x = {c, g};
	if (kernels[op->kind](&x, op, in, out) < 0)
		return -1;
	return fused_activation(c, g, op, out);
}

typedef struct op_call {
	const ir_graph *g;
	const ir_op *op;
	const interp_tensor *const *in;
	interp_tensor *out;
} op_call;

static int op_protected(ir_ctx *c, void *ud)
{
	op_call *a = ud;
	return eval(c, a->g, a->op, a->in, a->out);
}

int interp_op(ir_ctx *c, const ir_graph *g, const ir_op *op, const interp_tensor *const *in,
	      interp_tensor *out)
{
	op_call a = {g, op, in, out};
	return ir_protect(c, op_protected, &a);
}

/* ---- whole graph --------------------------------------------------------- */

typedef struct run_call {
	const ir_graph *g;
	const interp_tensor *inputs;
	interp_tensor *outputs;     /* NULL: keep every value in vals instead */
	interp_tensor *vals;
} run_call;

/* Bind graph input i to the caller's tensor after checking its type. */
static int bind_input(ir_ctx *c, const ir_graph *g, uint32_t i, const interp_tensor *t, interp_tensor *vals)
{
	const ir_value *v = &g->vals[g->inputs[i]];
	char got[300], want[300];
	int64_t n;
	if (!ir_type_equal(&t->type, &v->type)) {
		ir_type_str(&t->type, got, sizeof got);
		ir_type_str(&v->type, want, sizeof want);
		return ir_error(c, v->loc, "graph input #%u (%s) is a tensor of type %s%s; the graph expects %s",
				(unsigned)i, v->name ? v->name : "unnamed", got,
				strcmp(got, want) ? "" : " with other quantization parameters", want);
	}
	if (!t->data && ir_type_bytes(&t->type, &n) == 0 && n > 0)
		return ir_error(c, v->loc, "graph input #%u (%s) has no data", (unsigned)i,
				v->name ? v->name : "unnamed");
	vals[g->inputs[i]] = *t;
	return 0;
}

/* A const op's tensor shares the constant store's (read-only) bytes. */
static int bind_const(ir_ctx *c, const ir_graph *g, const ir_op *op, interp_tensor *vals)
{
	const ir_blob *b = ir_const_of(g, op->out[0]);
	if (!b)
		return ir_error(c, op->loc, "'const' op: has no data");
	vals[op->out[0]] = (interp_tensor){*ir_type_of(g, op->out[0]), (void *)b->data};
	return 0;
}

/* Evaluate op into vals; in and out are scratch arrays big enough for it. */
static int run_op(ir_ctx *c, const ir_graph *g, const ir_op *op, interp_tensor *vals,
		  const interp_tensor **in, interp_tensor *out)
{
	if (op->kind == IR_OP_CONST)
		return bind_const(c, g, op, vals);
	for (int32_t j = 0; j < op->n_in; j++)
		in[j] = op->in[j] == IR_NOVAL ? NULL : &vals[op->in[j]];
	if (eval(c, g, op, in, out) < 0)
		return -1;
	for (int32_t j = 0; j < op->n_out; j++)
		vals[op->out[j]] = out[j];
	return 0;
}

/* Graph output i; a constant or graph input is copied into c's arena. */
static void fetch_output(ir_ctx *c, const ir_graph *g, uint32_t i, const interp_tensor *vals,
			 interp_tensor *dst)
{
	ir_val v = g->outputs[i].val;
	const ir_op *def = g->vals[v].def;
	int64_t n;
	*dst = vals[v];
	if ((def && def->kind != IR_OP_CONST) || ir_type_bytes(&dst->type, &n) < 0)
		return;
	dst->data = ir_alloc(c, (size_t)n);
	if (n)
		memcpy(dst->data, vals[v].data, (size_t)n);
}

static int run_protected(ir_ctx *c, void *ud)
{
	run_call *a = ud;
	const ir_graph *g = a->g;
	int32_t max_in = 1, max_out = 1;
	interp_tensor *vals = ir_alloc_array(c, g->n_vals, sizeof *vals);
	for (uint32_t i = 0; i < g->n_inputs; i++)
		if (bind_input(c, g, i, &a->inputs[i], vals) < 0)
			return -1;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		max_in = g->ops[i]->n_in > max_in ? g->ops[i]->n_in : max_in;
		max_out = g->ops[i]->n_out > max_out ? g->ops[i]->n_out : max_out;
	}
	const interp_tensor **in = ir_alloc_array(c, (size_t)max_in, sizeof *in);
	interp_tensor *out = ir_alloc_array(c, (size_t)max_out, sizeof *out);
	for (uint32_t i = 0; i < g->n_ops; i++)
		if (run_op(c, g, g->ops[i], vals, in, out) < 0)
			return -1;
	for (uint32_t i = 0; a->outputs && i < g->n_outputs; i++)
		fetch_output(c, g, i, vals, &a->outputs[i]);
	a->vals = vals;
	return 0;
}

int interp_run(ir_ctx *c, const ir_graph *g, const interp_tensor *inputs, interp_tensor *outputs)
{
	run_call a = {g, inputs, outputs, NULL};
	return ir_protect(c, run_protected, &a);
}

interp_tensor *interp_run_all(ir_ctx *c, const ir_graph *g, const interp_tensor *inputs)
{
	run_call a = {g, inputs, NULL, NULL};
	return ir_protect(c, run_protected, &a) < 0 ? NULL : a.vals;
}
