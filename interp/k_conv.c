/*
** k_conv.c - the conv family (Conv, QLinearConv, ConvInteger) and the
** convtranspose family (ConvTranspose) of the reference interpreter.
**
** One direct N-D convolution core serves every element type.  Operands are
** read as f32: 8-bit integer operands minus their zero points are exact in
** f32 and their products exact in double, so with a double accumulator the
** integer results are exact and the f32 results at least as accurate as
** ONNX's float32 reference.  Conv accumulates one output row (along the
** last spatial dim) at a time over (input channel, kernel offset);
** ConvTranspose scatters into one output plane at a time.  A sink then
** adds the bias and converts the finished row or plane to the result type;
** for Conv on quantized operands (docs/ir.md, "Quantized arithmetic") it
** requantizes the exact integer sum instead.
*/
#include <math.h>
#include <string.h>

#include "interp/kernel.h"
#include "ir/requant.h"

/* The geometry of a convolution over n spatial dims. */
typedef struct geo {
	int n;                          /* spatial rank */
	int64_t batch, c, m, group;     /* C input channels, M output channels */
	int64_t in[IR_MAX_RANK], out[IR_MAX_RANK], k[IR_MAX_RANK];
	int64_t s[IR_MAX_RANK], d[IR_MAX_RANK], pb[IR_MAX_RANK]; /* strides, dilations, begin pads */
	int64_t in_sz, out_sz, k_sz;    /* elements of one input plane, output plane, kernel */
} geo;

/* Where along one dim a kernel offset applies: t in [lo, hi) maps to t*s + off. */
typedef struct span {
	int64_t lo, hi;
} span;

typedef void row_sink(void *ud, int64_t b, int64_t m, int64_t off, const double *acc, int64_t len);

static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The t in [0, n) with t*s + off in [0, limit). */
static span span_of(int64_t off, int64_t s, int64_t n, int64_t limit)
{
	span r = {off >= 0 ? 0 : (-off + s - 1) / s, limit - 1 - off < 0 ? 0 : (limit - 1 - off) / s + 1};
	if (r.hi > n)
		r.hi = n;
	if (r.lo > r.hi)
		r.lo = r.hi;
	return r;
}

/* Dims, strides and dilations from x [N, C, in...], w [., ., k...], y [N, M, out...]. */
static void geo_base(const ir_op *op, const ir_type *x, const ir_type *w, const ir_type *y, geo *g)
{
	*g = (geo){.n = x->rank - 2, .batch = x->dims[0], .c = x->dims[1], .m = y->dims[1],
		   .group = ir_op_int(op, "group", 1), .in_sz = 1, .out_sz = 1, .k_sz = 1};
	ints_or(op, "strides", g->n, 1, g->s);
	ints_or(op, "dilations", g->n, 1, g->d);
	for (int i = 0; i < g->n; i++) {
		g->in[i] = x->dims[2 + i];
		g->out[i] = y->dims[2 + i];
		g->k[i] = w->dims[2 + i];
		g->in_sz *= g->in[i];
		g->out_sz *= g->out[i];
		g->k_sz *= g->k[i];
	}
}

/*
** Conv's begin pads: explicit, none (VALID), or SAME_*: the total
** max(0, (out-1)*stride + (k-1)*dilation + 1 - in) split in half with the
** odd one at the end (SAME_UPPER) or the beginning (SAME_LOWER).
*/
static void conv_geo(const ir_op *op, const ir_type *x, const ir_type *w, const ir_type *y, geo *g)
{
	int64_t pads[2 * IR_MAX_RANK];
	const char *ap = ir_op_str(op, "auto_pad", "NOTSET");
	geo_base(op, x, w, y, g);
	ints_or(op, "pads", 2 * g->n, 0, pads);
	for (int i = 0; i < g->n; i++) {
		int64_t total = (g->out[i] - 1) * g->s[i] + (g->k[i] - 1) * g->d[i] + 1 - g->in[i];
		total = total < 0 ? 0 : total;
		if (strcmp(ap, "VALID") == 0)
			g->pb[i] = 0;
		else if (strcmp(ap, "SAME_UPPER") == 0)
			g->pb[i] = total / 2;
		else if (strcmp(ap, "SAME_LOWER") == 0)
			g->pb[i] = total - total / 2;
		else
			g->pb[i] = pads[i];
	}
}

/* ---- the Conv core -------------------------------------------------------- */

/*
** The kernel rows (kernel positions over all but the last dim) that read the
** input for output row r: their indices into tk, the offsets of the input
** rows they read into tx.  Returns their count.
*/
static int64_t row_taps(const geo *g, int64_t r, int64_t *tk, int64_t *tx)
{
	int o = g->n - 1;
	int64_t od[IR_MAX_RANK], kk[IR_MAX_RANK] = {0}, nk = g->k_sz / g->k[o], nt = 0;
	for (int i = o - 1; i >= 0; i--) {
		od[i] = r % g->out[i];
		r /= g->out[i];
	}
	for (int64_t t = 0; t < nk; t++) {
		int64_t off = 0;
		bool ok = true;
		for (int i = 0; i < o; i++) {
			int64_t p = od[i] * g->s[i] + kk[i] * g->d[i] - g->pb[i];
			ok &= p >= 0 && p < g->in[i];
			off = off * g->in[i] + p;
		}
		if (ok) {
			tk[nt] = t;
			tx[nt++] = off * g->in[o];
		}
		for (int i = o - 1; i >= 0 && ++kk[i] == g->k[i]; i--)
			kk[i] = 0;
	}
	return nt;
}

/* acc += one input channel xc convolved with its kernel wc, for one output row. */
static void conv_row(const geo *g, const float *xc, const float *wc, int64_t nt, const int64_t *tk,
		     const int64_t *tx, const span *sp, double *acc)
{
	int l = g->n - 1;
	int64_t kw = g->k[l], s = g->s[l];
	for (int64_t t = 0; t < nt; t++) {
		const float *xr = xc + tx[t], *wr = wc + tk[t] * kw;
		for (int64_t kx = 0; kx < kw; kx++) {
			int64_t len = sp[kx].hi - sp[kx].lo;
			if (len <= 0)
				continue;
			double w = wr[kx], *ap = acc + sp[kx].lo;
			const float *xp = xr + sp[kx].lo * s + kx * g->d[l] - g->pb[l];
			if (s == 1) {
				for (int64_t i = 0; i < len; i++)
					ap[i] += w * xp[i];
			} else {
				for (int64_t i = 0; i < len; i++)
					ap[i] += w * xp[i * s];
			}
		}
	}
}

/* Every output row of the convolution of xd [N, C, in...] by wd [M, C/group, k...]. */
static void conv_run(interp_ctx *x, const geo *g, const float *xd, const float *wd, row_sink *sink,
		     void *ud)
{
	int l = g->n - 1;
	int64_t ow = g->out[l], rows = ow ? g->out_sz / ow : 0, nk = g->k_sz / g->k[l];
	int64_t cg = g->c / g->group, mg = g->m / g->group;
	double *acc = ir_alloc_array(x->c, (size_t)ow, sizeof *acc);
	int64_t *tk = ir_alloc_array(x->c, (size_t)nk, sizeof *tk);
	int64_t *tx = ir_alloc_array(x->c, (size_t)nk, sizeof *tx);
	span *sp = ir_alloc_array(x->c, (size_t)g->k[l], sizeof *sp);
	for (int64_t kx = 0; kx < g->k[l]; kx++)
		sp[kx] = span_of(kx * g->d[l] - g->pb[l], g->s[l], ow, g->in[l]);
	for (int64_t r = 0; r < rows; r++) {
		int64_t nt = row_taps(g, r, tk, tx);
		for (int64_t b = 0; b < g->batch; b++) {
			for (int64_t m = 0; m < g->m; m++) {
				const float *xb = xd + (b * g->c + m / mg * cg) * g->in_sz;
				const float *wm = wd + m * cg * g->k_sz;
				memset(acc, 0, sizeof *acc * (size_t)ow);
				for (int64_t c = 0; c < cg; c++)
					conv_row(g, xb + c * g->in_sz, wm + c * g->k_sz, nt, tk, tx, sp, acc);
				sink(ud, b, m, r * ow, acc, ow);
			}
		}
	}
}

/* ---- the ConvTranspose core ------------------------------------------------ */

/*
** For each input row r and kernel row t (positions over all but the last
** dim), the offset of the output row they write, or -1 when outside.
*/
static int64_t *out_rows(interp_ctx *x, const geo *g, int64_t rows, int64_t nk)
{
	int o = g->n - 1;
	int64_t *orow = ir_alloc_array(x->c, (size_t)(rows * nk), sizeof *orow);
	int64_t id[IR_MAX_RANK] = {0};
	for (int64_t r = 0; r < rows; r++) {
		int64_t kk[IR_MAX_RANK] = {0};
		for (int64_t t = 0; t < nk; t++) {
			int64_t off = 0;
			bool ok = true;
			for (int i = 0; i < o; i++) {
				int64_t p = id[i] * g->s[i] + kk[i] * g->d[i] - g->pb[i];
				ok &= p >= 0 && p < g->out[i];
				off = off * g->out[i] + p;
			}
			orow[r * nk + t] = ok ? off * g->out[o] : -1;
			for (int i = o - 1; i >= 0 && ++kk[i] == g->k[i]; i--)
				kk[i] = 0;
		}
		for (int i = o - 1; i >= 0 && ++id[i] == g->in[i]; i--)
			id[i] = 0;
	}
	return orow;
}

/* acc (an output plane) += input channel xc scattered through its kernel wc. */
static void convt_chan(const geo *g, const float *xc, const float *wc, const int64_t *orow,
		       const span *sp, double *acc)
{
	int l = g->n - 1;
	int64_t kw = g->k[l], s = g->s[l], iw = g->in[l], nk = g->k_sz / kw, rows = iw ? g->in_sz / iw : 0;
	for (int64_t r = 0; r < rows; r++) {
		const float *xr = xc + r * iw;
		for (int64_t t = 0; t < nk; t++) {
			if (orow[r * nk + t] < 0)
				continue;
			for (int64_t kx = 0; kx < kw; kx++) {
				if (sp[kx].lo >= sp[kx].hi)
					continue;
				double w = wc[t * kw + kx];
				double *op = acc + orow[r * nk + t] + sp[kx].lo * s + kx * g->d[l] - g->pb[l];
				for (int64_t i = sp[kx].lo; i < sp[kx].hi; i++, op += s)
					*op += w * xr[i];
			}
		}
	}
}

/* Every output plane of the transposed convolution of xd by wd [C, M/group, k...]. */
static void convt_run(interp_ctx *x, const geo *g, const float *xd, const float *wd, row_sink *sink,
		      void *ud)
{
	int l = g->n - 1;
	int64_t cg = g->c / g->group, mg = g->m / g->group, nk = g->k_sz / g->k[l];
	double *acc = ir_alloc_array(x->c, (size_t)g->out_sz, sizeof *acc);
	int64_t *orow = out_rows(x, g, g->in[l] ? g->in_sz / g->in[l] : 0, nk);
	span *sp = ir_alloc_array(x->c, (size_t)g->k[l], sizeof *sp);
	for (int64_t kx = 0; kx < g->k[l]; kx++)
		sp[kx] = span_of(kx * g->d[l] - g->pb[l], g->s[l], g->in[l], g->out[l]);
	for (int64_t b = 0; b < g->batch; b++) {
		for (int64_t m = 0; m < g->m; m++) {
			int64_t c0 = m / mg * cg;
			memset(acc, 0, sizeof *acc * (size_t)g->out_sz);
			for (int64_t c = 0; c < cg; c++)
				convt_chan(g, xd + (b * g->c + c0 + c) * g->in_sz,
					   wd + ((c0 + c) * mg + m % mg) * g->k_sz, orow, sp, acc);
			sink(ud, b, m, 0, acc, g->out_sz);
		}
	}
}

/* ---- sinks and operand loading --------------------------------------------- */

typedef struct fsink {
	interp_tensor *y;
	float *yf;                      /* y's data when y is f32, else NULL */
	const float *bias;              /* [M], or NULL */
	int64_t m, out_sz;
} fsink;

/* Float results: acc + bias, rounded to y's element type. */
static void sink_float(void *ud, int64_t b, int64_t m, int64_t off, const double *acc, int64_t len)
{
	fsink *s = ud;
	double bias = s->bias ? s->bias[m] : 0;
	int64_t base = (b * s->m + m) * s->out_sz + off;
	for (int64_t i = 0; i < len; i++) {
		if (s->yf)
			s->yf[base + i] = (float)(acc[i] + bias);
		else
			interp_set_f(s->y, base + i, acc[i] + bias);
	}
}

typedef struct qsink {
	interp_tensor *y;
	const interp_tensor *bias;      /* i32 [M], or NULL */
	const float *mult;              /* [M] requantization multipliers; NULL: plain i32 */
	double zp, lo, hi;              /* y's zero point and range */
	int64_t m, out_sz;
} qsink;

/*
** Integer results: the exact sum plus bias as i32; QLinearConv then scales
** it by the f32 multiplier in double, adds y's zero point, rounds half to
** even and saturates (the ONNX reference).
*/
static void sink_quant(void *ud, int64_t b, int64_t m, int64_t off, const double *acc, int64_t len)
{
	qsink *s = ud;
	int64_t bias = s->bias ? interp_get_i(s->bias, m) : 0, base = (b * s->m + m) * s->out_sz + off;
	for (int64_t i = 0; i < len; i++) {
		int32_t v = (int32_t)(uint32_t)((int64_t)acc[i] + bias);
		if (!s->mult) {
			interp_set_i(s->y, base + i, v);
			continue;
		}
		double r = nearbyint((double)v * s->mult[m] + s->zp);
		interp_set_i(s->y, base + i, isnan(r) ? 0 : (int64_t)(r < s->lo ? s->lo : r > s->hi ? s->hi : r));
	}
}

static float *load_f32(interp_ctx *x, const interp_tensor *t)
{
	int64_t n = numel(&t->type);
	if (t->type.dtype == IR_F32)
		return t->data;
	float *r = ir_alloc_array(x->c, (size_t)n, sizeof *r);
	for (int64_t i = 0; i < n; i++)
		r[i] = (float)interp_get_f(t, i);
	return r;
}

/*
** t minus zero points as f32 (exact for 8- and 16-bit integers): element i
** uses zero[i / blk], or zero[0] when nz is 1; no zero point when nz is 0.
*/
static float *load_minus(interp_ctx *x, const interp_tensor *t, const int64_t *zero, int64_t nz, int64_t blk)
{
	int64_t n = numel(&t->type);
	float *r = ir_alloc_array(x->c, (size_t)n, sizeof *r);
	for (int64_t i = 0; i < n; i++)
		r[i] = (float)(interp_get_i(t, i) - (nz ? zero[nz == 1 ? 0 : i / blk] : 0));
	return r;
}

/* t minus its optional zero-point operand zp (a scalar, or 1-D stepping every blk elements). */
static float *load_q(interp_ctx *x, const interp_tensor *t, const interp_tensor *zp, int64_t blk)
{
	int64_t nz = zp ? numel(&zp->type) : 0;
	int64_t *zero = ir_alloc_array(x->c, (size_t)nz + 1, sizeof *zero);
	for (int64_t i = 0; i < nz; i++)
		zero[i] = interp_get_i(zp, i);
	return load_minus(x, t, zero, nz, blk);
}

typedef struct rqsink {
	interp_tensor *y;
	const interp_tensor *bias;      /* i32 [M], or NULL */
	const ir_qop *p;
	int64_t m, out_sz;
} rqsink;

/*
** Quantized Conv results (docs/ir.md): the exact sum plus the bias with
** int32 wraparound, requantized by the channel's multiplier, plus z_y,
** clamped to the result's range and fused activation.
*/
static void sink_requant(void *ud, int64_t b, int64_t m, int64_t off, const double *acc, int64_t len)
{
	rqsink *s = ud;
	ir_requant r = s->p->rq[s->p->n_ch == 1 ? 0 : m];
	int64_t bias = s->bias ? interp_get_i(s->bias, m) : 0, base = (b * s->m + m) * s->out_sz + off;
	for (int64_t i = 0; i < len; i++) {
		int32_t v = (int32_t)(uint32_t)((int64_t)acc[i] + bias);
		int64_t q = s->p->y_zero + ir_requant_apply(v, r);
		interp_set_i(s->y, base + i, q < s->p->lo ? s->p->lo : q > s->p->hi ? s->p->hi : q);
	}
}

/* ---- kernels ----------------------------------------------------------------- */

static void conv_float(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	geo g;
	const interp_tensor *b = opt(op, in, 2);
	conv_geo(op, &in[0]->type, &in[1]->type, &out->type, &g);
	fsink s = {.y = out, .yf = out->type.dtype == IR_F32 ? out->data : NULL,
		   .bias = b ? load_f32(x, b) : NULL, .m = g.m, .out_sz = g.out_sz};
	conv_run(x, &g, load_f32(x, in[0]), load_f32(x, in[1]), sink_float, &s);
}

/* ConvInteger: x, w, optional x_zp (scalar), w_zp (scalar or per output channel). */
static void conv_integer(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	geo g;
	conv_geo(op, &in[0]->type, &in[1]->type, &out->type, &g);
	qsink s = {.y = out, .m = g.m, .out_sz = g.out_sz};
	int64_t wblk = g.c / g.group * g.k_sz;
	conv_run(x, &g, load_q(x, in[0], opt(op, in, 2), 1), load_q(x, in[1], opt(op, in, 3), wblk),
		 sink_quant, &s);
}

static void qrange(ir_dtype dt, double *lo, double *hi)
{
	int bits = ir_dtype_bits(dt);
	bool sg = dt == IR_I8 || dt == IR_I16 || dt == IR_I32 || dt == IR_I64 || dt == IR_I4;
	*lo = sg ? -ldexp(1, bits - 1) : 0;
	*hi = sg ? ldexp(1, bits - 1) - 1 : ldexp(1, bits) - 1;
}

/*
** QLinearConv: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, optional
** i32 bias; w's scale and zero point may be per output channel.  The
** multiplier of channel m is x_scale*w_scale[m]/y_scale in f32.
*/
static void qlinear_conv(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	geo g;
	conv_geo(op, &in[0]->type, &in[3]->type, &out->type, &g);
	float *mult = ir_alloc_array(x->c, (size_t)g.m, sizeof *mult);
	qsink s = {.y = out, .bias = opt(op, in, 8), .mult = mult, .zp = (double)interp_get_i(in[7], 0),
		   .m = g.m, .out_sz = g.out_sz};
	float xs = (float)interp_get_f(in[1], 0), ys = (float)interp_get_f(in[6], 0);
	int64_t nws = numel(&in[4]->type);
	for (int64_t m = 0; m < g.m; m++) {
		float xw = xs * (float)interp_get_f(in[4], nws == 1 ? 0 : m);
		mult[m] = xw / ys;
	}
	qrange(out->type.dtype, &s.lo, &s.hi);
	conv_run(x, &g, load_q(x, in[0], in[2], 1), load_q(x, in[3], in[5], g.c / g.group * g.k_sz),
		 sink_quant, &s);
}

/*
** Conv on quantized operands: (x - z_x) and (w - z_w[m]) are small integers,
** exact in f32, their products and sums exact in the core's double
** accumulator (the verifier bounds the sum by 2^31); padding taps are
** skipped, i.e. pad real 0.
*/
static int conv_quant(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	geo g;
	ir_qop p;
	if (ir_qop_params(x->g, op, &p) < 0)
		return ir_error(x->c, op->loc, "'Conv' op: invalid quantized form (not verified?)");
	conv_geo(op, &in[0]->type, &in[1]->type, &out->type, &g);
	int64_t zx = p.in_zero[0], *zw = ir_alloc_array(x->c, (size_t)p.n_ch, sizeof *zw);
	for (int32_t c = 0; c < p.n_ch; c++)
		zw[c] = p.w_zero[c];
	rqsink s = {.y = out, .bias = opt(op, in, 2), .p = &p, .m = g.m, .out_sz = g.out_sz};
	conv_run(x, &g, load_minus(x, in[0], &zx, 1, 1), load_minus(x, in[1], zw, p.n_ch, g.c / g.group * g.k_sz),
		 sink_requant, &s);
	return 0;
}

int interp_conv(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	if (op->kind == IR_OP_CONV && ir_op_is_quantized(x->g, op))
		return conv_quant(x, op, in, out);
	switch (op->kind) {
	case IR_OP_QLINEARCONV:
		qlinear_conv(x, op, in, out);
		break;
	case IR_OP_CONVINTEGER:
		conv_integer(x, op, in, out);
		break;
	default:
		conv_float(x, op, in, out);
		break;
	}
	return 0;
}

/*
** ConvTranspose's begin pads, as the ONNX reference: explicit pads (zero
** when absent) unless auto_pad is SAME_* and there are none; then the total
** stride*(in-1) + output_padding + (k-1)*dilation + 1 - output_shape (by
** default in*stride) is split with the larger half at the end.
*/
static void convt_geo(const ir_op *op, const ir_type *x, const ir_type *w, const ir_type *y, geo *g)
{
	int64_t pads[2 * IR_MAX_RANK], opad[IR_MAX_RANK], osh[IR_MAX_RANK];
	const char *ap = ir_op_str(op, "auto_pad", "NOTSET");
	const ir_attr *os = ir_op_attr(op, "output_shape");
	bool same = strncmp(ap, "SAME_", 5) == 0 && !ir_op_attr(op, "pads");
	geo_base(op, x, w, y, g);
	ints_or(op, "pads", 2 * g->n, 0, pads);
	ints_or(op, "output_padding", g->n, 0, opad);
	for (int i = 0; i < g->n; i++) {
		int oi = os && os->kind == IR_ATTR_INTS ? os->n - g->n + i : -1;
		osh[i] = oi >= 0 ? os->u.ints[oi] : g->in[i] * g->s[i];
		int64_t total = g->s[i] * (g->in[i] - 1) + opad[i] + (g->k[i] - 1) * g->d[i] + 1 - osh[i];
		if (!same)
			g->pb[i] = pads[i];
		else if (strcmp(ap, "SAME_UPPER") == 0)
			g->pb[i] = floordiv(total, 2);
		else
			g->pb[i] = total - floordiv(total, 2);
	}
}

/* ConvTranspose: x [N, C, in...], w [C, M/group, k...], optional bias [M]. */
int interp_convtranspose(interp_ctx *x, const ir_op *op, const interp_tensor *const *in,
			 interp_tensor *out)
{
	geo g;
	const interp_tensor *b = opt(op, in, 2);
	convt_geo(op, &in[0]->type, &in[1]->type, &out->type, &g);
	fsink s = {.y = out, .yf = out->type.dtype == IR_F32 ? out->data : NULL,
		   .bias = b ? load_f32(x, b) : NULL, .m = g.m, .out_sz = g.out_sz};
	convt_run(x, &g, load_f32(x, in[0]), load_f32(x, in[1]), sink_float, &s);
	return 0;
}
