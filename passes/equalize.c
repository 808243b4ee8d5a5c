/*
** equalize.c - cross-layer equalization (CLE) of consecutive convolutions.
**
**   y = c2(act(c1(x)))   with act positively homogeneous: act(x / s) = act(x) / s
**
** c1 and c2 are Conv (any groups, depthwise included) or Gemm; between
** them may stand Relu, LeakyRelu, pools and a Flatten of [N, C, 1, 1],
** all of which act on each channel alone and commute with a positive
** per-channel scale, each result used only by the next.
**
** Dividing output channel i of c1 (its weights and bias) by s_i > 0 and
** multiplying input channel i of c2 by s_i leaves y unchanged; with
** s_i = sqrt(r1_i / r2_i) (r: the largest |w| of the channel) both
** channels end with range sqrt(r1_i r2_i).  Per-tensor weight quantization
** then wastes fewer levels on small channels; with condense's per-channel
** weights the effect is on the activation between the two convs, whose
** channels are rescaled (docs/quantization.md has the measurements).
**
** Relu and LeakyRelu are homogeneous; Clip(0, 6) is not (the bound would
** have to become 6 / s_i, per channel), so it blocks the pair unless the
** caller asks for DFQ's replacement of Relu6 by Relu.  The scales are
** accumulated in double over all sweeps and each new weight rounded to
** f32 once, so the float function changes by f32 rounding only.
*/
#include <math.h>
#include <string.h>

#include "passes/equalize.h"
#include "passes/pass.h"

#define EQ_DEFAULT_SWEEPS 64
#define EQ_SETTLED 1e-4      /* stop when no |log s_i| exceeds this */

/* One Conv or Gemm taking part in a pair: its working weights in double.
** Weight (o, j, k) is output channel o, input channel j of its group,
** kernel tap k; a Gemm is a 1x1 conv whose weight may be stored [K, N]. */
typedef struct eq_layer {
	ir_op *op;
	double *w, *b;          /* [m * per] weights, [m] bias or NULL */
	int64_t m, per, ksize;  /* output channels, weights per output channel, kernel taps */
	int64_t group, cin_g;   /* groups, input channels per group */
	bool kn;                /* Gemm with transB = 0: weight stored [K, N] */
	bool first;             /* c1 of a pair: its output channels (and bias) move */
} eq_layer;

static int64_t w_at(const eq_layer *l, int64_t o, int64_t j, int64_t k)
{
	return l->kn ? j * l->m + o : (o * l->cin_g + j) * l->ksize + k;
}

typedef struct eq_pair {
	int32_t l1, l2;         /* indices into the layer table */
	bool relax;             /* c1's fused Clip(0, hi) becomes Relu */
	double *logs;           /* per channel: log of the accumulated scale */
} eq_pair;

typedef struct eq_state {
	ir_graph *g;
	eq_layer *layers;
	int32_t n_layers;
	int32_t *layer_of;      /* per op index: layer index, or -1 */
	eq_pair *pairs;
	int32_t n_pairs;
	const quant_equalize_options *o;
	quant_equalize_stats *st;
} eq_state;

/* The f32 constant data of v with exactly n finite elements, or NULL. */
static const float *const_f32(const ir_graph *g, ir_val v, int64_t n)
{
	const ir_blob *b = v != IR_NOVAL ? ir_const_of(g, v) : NULL;
	if (!b || ir_type_of(g, v)->dtype != IR_F32 || b->size != n * 4)
		return NULL;
	const float *f = (const float *)b->data;
	for (int64_t i = 0; i < n; i++)
		if (!isfinite(f[i]))
			return NULL;
	return f;
}

/* Shape facts of a float Conv with constant weights (and bias). */
static bool conv_shape(const ir_graph *g, const ir_op *op, eq_layer *l)
{
	const ir_type *wt = ir_type_of(g, op->in[1]);
	if (wt->rank < 3 || wt->dims[0] <= 0 || wt->dims[1] <= 0)
		return false;
	l->m = wt->dims[0];
	l->cin_g = wt->dims[1];
	l->ksize = 1;
	for (int i = 2; i < wt->rank; i++)
		l->ksize *= wt->dims[i];
	l->group = ir_op_int(op, "group", 1);
	return l->group > 0 && l->m % l->group == 0 && l->ksize > 0;
}

/* A Gemm A * op(B) + C with constant B: K inputs, N outputs. */
static bool gemm_shape(const ir_graph *g, const ir_op *op, eq_layer *l)
{
	const ir_type *bt = ir_type_of(g, op->in[1]);
	if (ir_op_int(op, "transA", 0) || bt->rank != 2 || bt->dims[0] <= 0 || bt->dims[1] <= 0)
		return false;
	l->kn = !ir_op_int(op, "transB", 0);
	l->m = bt->dims[l->kn ? 1 : 0];
	l->cin_g = bt->dims[l->kn ? 0 : 1];
	l->ksize = l->group = 1;
	return true;
}

/* Shape facts of a float Conv or Gemm with f32 constant weights and a
** per-channel constant bias (or none); false when op cannot take part. */
static bool layer_shape(const ir_graph *g, const ir_op *op, eq_layer *l)
{
	*l = (eq_layer){0};
	l->op = (ir_op *)op;
	bool ok = op->kind == IR_OP_CONV ? conv_shape(g, op, l) : op->kind == IR_OP_GEMM && gemm_shape(g, op, l);
	if (!ok || ir_type_of(g, op->out[0])->dtype != IR_F32)
		return false;
	l->per = l->cin_g * l->ksize;
	bool has_bias = op->n_in > 2 && op->in[2] != IR_NOVAL;
	if (has_bias && (ir_type_of(g, op->in[2])->rank > 2 || !const_f32(g, op->in[2], l->m)))
		return false;   /* a bias broadcast from fewer elements cannot be scaled per channel */
	return const_f32(g, op->in[1], l->m * l->per);
}

/* The layer index of the op at position pos, created on first use. */
static int32_t layer_index(eq_state *s, uint32_t pos, const eq_layer *shape)
{
	if (s->layer_of[pos] >= 0)
		return s->layer_of[pos];
	eq_layer *l = &s->layers[s->n_layers];
	*l = *shape;
	const float *w = const_f32(s->g, l->op->in[1], l->m * l->per);
	l->w = ir_alloc_array(s->g->ctx, (size_t)(l->m * l->per), sizeof *l->w);
	for (int64_t i = 0; i < l->m * l->per; i++)
		l->w[i] = w[i];
	if (l->op->n_in > 2 && l->op->in[2] != IR_NOVAL) {
		const float *b = const_f32(s->g, l->op->in[2], l->m);
		l->b = ir_alloc_array(s->g->ctx, (size_t)l->m, sizeof *l->b);
		for (int64_t i = 0; i < l->m; i++)
			l->b[i] = b[i];
	}
	return s->layer_of[pos] = s->n_layers++;
}

/* What the activation a between two convs allows, weakest first: 0
** blocked, 1 a Clip(0, hi) that relu6_to_relu may turn into Relu, 2
** positively homogeneous. */
static int act_class(const ir_activation *a)
{
	switch (a->kind) {
	case IR_ACT_NONE: case IR_ACT_RELU: case IR_ACT_LEAKYRELU: return 2;
	case IR_ACT_CLIP:
		if ((a->lo == 0.0f || a->lo == -INFINITY) && a->hi == INFINITY)
			return 2;
		return a->lo == 0.0f && a->hi > 0.0f ? 1 : 0;
	}
	return 0;
}

static bool single_use(const ir_graph *g, const uint32_t *uses, const bool *is_out, ir_val v)
{
	return v != IR_NOVAL && uses[v] == 1 && !is_out[v] && g->vals[v].def;
}

/* Position of op in g->ops (ops are few thousand at most; a map is not worth it). */
static uint32_t op_pos(const ir_graph *g, const ir_op *op)
{
	uint32_t i = 0;
	while (i < g->n_ops && g->ops[i] != op)
		i++;
	return i;
}

/* Ops that act on each channel alone and commute with a positive scale
** per channel: pools, and Flatten or Reshape of [N, C, 1, ...] to [N, C]
** (channel i stays feature i, so a Gemm can be the second layer). */
static bool transparent(const ir_graph *g, const ir_op *p)
{
	switch (p->kind) {
	case IR_OP_MAXPOOL: case IR_OP_AVGPOOL: case IR_OP_GLOBALAVGPOOL: case IR_OP_GLOBALMAXPOOL:
		return p->n_out == 1;
	case IR_OP_FLATTEN: case IR_OP_RESHAPE: {
		const ir_type *a = ir_type_of(g, p->in[0]), *b = ir_type_of(g, p->out[0]);
		if (a->rank < 2 || b->rank != 2 || a->dims[0] != b->dims[0] || a->dims[1] != b->dims[1])
			return false;
		for (int i = 2; i < a->rank; i++)
			if (a->dims[i] != 1)
				return false;
		return true;
	}
	default: return false;
	}
}

/* Walk back from the input of c2 to the layer c1 feeding it alone; *cls
** gets the weakest class (act_class) of the activations on the way. */
static ir_op *walk_back(const ir_graph *g, ir_val x, const uint32_t *uses, const bool *is_out, int *cls)
{
	*cls = 2;
	for (int steps = 0; steps < 8 && single_use(g, uses, is_out, x); steps++) {
		ir_op *p = g->vals[x].def;
		if (p->kind == IR_OP_CONV || p->kind == IR_OP_GEMM)
			return p;
		if (p->kind == IR_OP_CLIP)
			*cls = 0;       /* fuse-activation folds the usual ones; a standalone Clip blocks */
		else if (p->kind != IR_OP_RELU && p->kind != IR_OP_LEAKYRELU && !transparent(g, p))
			return NULL;
		x = p->in[0];
	}
	return NULL;
}

/* The pair ending in layer c2 at position pos, if there is one. */
static void find_pair(eq_state *s, uint32_t pos, const uint32_t *uses, const bool *is_out)
{
	ir_graph *g = s->g;
	eq_layer l1, l2;
	int cls;
	ir_activation a;
	if (!layer_shape(g, g->ops[pos], &l2))
		return;
	ir_op *p = walk_back(g, g->ops[pos]->in[0], uses, is_out, &cls);
	if (!p || !layer_shape(g, p, &l1) || ir_op_activation(p, &a) < 0 || l1.m != l2.cin_g * l2.group)
		return;
	int fused = act_class(&a);
	cls = cls < fused ? cls : fused;
	if (cls == 0 || (cls == 1 && !s->o->relu6_to_relu)) {
		s->st->blocked++;
		return;
	}
	eq_pair *e = &s->pairs[s->n_pairs++];
	e->l1 = layer_index(s, op_pos(g, p), &l1);
	s->layers[e->l1].first = true;
	e->l2 = layer_index(s, pos, &l2);
	e->relax = cls == 1;
	e->logs = ir_alloc_array(g->ctx, (size_t)l1.m, sizeof *e->logs);
}

/* Range of output channel i of l, divided by f first when f != 0. */
static double out_channel(eq_layer *l, int64_t i, double f)
{
	double r = 0;
	for (int64_t j = 0; j < l->cin_g; j++)
		for (int64_t k = 0; k < l->ksize; k++) {
			double *w = &l->w[w_at(l, i, j, k)];
			if (f != 0)
				*w /= f;
			r = fmax(r, fabs(*w));
		}
	return r;
}

/* Input channel i of l: the kernel taps w[o][j][*] for the outputs o of
** its group (j = i within the group); scaled by f when f != 0. */
static double in_channel(eq_layer *l, int64_t i, double f)
{
	int64_t grp = i / l->cin_g, j = i % l->cin_g, mg = l->m / l->group;
	double r = 0;
	for (int64_t o = grp * mg; o < (grp + 1) * mg; o++) {
		for (int64_t k = 0; k < l->ksize; k++) {
			double *w = &l->w[w_at(l, o, j, k)];
			if (f != 0)
				*w *= f;
			r = fmax(r, fabs(*w));
		}
	}
	return r;
}

/* One equalization of pair e; returns the largest |log s_i|. */
static double equalize_pair(eq_state *s, eq_pair *e)
{
	eq_layer *a = &s->layers[e->l1], *b = &s->layers[e->l2];
	double moved = 0;
	for (int64_t i = 0; i < a->m; i++) {
		double r1 = out_channel(a, i, 0), r2 = in_channel(b, i, 0);
		if (!(r1 > 0) || !(r2 > 0))
			continue;
		double sc = sqrt(r1 / r2);
		out_channel(a, i, sc);
		if (a->b)
			a->b[i] /= sc;
		in_channel(b, i, sc);
		e->logs[i] += log(sc);
		moved = fmax(moved, fabs(log(sc)));
	}
	return moved;
}

/* A constant defined first in the graph, so it precedes every use. */
static ir_val const_first(ir_graph *g, const ir_type *t, const double *v, int64_t n)
{
	float *f = ir_alloc_array(g->ctx, (size_t)(n > 0 ? n : 1), sizeof *f);
	for (int64_t i = 0; i < n; i++)
		f[i] = (float)v[i];
	ir_op *op = ir_op_insert(g, 0, IR_OP_CONST, NULL, 0, t, 1);
	op->blob = ir_blob_intern(g, f, n * 4);
	return op->out[0];
}

/* c1's fused Clip(0, hi) becomes Relu (no activation_params). */
static void relax_clip(ir_graph *g, ir_op *op)
{
	int32_t k = 0;
	for (int32_t i = 0; i < op->n_attrs; i++)
		if (strcmp(op->attrs[i].name, "activation_params") != 0)
			op->attrs[k++] = op->attrs[i];
	op->n_attrs = k;
	ir_op_set_str(g, op, "activation", "Relu");
}

/* The working weights of every layer back into the graph as new constants. */
static void write_back(eq_state *s)
{
	ir_graph *g = s->g;
	for (int32_t i = 0; i < s->n_layers; i++) {
		eq_layer *l = &s->layers[i];
		ir_val *in = ir_alloc_array(g->ctx, (size_t)l->op->n_in, sizeof *in);
		memcpy(in, l->op->in, (size_t)l->op->n_in * sizeof *in);
		in[1] = const_first(g, ir_type_of(g, l->op->in[1]), l->w, l->m * l->per);
		if (l->b && l->first)
			in[2] = const_first(g, ir_type_of(g, l->op->in[2]), l->b, l->m);
		l->op->in = in;
	}
	for (int32_t i = 0; i < s->n_pairs; i++)
		if (s->pairs[i].relax) {
			relax_clip(g, s->layers[s->pairs[i].l1].op);
			s->st->relaxed++;
		}
}

/* The largest max(s, 1/s) any channel was scaled by. */
static double max_factor(const eq_state *s)
{
	double m = 0;
	for (int32_t i = 0; i < s->n_pairs; i++)
		for (int64_t c = 0; c < s->layers[s->pairs[i].l1].m; c++)
			m = fmax(m, fabs(s->pairs[i].logs[c]));
	return exp(m);
}

typedef struct eq_job {
	const quant_equalize_options *o;
	quant_equalize_stats *st;
	ir_graph *g;
} eq_job;

static int run(ir_ctx *c, void *ud)
{
	eq_job *j = ud;
	ir_graph *g = j->g;
	eq_state s = {g, NULL, 0, NULL, NULL, 0, j->o, j->st};
	uint32_t *uses = ir_use_counts(g);
	bool *is_out = ir_alloc_array(c, g->n_vals, sizeof *is_out);
	for (uint32_t k = 0; k < g->n_outputs; k++)
		is_out[g->outputs[k].val] = true;
	s.layers = ir_alloc_array(c, g->n_ops + 1, sizeof *s.layers);
	s.pairs = ir_alloc_array(c, g->n_ops + 1, sizeof *s.pairs);
	s.layer_of = ir_alloc_array(c, g->n_ops + 1, sizeof *s.layer_of);
	for (uint32_t i = 0; i < g->n_ops; i++)
		s.layer_of[i] = -1;
	for (uint32_t i = 0; i < g->n_ops; i++)
		find_pair(&s, i, uses, is_out);
	int32_t max = j->o->max_sweeps > 0 ? j->o->max_sweeps : EQ_DEFAULT_SWEEPS;
	for (double moved = 1; s.n_pairs && moved > EQ_SETTLED && j->st->sweeps < max; j->st->sweeps++) {
		moved = 0;
		for (int32_t i = 0; i < s.n_pairs; i++)
			moved = fmax(moved, equalize_pair(&s, &s.pairs[i]));
	}
	j->st->max_scale = max_factor(&s);
	write_back(&s);
	j->st->pairs = s.n_pairs;
	return s.n_pairs;
}

int quant_equalize_with(ir_graph *g, const quant_equalize_options *o, quant_equalize_stats *st)
{
	quant_equalize_stats dummy;
	eq_job j = {o, st ? st : &dummy, g};
	*j.st = (quant_equalize_stats){0};
	j.st->max_scale = 1;
	return ir_protect(g->ctx, run, &j);
}

int quant_equalize(ir_graph *g, quant_equalize_stats *st)
{
	static const quant_equalize_options exact = {false, 0};
	return quant_equalize_with(g, &exact, st);
}

static int as_pass(ir_graph *g, pass_stats *st, bool relu6_to_relu)
{
	quant_equalize_options o = {relu6_to_relu, 0};
	int n = quant_equalize_with(g, &o, NULL);
	if (n < 0)
		return -1;
	st->changed += n;
	return 0;
}

int pass_equalize(ir_graph *g, pass_stats *st)
{
	return as_pass(g, st, false);
}

int pass_equalize_relu6(ir_graph *g, pass_stats *st)
{
	return as_pass(g, st, true);
}
