/*
** k_resize.c - the resize family (Resize) of the reference interpreter.
**
** As ONNX's reference: output index o of a dim maps back to an input
** coordinate x (coordinate_transformation_mode, in double, with the dim's
** scale: the f32 scales attribute, or out/in when sizes is given).  The n
** input indices nearest x (n = 2 for nearest and linear, 4 for cubic; ties
** to the lower index; edge values beyond the border) get weights from the
** fraction of x, and the N-D result is the tensor product of the per-dim
** weights.  Integer results truncate, as the reference's astype.
*/
#include <math.h>
#include <string.h>

#include "interp/interp.h"

enum { M_NEAREST, M_LINEAR, M_CUBIC };
enum { CT_HALF_PIXEL, CT_PYTORCH, CT_ALIGN, CT_ASYMMETRIC, CT_TF_NN };
enum { N_PREFER_FLOOR, N_PREFER_CEIL, N_FLOOR, N_CEIL };

typedef struct rz {
	int mode, ctm, nm;              /* M_*, CT_*, N_* */
	double a;                       /* cubic_coeff_a */
	bool exclude;                   /* exclude_outside */
} rz;

/* The taps of every output index along one dim: at most 4 per index. */
typedef struct taps {
	int64_t *cnt;                   /* [o] */
	int64_t *off;                   /* [o*4 + t]: input index times the dim's stride */
	double *wt;                     /* [o*4 + t] */
} taps;

/* The index of s in names[0..n), or -1. */
static int pick(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int resize_attrs(interp_ctx *x, const ir_op *op, rz *r)
{
	static const char *const modes[] = {"nearest", "linear", "cubic"};
	static const char *const ctms[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
					   "asymmetric", "tf_half_pixel_for_nn"};
	static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
	const char *m = ir_op_str(op, "mode", "nearest");
	const char *ct = ir_op_str(op, "coordinate_transformation_mode", "half_pixel");
	const char *nm = ir_op_str(op, "nearest_mode", "round_prefer_floor");
	*r = (rz){.mode = pick(m, modes, 3), .ctm = pick(ct, ctms, 5), .nm = pick(nm, nms, 4),
		  .a = ir_op_float(op, "cubic_coeff_a", -0.75f),
		  .exclude = ir_op_int(op, "exclude_outside", 0) != 0};
	if (r->mode < 0)
		return ir_error(x->c, op->loc, "'Resize' op: mode '%s' is not supported", m);
	if (r->ctm < 0)
		return ir_error(x->c, op->loc, "'Resize' op: coordinate_transformation_mode '%s' "
				"is not supported", ct);
	if (r->nm < 0)
		return ir_error(x->c, op->loc, "'Resize' op: nearest_mode '%s' is not supported", nm);
	return 0;
}

/* The input coordinate of output index o along a dim of in elements. */
static double coord(const rz *r, int64_t o, int64_t in, double scale)
{
	double ow = scale * (double)in;
	switch (r->ctm) {
	case CT_HALF_PIXEL:
		return ((double)o + 0.5) / scale - 0.5;
	case CT_PYTORCH:
		return ow == 1 ? -0.5 : ((double)o + 0.5) / scale - 0.5;
	case CT_ALIGN:
		return ow == 1 ? 0 : (double)(o * (in - 1)) / (ow - 1);
	case CT_ASYMMETRIC:
		return (double)o / scale;
	default:
		return ((double)o + 0.5) / scale;
	}
}

/* Weights of the n = 2 or 4 indices around x whose fraction (in (0, 1]) is t. */
static void coeffs(const rz *r, double t, double *c)
{
	double a = r->a, u = 1 - t;
	if (r->mode == M_CUBIC) {
		c[0] = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
		c[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
		c[2] = ((a + 2) * u - (a + 3)) * u * u + 1;
		c[3] = ((a * (u + 1) - 5 * a) * (u + 1) + 8 * a) * (u + 1) - 4 * a;
	} else if (r->mode == M_LINEAR) {
		c[0] = u;
		c[1] = t;
	} else {
		bool hi = t == 1 || r->nm == N_CEIL || (r->nm == N_PREFER_FLOOR && t > 0.5) ||
			  (r->nm == N_PREFER_CEIL && t >= 0.5);
		c[0] = !hi;
		c[1] = hi;
	}
}

/*
** The taps of coordinate xo along a dim of in elements into off/wt (input
** indices, not yet times the stride); returns their count.  The window of n
** indices starts at ceil(xo) - n/2 and stays within the border extended by
** n/2 edge values; taps of weight 0 are dropped (one is always kept).
*/
static int64_t dim_taps(const rz *r, double xo, int64_t in, int64_t *off, double *wt)
{
	int n = r->mode == M_CUBIC ? 4 : 2, pad = n / 2;
	double f = ceil(xo) - 1, c[4], sum = 0;
	int64_t start = (int64_t)f - pad + 1, k = 0;
	start = start < -pad ? -pad : start > in + pad - n ? in + pad - n : start;
	coeffs(r, xo - f, c);
	for (int t = 0; t < n; t++) {
		if (r->exclude && (start + t < 0 || start + t >= in))
			c[t] = 0;
		sum += c[t];
	}
	for (int t = 0; t < n; t++) {
		int64_t p = start + t;
		if (c[t] == 0 && !(t == n - 1 && k == 0))
			continue;
		off[k] = p < 0 ? 0 : p >= in ? in - 1 : p;
		wt[k++] = r->exclude ? c[t] / sum : c[t];
	}
	return k;
}

static void build_taps(interp_ctx *x, const rz *r, int64_t in, int64_t out, double scale, int64_t stride,
		       taps *tp)
{
	tp->cnt = ir_alloc_array(x->c, (size_t)out, sizeof *tp->cnt);
	tp->off = ir_alloc_array(x->c, (size_t)out * 4, sizeof *tp->off);
	tp->wt = ir_alloc_array(x->c, (size_t)out * 4, sizeof *tp->wt);
	for (int64_t o = 0; o < out; o++) {
		tp->cnt[o] = dim_taps(r, coord(r, o, in, scale), in, tp->off + o * 4, tp->wt + o * 4);
		for (int64_t t = 0; t < tp->cnt[o]; t++)
			tp->off[o * 4 + t] *= stride;
	}
}

/* Output element o: the sum over every combination of its per-dim taps. */
static double resize_point(const taps *tp, int rank, const int64_t *o, const double *xd)
{
	int64_t t[IR_MAX_RANK] = {0};
	double sum = 0;
	for (;;) {
		double w = 1;
		int64_t off = 0;
		for (int d = 0; d < rank; d++) {
			w *= tp[d].wt[o[d] * 4 + t[d]];
			off += tp[d].off[o[d] * 4 + t[d]];
		}
		sum += w * xd[off];
		int d = rank - 1;
		while (d >= 0 && ++t[d] == tp[d].cnt[o[d]])
			t[d--] = 0;
		if (d < 0)
			return sum;
	}
}

/* Scale of each dim: the scales attribute, else out/in of the sizes. */
static int resize_scales(interp_ctx *x, const ir_op *op, const ir_type *in, const ir_type *out, double *sc)
{
	const ir_attr *s = ir_op_attr(op, "scales");
	bool have = s && s->kind == IR_ATTR_FLOATS && s->n == in->rank;
	if (!have && !ir_op_attr(op, "sizes"))
		return ir_error(x->c, op->loc, "'Resize' op: needs the scales or the sizes attribute");
	for (int d = 0; d < in->rank; d++)
		sc[d] = have ? (double)s->u.floats[d] : (double)out->dims[d] / (double)in->dims[d];
	return 0;
}

static void store(interp_tensor *t, int64_t i, double v)
{
	if (t->type.dtype == IR_F32)
		((float *)t->data)[i] = (float)v;
	else
		interp_set_f(t, i, v);
}

int interp_resize(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const ir_type *t = &in[0]->type, *y = &out->type;
	int64_t n = 1, st = 1, o[IR_MAX_RANK] = {0};
	double sc[IR_MAX_RANK];
	taps tp[IR_MAX_RANK];
	rz r;
	if (resize_attrs(x, op, &r) < 0 || resize_scales(x, op, t, y, sc) < 0)
		return -1;
	for (int d = t->rank - 1; d >= 0; d--) {
		build_taps(x, &r, t->dims[d], y->dims[d], sc[d], st, &tp[d]);
		st *= t->dims[d];
		n *= y->dims[d];
	}
	double *xd = ir_alloc_array(x->c, (size_t)st, sizeof *xd);
	for (int64_t i = 0; i < st; i++)
		xd[i] = interp_get_f(in[0], i);
	for (int64_t e = 0; e < n; e++) {
		store(out, e, resize_point(tp, t->rank, o, xd));
		for (int d = t->rank - 1; d >= 0 && ++o[d] == y->dims[d]; d--)
			o[d] = 0;
	}
	return 0;
}
