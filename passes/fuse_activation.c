/*
** fuse_activation.c - fold an activation into the op producing its operand.
**
**   %c = Conv %x, %w, %b          %c = Conv %x, %w, %b {activation = "Relu"}
**   %r = Relu %c             =>
**
** Producers: Conv, Gemm and Add with a float result (ir/ir.h lists the
** activations: Relu, Clip with constant or absent bounds, LeakyRelu).  The
** producer's result must have no other use and must not be a graph output,
** and the producer must not carry an activation already.  Kernels then
** apply the activation to the accumulator before the store, so the
** activation costs no pass over memory and no buffer.
*/
#include <math.h>
#include <string.h>

#include "passes/pass.h"

static bool producer_ok(const ir_graph *g, const ir_op *p, const uint32_t *uses, ir_val x)
{
	if (!p || (p->kind != IR_OP_CONV && p->kind != IR_OP_GEMM && p->kind != IR_OP_ADD))
		return false;
	ir_activation a;
	if (ir_op_activation(p, &a) < 0 || a.kind != IR_ACT_NONE)
		return false;
	return ir_dtype_is_float(ir_type_of(g, x)->dtype) && uses[x] == 1;
}

/* A Clip bound: an absent operand is unbounded; a constant scalar gives
** its value; anything else cannot be fused. */
static bool clip_bound(const ir_graph *g, const ir_op *op, int i, float dflt, float *v)
{
	if (i >= op->n_in || op->in[i] == IR_NOVAL)
		return *v = dflt, true;
	const ir_blob *b = ir_const_of(g, op->in[i]);
	const ir_type *t = ir_type_of(g, op->in[i]);
	if (!b || t->dtype != IR_F32 || b->size != 4)
		return false;
	memcpy(v, b->data, 4);
	return !isnan(*v);
}

/* The activation op r as attributes; false when r is not fusable. */
static bool describe(const ir_graph *g, const ir_op *r, const char **name, float *params, int *np)
{
	*np = 0;
	switch (r->kind) {
	case IR_OP_RELU: *name = "Relu"; return true;
	case IR_OP_LEAKYRELU:
		*name = "LeakyRelu";
		params[(*np)++] = ir_op_float(r, "alpha", 0.01f);
		return true;
	case IR_OP_CLIP:
		*name = "Clip";
		*np = 2;
		return clip_bound(g, r, 1, -INFINITY, &params[0]) &&
		       clip_bound(g, r, 2, INFINITY, &params[1]) && params[0] <= params[1];
	default: return false;
	}
}

int pass_fuse_activation(ir_graph *g, pass_stats *st)
{
	uint32_t *uses = ir_use_counts(g);
	bool *is_output = ir_alloc_array(g->ctx, g->n_vals, sizeof *is_output);
	for (uint32_t k = 0; k < g->n_outputs; k++)
		is_output[g->outputs[k].val] = true;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		ir_op *r = g->ops[i];
		const char *name;
		float params[2];
		int np;
		if (r->n_in < 1 || r->in[0] == IR_NOVAL || !describe(g, r, &name, params, &np))
			continue;
		ir_val x = r->in[0];
		ir_op *p = g->vals[x].def;
		if (is_output[x] || !producer_ok(g, p, uses, x))
			continue;
		ir_op_set_str(g, p, "activation", name);
		if (np)
			ir_op_set_floats(g, p, "activation_params", params, np);
		ir_replace_uses(g, r->out[0], x);
		r->dead = true;
		st->changed++;
	}
	ir_graph_compact(g);
	return 0;
}
