/*
** k_pool.c - the pool family (MaxPool, AveragePool) and the gpool family
** (GlobalAveragePool, GlobalMaxPool) of the reference interpreter.
**
** Windows follow the ONNX reference: the window of output o along a dim
** starts at o*stride - pad_begin and takes kernel positions a dilation
** apart.  Positions in the padding (explicit or from auto_pad) count toward
** AveragePool's divisor only with count_include_pad; positions past the end
** padding (the last window of ceil_mode) are dropped.  MaxPool keeps the
** first value of a window and replaces it by each greater one, as the
** reference's loop does (so a NaN wins only in the first position); the
** global pools follow numpy (a NaN always wins).  Sums are in double.
*/
#include <math.h>
#include <string.h>

#include "interp/kernel.h"

typedef struct pgeo {
	int n;                          /* spatial rank */
	int64_t planes;                 /* N*C */
	int64_t in[IR_MAX_RANK], out[IR_MAX_RANK], k[IR_MAX_RANK];
	int64_t in_sz, out_sz;
	int64_t *pos[IR_MAX_RANK];      /* [o*k + j]: input index of window position j, -1 in padding */
	int64_t *len[IR_MAX_RANK];      /* [o]: window positions before the end of the end padding */
} pgeo;

/* t's elements as double. */
static double *load_f64(interp_ctx *x, const interp_tensor *t)
{
	int64_t n = numel(&t->type);
	double *r = ir_alloc_array(x->c, (size_t)n, sizeof *r);
	for (int64_t i = 0; i < n; i++)
		r[i] = t->type.dtype == IR_F32 ? ((const float *)t->data)[i] : interp_get_f(t, i);
	return r;
}

static void store(interp_tensor *t, int64_t i, double v)
{
	if (t->type.dtype == IR_F32)
		((float *)t->data)[i] = (float)v;
	else
		interp_set_f(t, i, v);
}

/*
** Begin and end pads of dim i: explicit, none (VALID), or SAME_*: the total
** max(0, (out-1)*stride + (k-1)*dilation + 1 - in) split in half with the
** odd one at the end (SAME_UPPER) or the beginning (SAME_LOWER).
*/
static void pool_pads(const ir_op *op, const pgeo *g, const int64_t *s, const int64_t *d, int64_t *pb,
		      int64_t *pe)
{
	int64_t pads[2 * IR_MAX_RANK];
	const char *ap = ir_op_str(op, "auto_pad", "NOTSET");
	ints_or(op, "pads", 2 * g->n, 0, pads);
	for (int i = 0; i < g->n; i++) {
		int64_t total = (g->out[i] - 1) * s[i] + (g->k[i] - 1) * d[i] + 1 - g->in[i];
		total = total < 0 ? 0 : total;
		if (strcmp(ap, "VALID") == 0) {
			pb[i] = pe[i] = 0;
		} else if (strcmp(ap, "SAME_UPPER") == 0) {
			pb[i] = total / 2;
			pe[i] = total - pb[i];
		} else if (strcmp(ap, "SAME_LOWER") == 0) {
			pe[i] = total / 2;
			pb[i] = total - pe[i];
		} else {
			pb[i] = pads[i];
			pe[i] = pads[g->n + i];
		}
	}
}

/* The window positions of every output index along dim i. */
static void dim_windows(interp_ctx *x, pgeo *g, int i, int64_t s, int64_t d, int64_t pb, int64_t pe)
{
	g->pos[i] = ir_alloc_array(x->c, (size_t)(g->out[i] * g->k[i]), sizeof *g->pos[i]);
	g->len[i] = ir_alloc_array(x->c, (size_t)g->out[i], sizeof *g->len[i]);
	for (int64_t o = 0; o < g->out[i]; o++) {
		for (int64_t j = 0; j < g->k[i]; j++) {
			int64_t p = o * s - pb + j * d;
			if (p >= g->in[i] + pe)
				break;
			g->pos[i][o * g->k[i] + j] = p >= 0 && p < g->in[i] ? p : -1;
			g->len[i][o]++;
		}
	}
}

/* Dims, kernel and per-dim windows of a pool from x's type in to y's type out. */
static void pool_geo(interp_ctx *x, const ir_op *op, const ir_type *in, const ir_type *out, pgeo *g)
{
	int64_t s[IR_MAX_RANK], d[IR_MAX_RANK], pb[IR_MAX_RANK], pe[IR_MAX_RANK];
	*g = (pgeo){.n = in->rank - 2, .planes = in->dims[0] * in->dims[1], .in_sz = 1, .out_sz = 1};
	ints_or(op, "kernel_shape", g->n, 1, g->k);
	ints_or(op, "strides", g->n, 1, s);
	ints_or(op, "dilations", g->n, 1, d);
	for (int i = 0; i < g->n; i++) {
		g->in[i] = in->dims[2 + i];
		g->out[i] = out->dims[2 + i];
		g->in_sz *= g->in[i];
		g->out_sz *= g->out[i];
	}
	pool_pads(op, g, s, d, pb, pe);
	for (int i = 0; i < g->n; i++)
		dim_windows(x, g, i, s[i], d[i], pb[i], pe[i]);
}

/* The max or mean of the window of output index o over the plane xp. */
static double window(const pgeo *g, const double *xp, const int64_t *o, bool max, bool incl)
{
	int64_t j[IR_MAX_RANK] = {0}, cnt = 1, real = 0;
	double sum = 0, best = 0;
	for (int i = 0; i < g->n; i++)
		cnt *= g->len[i][o[i]];
	for (int64_t t = 0; t < cnt; t++) {
		int64_t off = 0;
		bool pad = false;
		for (int i = 0; i < g->n; i++) {
			int64_t p = g->pos[i][o[i] * g->k[i] + j[i]];
			pad |= p < 0;
			off = off * g->in[i] + p;
		}
		if (!pad) {
			double v = xp[off];
			real++;
			sum += v;
			if (real == 1 || v > best)
				best = v;
		}
		for (int i = g->n - 1; i >= 0 && ++j[i] == g->len[i][o[i]]; i--)
			j[i] = 0;
	}
	if (!real)
		return 0;
	return max ? best : sum / (double)(incl ? cnt : real);
}

int interp_pool(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	pgeo g;
	bool max = op->kind == IR_OP_MAXPOOL, incl = ir_op_int(op, "count_include_pad", 0) != 0;
	pool_geo(x, op, &in[0]->type, &out->type, &g);
	const double *xd = load_f64(x, in[0]);
	for (int64_t p = 0; p < g.planes; p++) {
		int64_t o[IR_MAX_RANK] = {0};
		for (int64_t e = 0; e < g.out_sz; e++) {
			store(out, p * g.out_sz + e, window(&g, xd + p * g.in_sz, o, max, incl));
			for (int i = g.n - 1; i >= 0 && ++o[i] == g.out[i]; i--)
				o[i] = 0;
		}
	}
	return 0;
}

/* GlobalAveragePool, GlobalMaxPool: mean or max of each [N, C] plane. */
int interp_gpool(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const ir_type *t = &in[0]->type;
	int64_t planes = t->dims[0] * t->dims[1], sz = numel(t) / (planes ? planes : 1);
	bool max = op->kind == IR_OP_GLOBALMAXPOOL;
	const double *xd = load_f64(x, in[0]);
	for (int64_t p = 0; p < planes; p++) {
		double sum = 0, best = -INFINITY;
		for (int64_t i = 0; i < sz; i++) {
			double v = xd[p * sz + i];
			sum += v;
			if (v > best || isnan(v))
				best = v;
		}
		store(out, p, max ? best : sum / (double)sz);
	}
	return 0;
}
