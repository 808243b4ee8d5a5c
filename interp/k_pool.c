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
** On quantized operands (docs/ir.md, "Quantized arithmetic") MaxPool keeps
** the stored integers and the average pools requantize the exact integer
** window sums, with a multiplier per divisor.
*/
#include <math.h>
#include <string.h>

#include "interp/kernel.h"
#include "ir/requant.h"

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

/* What the window of one output index holds: the sum and the maximum of
** its real (not padding) positions, their count, and the count with the
** padding (count_include_pad's divisor). */
typedef struct wstat {
	double sum, best;
	int64_t real, cnt;
} wstat;

static wstat window(const pgeo *g, const double *xp, const int64_t *o)
{
	int64_t j[IR_MAX_RANK] = {0};
	wstat w = {0, 0, 0, 1};
	for (int i = 0; i < g->n; i++)
		w.cnt *= g->len[i][o[i]];
	for (int64_t t = 0; t < w.cnt; t++) {
		int64_t off = 0;
		bool pad = false;
		for (int i = 0; i < g->n; i++) {
			int64_t p = g->pos[i][o[i] * g->k[i] + j[i]];
			pad |= p < 0;
			off = off * g->in[i] + p;
		}
		if (!pad) {
			double v = xp[off];
			w.real++;
			w.sum += v;
			if (w.real == 1 || v > w.best)
				w.best = v;
		}
		for (int i = g->n - 1; i >= 0 && ++j[i] == g->len[i][o[i]]; i--)
			j[i] = 0;
	}
	return w;
}

/* The float result: max, or mean over the divisor incl picks; 0 for a
** window entirely in the padding. */
static double window_value(wstat w, bool max, bool incl)
{
	if (!w.real)
		return 0;
	return max ? w.best : w.sum / (double)(incl ? w.cnt : w.real);
}

/*
** An average over count elements on quantized operands: the exact sum of
** (x - z_x) requantized by s_x / (s_y * count), plus z_y, clamped; z_y for
** an empty window.  -1 when the multiplier has no valid shift (the
** verifier rules that out).
*/
static int avg_quant(double sum, int64_t real, int64_t count, const ir_qop *p, int64_t *q)
{
	ir_requant r;
	int64_t v = p->y_zero;
	if (real) {
		if (ir_requant_derive(ir_requant_mult_pool(p->in_scale[0], p->y_scale, count), &r) < 0)
			return -1;
		v += ir_requant_apply((int32_t)(sum - (double)real * p->in_zero[0]), r);
	}
	*q = v < p->lo ? p->lo : v > p->hi ? p->hi : v;
	return 0;
}

/* Output element e of a pool: on quantized operands, MaxPool keeps stored
** integers (an empty window is real 0, z_x) and AveragePool requantizes. */
static int pool_store(interp_tensor *out, int64_t e, wstat w, bool max, bool incl, const ir_type *xt,
		      const ir_qop *p)
{
	int64_t q;
	if (!xt->quant) {
		store(out, e, window_value(w, max, incl));
		return 0;
	}
	if (max) {
		interp_set_i(out, e, w.real ? (int64_t)w.best : xt->quant->zero[0]);
		return 0;
	}
	if (avg_quant(w.sum, w.real, incl ? w.cnt : w.real, p, &q) < 0)
		return -1;
	interp_set_i(out, e, q);
	return 0;
}

/* The parameters of a quantized AveragePool or GlobalAveragePool into p;
** -1 after a diagnostic when they cannot be had. */
static int avg_params(interp_ctx *x, const ir_op *op, ir_qop *p)
{
	*p = (ir_qop){0};
	if (op->kind != IR_OP_AVGPOOL && op->kind != IR_OP_GLOBALAVGPOOL)
		return 0;
	if (!ir_op_is_quantized(x->g, op) || ir_qop_params(x->g, op, p) == 0)
		return 0;
	return ir_error(x->c, op->loc, "'%s' op: invalid quantized form (not verified?)", ir_op_name(op->kind));
}

int interp_pool(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	pgeo g;
	ir_qop p;
	bool max = op->kind == IR_OP_MAXPOOL, incl = ir_op_int(op, "count_include_pad", 0) != 0;
	if (avg_params(x, op, &p) < 0)
		return -1;
	pool_geo(x, op, &in[0]->type, &out->type, &g);
	const double *xd = load_f64(x, in[0]);
	for (int64_t pl = 0; pl < g.planes; pl++) {
		int64_t o[IR_MAX_RANK] = {0};
		for (int64_t e = 0; e < g.out_sz; e++) {
			if (pool_store(out, pl * g.out_sz + e, window(&g, xd + pl * g.in_sz, o), max, incl,
				       &in[0]->type, &p) < 0)
				return ir_error(x->c, op->loc, "'%s' op: requantization multiplier out of range",
						ir_op_name(op->kind));
			for (int i = g.n - 1; i >= 0 && ++o[i] == g.out[i]; i--)
				o[i] = 0;
		}
	}
	return 0;
}

/* GlobalAveragePool, GlobalMaxPool: mean or max of each [N, C] plane; on
** quantized operands as the windowed pools, the plane being the window. */
int interp_gpool(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const ir_type *t = &in[0]->type;
	int64_t planes = t->dims[0] * t->dims[1], sz = numel(t) / (planes ? planes : 1);
	bool max = op->kind == IR_OP_GLOBALMAXPOOL;
	ir_qop p;
	if (avg_params(x, op, &p) < 0)
		return -1;
	const double *xd = load_f64(x, in[0]);
	for (int64_t pl = 0; pl < planes; pl++) {
		double sum = 0, best = -INFINITY;
		for (int64_t i = 0; i < sz; i++) {
			double v = xd[pl * sz + i];
			sum += v;
			if (v > best || isnan(v))
				best = v;
		}
		wstat w = {sum, best, sz, sz};
		if (!t->quant)
			store(out, pl, max ? best : sum / (double)sz);
		else if (pool_store(out, pl, w, max, false, t, &p) < 0)
			return ir_error(x->c, op->loc, "'%s' op: requantization multiplier out of range",
					ir_op_name(op->kind));
	}
	return 0;
}
