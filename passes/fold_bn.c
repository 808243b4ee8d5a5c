/*
** fold_bn.c - fold an inference BatchNormalization into the Conv before it.
**
**   y = scale * (conv(x, W) + b - mean) / sqrt(var + eps) + B
**     = conv(x, W * s) + (b - mean) * s + B,   s = scale / sqrt(var + eps)
**
** per output channel m.  Applies when W, the optional bias and the four
** BN parameters are f32 constants, the Conv's result feeds only the BN and
** is not a graph output, and the Conv carries no fused activation.  The
** factors are computed in double, as the interpreter's BN does, and the new
** weights and bias are rounded to f32 once.
*/
#include <math.h>
#include <string.h>

#include "passes/pass.h"

/* The f32 constant data of v with exactly n elements, or NULL. */
static const float *const_f32(const ir_graph *g, ir_val v, int64_t n)
{
	const ir_blob *b = v != IR_NOVAL ? ir_const_of(g, v) : NULL;
	if (!b || ir_type_of(g, v)->dtype != IR_F32 || b->size != n * 4)
		return NULL;
	return (const float *)b->data;
}

typedef struct bn_params {
	const float *scale, *bias, *mean, *var, *w, *b;
	double eps;
	int64_t m, per;     /* output channels, weights per channel */
} bn_params;

static bool gather(const ir_graph *g, const ir_op *conv, const ir_op *bn, bn_params *p)
{
	const ir_type *wt = ir_type_of(g, conv->in[1]);
	ir_activation a;
	if (ir_op_activation(conv, &a) < 0 || a.kind != IR_ACT_NONE || wt->rank < 1)
		return false;
	p->m = wt->dims[0];
	int64_t n = 1;
	for (int i = 0; i < wt->rank; i++)
		n *= wt->dims[i];
	p->per = p->m ? n / p->m : 0;
	p->w = const_f32(g, conv->in[1], n);
	p->b = conv->n_in > 2 && conv->in[2] != IR_NOVAL ? const_f32(g, conv->in[2], p->m) : NULL;
	p->scale = const_f32(g, bn->in[1], p->m);
	p->bias = const_f32(g, bn->in[2], p->m);
	p->mean = const_f32(g, bn->in[3], p->m);
	p->var = const_f32(g, bn->in[4], p->m);
	p->eps = ir_op_float(bn, "epsilon", 1e-5f);
	bool has_bias = conv->n_in > 2 && conv->in[2] != IR_NOVAL;
	return p->w && (p->b || !has_bias) && p->scale && p->bias && p->mean && p->var;
}

/* A constant defined first in the graph, so it precedes every use. */
static ir_val const_first(ir_graph *g, const ir_type *t, const void *data, int64_t size)
{
	ir_op *op = ir_op_insert(g, 0, IR_OP_CONST, NULL, 0, t, 1);
	op->blob = ir_blob_intern(g, data, size);
	return op->out[0];
}

/* New weight and bias constants on conv (two ops inserted at the front). */
static void rewrite(ir_graph *g, ir_op *conv, const bn_params *p)
{
	int64_t nw = p->m * p->per;
	float *w = ir_alloc_array(g->ctx, (size_t)(nw > 0 ? nw : 1), sizeof *w);
	float *b = ir_alloc_array(g->ctx, (size_t)(p->m ? p->m : 1), sizeof *b);
	for (int64_t m = 0; m < p->m; m++) {
		double s = (double)p->scale[m] / sqrt((double)p->var[m] + p->eps);
		for (int64_t k = 0; k < p->per; k++)
			w[m * p->per + k] = (float)(p->w[m * p->per + k] * s);
		b[m] = (float)(((p->b ? p->b[m] : 0.0) - p->mean[m]) * s + p->bias[m]);
	}
	ir_type bt = {.dtype = IR_F32, .rank = 1, .dims = {p->m}};
	ir_val *in = ir_alloc_array(g->ctx, 3, sizeof *in);
	in[0] = conv->in[0];
	in[1] = const_first(g, ir_type_of(g, conv->in[1]), w, p->m * p->per * 4);
	in[2] = const_first(g, &bt, b, p->m * 4);
	conv->in = in;
	conv->n_in = 3;
}

int pass_fold_bn(ir_graph *g, pass_stats *st)
{
	uint32_t *uses = ir_use_counts(g);
	for (uint32_t i = 0; i < g->n_ops; i++) {
		ir_op *bn = g->ops[i];
		if (bn->kind != IR_OP_BATCHNORM || bn->n_out != 1)
			continue;
		ir_val x = bn->in[0];
		ir_op *conv = g->vals[x].def;
		bn_params p;
		if (!conv || conv->kind != IR_OP_CONV || uses[x] != 1 || !gather(g, conv, bn, &p))
			continue;
		bool out = false;
		for (uint32_t k = 0; k < g->n_outputs; k++)
			out |= g->outputs[k].val == x;
		if (out)
			continue;
		rewrite(g, conv, &p);
		i += 2;
		ir_replace_uses(g, bn->out[0], x);
		bn->dead = true;
		st->changed++;
	}
	ir_graph_compact(g);
	return 0;
}
