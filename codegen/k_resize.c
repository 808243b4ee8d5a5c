/*
** k_resize.c - the resize family (Resize).
**
** The taps (source indices and weights of each output index, per dim) are
** computed at compile time exactly as the interpreter does (interp/
** k_resize.c: coordinate transform in double, nearest rounding modes,
** linear and cubic coefficients, exclude_outside, zero-weight taps
** dropped) and emitted as constant tables: per dim, k slots per output
** index holding the source offset (index times x's stride) and the weight.
** An index with fewer taps than k has its extra slots padded with weight 0
** and skipped by a select (no real tap in such a slot has weight 0: the
** interpreter drops those), so that 0 * inf does not turn a result NaN.  A dim that maps every index to itself with weight 1 needs
** no table.
**
** The kernel walks the result in order; each dim's loop loads its taps,
** and the innermost body sums the products of the per-dim weights times x
** over every combination of taps, in the interpreter's order (last dim
** fastest, weights multiplied first dim first, sum from +0).
**
** Arithmetic: float types in f32 (cg.h: the interpreter uses double);
** integer types in double on 64-bit targets, which reproduces the
** interpreter exactly (then truncation toward zero and saturation), and in
** f32 on 32-bit targets, where double arithmetic would call a library
** (i64 is refused there: its conversions would too).  When every weight
** is 1 (nearest, or aligned linear) the result is a copy: raw bytes, with
** -0 turned to +0 for float types as the interpreter's 0 + 1*x does; i64
** goes through double as in the interpreter on 64-bit targets, and is
** copied exactly on 32-bit ones.
*/
#include <math.h>
#include <string.h>

#include "codegen/k_shape.h"

enum { M_NEAREST, M_LINEAR, M_CUBIC };
enum { CT_HALF_PIXEL, CT_PYTORCH, CT_ALIGN, CT_ASYMMETRIC, CT_TF_NN };
enum { N_PREFER_FLOOR, N_PREFER_CEIL, N_FLOOR, N_CEIL };
enum { MAX_TERMS = 4096 };

typedef struct rz {
	int mode, ctm, nm;
	double a;
	bool exclude;
} rz;

static int pick(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int resize_attrs(cg *g, const ir_op *op, rz *r)
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
		return cg_unsupported(g, op, "mode '%s'", m);
	if (r->ctm < 0)
		return cg_unsupported(g, op, "coordinate_transformation_mode '%s'", ct);
	if (r->nm < 0)
		return cg_unsupported(g, op, "nearest_mode '%s'", nm);
	return 0;
}

/* ---- taps, at compile time (the interpreter's arithmetic) ------------------------- */

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

/* The taps of coordinate xo along a dim of in elements (indices, weights);
** returns their count.  Window and dropping as in the interpreter. */
static int dim_taps(const rz *r, double xo, int64_t in, int64_t *off, double *wt)
{
	int n = r->mode == M_CUBIC ? 4 : 2, pad = n / 2, k = 0;
	double f = ceil(xo) - 1, c[4], sum = 0;
	int64_t start = (int64_t)f - pad + 1;
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

/* ---- per-dim tables ------------------------------------------------------------------- */

enum { MAX_PERIOD = 8 };

/* Output indices [s, s + m*p) of a dim whose taps repeat with period p,
** the offsets growing by q per period (integer ratios: 2x upsampling has
** p = 2, q = 1).  There the weights are constants and the offsets affine
** in the period's index, so the loop needs no table and vectorizes. */
typedef struct rz_period {
	int p;                   /* 0: no such range */
	int64_t s, m, q;
	int cnt[MAX_PERIOD];
	int64_t c[MAX_PERIOD][4];   /* offsets of the first period */
	double w[MAX_PERIOD][4];
} rz_period;

typedef struct rz_dim {
	bool ident;              /* output index o reads input index o, weight 1 */
	bool unit;               /* every weight is 1 */
	int k, mincnt;           /* slots per output index; fewest real taps */
	kv_table off;            /* [o*k + t]: input offset (index times stride) */
	LLVMValueRef wt;         /* [o*k + t]: weights in the compute type */
	rz_period per;           /* the innermost dim only */
	/* The loop's current taps (set while the body below it is emitted). */
	LLVMValueRef toff[4], tw[4], tvalid[4];
} rz_dim;

typedef struct rz_job {
	int rank;
	ir_dtype dt;
	bool f64;                /* compute in double, else f32 */
	bool copy;               /* every dim is single-tap with weight 1 */
	LLVMTypeRef ct;
	int64_t ydims[IR_MAX_RANK], ys[IR_MAX_RANK], xs[IR_MAX_RANK];
	rz_dim d[IR_MAX_RANK];
	LLVMValueRef dst, src, sum;
} rz_job;

/* Weights as the compute type's bytes. */
static LLVMValueRef weight_table(cg *g, const rz_job *j, const double *w, int64_t n)
{
	size_t es = j->f64 ? 8 : 4;
	unsigned char *b = ir_alloc(g->c, (size_t)(n ? n : 1) * es);
	for (int64_t i = 0; i < n; i++) {
		if (j->f64) {
			memcpy(b + (size_t)i * es, &w[i], es);
		} else {
			float f = (float)w[i];
			memcpy(b + (size_t)i * es, &f, es);
		}
	}
	return cg_const_bytes(g, b, n * (int64_t)es, "rzw");
}

/* Do output indices o and o - p have the same taps, offsets shifted by q?
** (to, tw: 4 slots per index.) */
static bool same_taps(const int *cnt, const int64_t *to, const double *tw, int64_t o, int p, int64_t q)
{
	if (cnt[o] != cnt[o - p])
		return false;
	for (int t = 0; t < cnt[o]; t++)
		if (to[o * 4 + t] != to[(o - p) * 4 + t] + q || tw[o * 4 + t] != tw[(o - p) * 4 + t])
			return false;
	return true;
}

/* The smallest period whose longest repeating range covers at least half
** of the out indices (borders, where clamping breaks the pattern, stay
** with the tables). */
static void find_period(rz_period *per, int64_t out, const int *cnt, const int64_t *to, const double *tw)
{
	for (int p = 1; p <= MAX_PERIOD && 4 * p <= out; p++) {
		int64_t q = to[(out / 2) * 4] - to[(out / 2 - p) * 4], a = -1, best = 0, len = 0;
		for (int64_t o = p; o <= out; o++) {
			bool ok = o < out && same_taps(cnt, to, tw, o, p, q);
			if (ok && a < 0)
				a = o - p;
			if (!ok && a >= 0) {
				if (o - a > len) {
					len = o - a;
					best = a;
				}
				a = -1;
			}
		}
		if (len / p < 2 || 2 * (len / p) * p < out)
			continue;
		*per = (rz_period){.p = p, .s = best, .m = len / p, .q = q};
		for (int k = 0; k < p; k++) {
			per->cnt[k] = cnt[best + k];
			for (int t = 0; t < per->cnt[k]; t++) {
				per->c[k][t] = to[(best + k) * 4 + t];
				per->w[k][t] = tw[(best + k) * 4 + t];
			}
		}
		return;
	}
}

static void build_dim(cg *g, const rz *r, rz_job *j, int d, int64_t in, double scale)
{
	int64_t out = j->ydims[d], off[4], *to = ir_alloc_array(g->c, (size_t)out * 4, sizeof *to);
	double wt[4], *tw = ir_alloc_array(g->c, (size_t)out * 4, sizeof *tw);
	int *cnt = ir_alloc_array(g->c, (size_t)out, sizeof *cnt);
	rz_dim *x = &j->d[d];
	*x = (rz_dim){.ident = out == in, .unit = true, .k = 1, .mincnt = 4};
	for (int64_t o = 0; o < out; o++) {
		cnt[o] = dim_taps(r, coord(r, o, in, scale), in, off, wt);
		x->k = cnt[o] > x->k ? cnt[o] : x->k;
		x->mincnt = cnt[o] < x->mincnt ? cnt[o] : x->mincnt;
		for (int t = 0; t < cnt[o]; t++) {
			to[o * 4 + t] = off[t] * j->xs[d];
			tw[o * 4 + t] = wt[t];
			x->unit &= wt[t] == 1;
		}
		x->ident &= cnt[o] == 1 && off[0] == o && wt[0] == 1;
	}
	x->unit &= x->k == 1;
	if (x->ident)
		return;
	if (d == j->rank - 1)
		find_period(&x->per, out, cnt, to, tw);
	/* k slots per index; padding repeats the first tap with weight 0. */
	int64_t *po = ir_alloc_array(g->c, (size_t)out * (size_t)x->k, sizeof *po);
	double *pw = ir_alloc_array(g->c, (size_t)out * (size_t)x->k, sizeof *pw);
	for (int64_t o = 0; o < out; o++) {
		for (int t = 0; t < x->k; t++) {
			po[o * x->k + t] = to[o * 4 + (t < cnt[o] ? t : 0)];
			pw[o * x->k + t] = t < cnt[o] ? tw[o * 4 + t] : 0;
		}
	}
	x->off = kv_make_table(g, po, out * x->k, "rzoff");
	if (!x->unit)
		x->wt = weight_table(g, j, pw, out * x->k);
}

/* ---- emission -------------------------------------------------------------------------- */

/* Element at offset off of x in the compute type. */
static LLVMValueRef load_x(cg *g, const rz_job *j, LLVMValueRef off)
{
	LLVMValueRef v = cg_load(g, j->dt, j->src, off);
	if (ir_dtype_is_float(j->dt))
		return v;
	if (!j->f64)
		return cg_convert(g, v, j->dt, IR_F32);
	if (j->dt != IR_I64)
		v = LLVMBuildTrunc(g->b, v, g->t_i32, "");
	return LLVMBuildSIToFP(g->b, v, g->t_f64, "");
}

static LLVMValueRef f64c(cg *g, double v)
{
	return LLVMConstReal(g->t_f64, v);
}

/*
** Double v truncated toward zero and saturated to the range of integer
** type dt (NaN gives 0), as an i64: the interpreter's store.  Built from
** the bits, without fptosi, whose RISC-V vector forms qemu 7.2 (the
** conformance runner's emulator) cannot translate and which x86 cannot
** vectorize to i64: below 2^52, |v| + 2^52 holds |v| rounded in its low
** bits, corrected by one to truncate; above, the mantissa shifted left.
*/
static LLVMValueRef f64_to_int(cg *g, LLVMValueRef v, ir_dtype dt)
{
	LLVMBuilderRef b = g->b;
	int bits = ir_dtype_bits(dt);
	int64_t hi = bits == 64 ? INT64_MAX : dt == IR_U8 ? 255 : ((int64_t)1 << (bits - 1)) - 1;
	int64_t lo = bits == 64 ? INT64_MIN : dt == IR_U8 ? 0 : -((int64_t)1 << (bits - 1));
	LLVMValueRef two52 = f64c(g, 0x1p52), a;
	if (bits < 64) {
		/* The range is exact in double: clamp first, then |v| < 2^52. */
		v = cg_select(g, LLVMBuildFCmp(b, LLVMRealOLT, v, f64c(g, (double)lo), ""), f64c(g, (double)lo), v);
		v = cg_select(g, LLVMBuildFCmp(b, LLVMRealOGT, v, f64c(g, (double)hi), ""), f64c(g, (double)hi), v);
		v = cg_select(g, LLVMBuildFCmp(b, LLVMRealUNO, v, v, ""), f64c(g, 0), v);
		a = cg_fabs(g, v);
		LLVMValueRef r = LLVMBuildFAdd(b, a, two52, "");
		LLVMValueRef n = LLVMBuildSub(b, LLVMBuildBitCast(b, r, g->t_i64, ""), cg_i64(g, 0x4330000000000000), "");
		LLVMValueRef up = LLVMBuildFCmp(b, LLVMRealOGT, LLVMBuildFSub(b, r, two52, ""), a, "");
		n = cg_select(g, up, LLVMBuildSub(b, n, cg_i64(g, 1), ""), n);
		return cg_select(g, LLVMBuildFCmp(b, LLVMRealOLT, v, f64c(g, 0), ""), LLVMBuildSub(b, cg_i64(g, 0), n, ""), n);
	}
	a = cg_fabs(g, v);
	a = cg_select(g, LLVMBuildFCmp(b, LLVMRealOGT, a, f64c(g, 0x1p63), ""), f64c(g, 0x1p63), a);
	LLVMValueRef r = LLVMBuildFAdd(b, a, two52, "");
	LLVMValueRef n = LLVMBuildSub(b, LLVMBuildBitCast(b, r, g->t_i64, ""), cg_i64(g, 0x4330000000000000), "");
	LLVMValueRef up = LLVMBuildFCmp(b, LLVMRealOGT, LLVMBuildFSub(b, r, two52, ""), a, "");
	n = cg_select(g, up, LLVMBuildSub(b, n, cg_i64(g, 1), ""), n);
	LLVMValueRef ab = LLVMBuildBitCast(b, a, g->t_i64, "");
	LLVMValueRef sh = LLVMBuildSub(b, LLVMBuildLShr(b, ab, cg_i64(g, 52), ""), cg_i64(g, 1075), "");
	sh = cg_smin(g, cg_smax(g, sh, cg_i64(g, 0)), cg_i64(g, 11));  /* NaN would shift by 972 */
	LLVMValueRef man = LLVMBuildOr(b, LLVMBuildAnd(b, ab, cg_i64(g, ((int64_t)1 << 52) - 1), ""),
				       cg_i64(g, (int64_t)1 << 52), "");
	LLVMValueRef small = LLVMBuildFCmp(b, LLVMRealOLT, a, two52, "");
	LLVMValueRef m = cg_select(g, small, n, LLVMBuildShl(b, man, sh, ""));
	LLVMValueRef pos = cg_select(g, LLVMBuildICmp(b, LLVMIntUGT, m, cg_i64(g, hi), ""), cg_i64(g, hi), m);
	LLVMValueRef neg = cg_select(g, LLVMBuildICmp(b, LLVMIntUGT, m, LLVMConstInt(g->t_i64, 0 - (uint64_t)lo, 0), ""),
				     cg_i64(g, lo), LLVMBuildSub(b, cg_i64(g, 0), m, ""));
	r = cg_select(g, LLVMBuildFCmp(b, LLVMRealOLT, v, f64c(g, 0), ""), neg, pos);
	return cg_select(g, LLVMBuildFCmp(b, LLVMRealUNO, v, v, ""), cg_i64(g, 0), r);
}

/* Store a compute value: float types round, integer types truncate toward
** zero and saturate to the type (NaN gives 0), bool is v != 0. */
static void store_y(cg *g, const rz_job *j, LLVMValueRef off, LLVMValueRef v)
{
	ir_dtype dt = j->dt;
	if (ir_dtype_is_float(dt) || !j->f64) {
		if (!ir_dtype_is_float(dt))
			v = cg_convert(g, v, IR_F32, dt);
		cg_store(g, dt, j->dst, off, v);
		return;
	}
	if (dt == IR_BOOL)
		v = LLVMBuildZExt(g->b, LLVMBuildFCmp(g->b, LLVMRealUNE, v, f64c(g, 0), ""), g->t_i64, "");
	else
		v = f64_to_int(g, v, dt);
	cg_store(g, dt, j->dst, off, v);
}

/* The copy of every-weight-1 resizes: one element from x, raw. */
static void copy_leaf(cg *g, const rz_job *j, LLVMValueRef yoff, LLVMValueRef xoff)
{
	ir_dtype dt = j->dt;
	if (dt == IR_I4 || (!ir_dtype_is_float(dt) && (dt != IR_I64 || !j->f64))) {
		kv_copy(g, dt, j->dst, yoff, j->src, xoff, 1);
		return;
	}
	if (dt == IR_I64) {
		store_y(g, j, yoff, load_x(g, j, xoff));
		return;
	}
	LLVMTypeRef it = dt == IR_F32 ? g->t_i32 : g->t_i16;
	LLVMValueRef v = LLVMBuildLoad2(g->b, it, kv_ptr(g, dt, j->src, xoff), "");
	LLVMValueRef negz = LLVMBuildICmp(g->b, LLVMIntEQ, v,
					  LLVMConstInt(it, dt == IR_F32 ? 0x80000000u : 0x8000u, 0), "");
	LLVMBuildStore(g->b, cg_select(g, negz, LLVMConstInt(it, 0, 0), v), kv_ptr(g, dt, j->dst, yoff));
}

/* Sum over the taps of dims d.. (w: product of the weights so far, NULL
** for 1; valid: NULL for always) into j->sum. */
static void combos(cg *g, rz_job *j, int d, LLVMValueRef w, LLVMValueRef off, LLVMValueRef valid)
{
	if (d == j->rank) {
		LLVMValueRef x = load_x(g, j, off);
		LLVMValueRef term = w ? LLVMBuildFMul(g->b, w, x, "") : x;
		LLVMValueRef s = LLVMBuildFAdd(g->b, j->sum, term, "");
		j->sum = valid ? cg_select(g, valid, s, j->sum) : s;
		return;
	}
	rz_dim *x = &j->d[d];
	if (x->ident) {
		combos(g, j, d + 1, w, off, valid);
		return;
	}
	for (int t = 0; t < x->k; t++) {
		LLVMValueRef w2 = x->unit ? w : w ? LLVMBuildFMul(g->b, w, x->tw[t], "") : x->tw[t];
		LLVMValueRef v2 = valid;
		if (t >= x->mincnt)
			v2 = valid ? LLVMBuildAnd(g->b, valid, x->tvalid[t], "") : x->tvalid[t];
		combos(g, j, d + 1, w2, LLVMBuildNSWAdd(g->b, off, x->toff[t], ""), v2);
	}
}

/* Load the taps of output index o of dim d into the dim's current taps. */
static void load_taps(cg *g, const rz_job *j, rz_dim *x, LLVMValueRef o)
{
	for (int t = 0; t < x->k; t++) {
		LLVMValueRef i = kv_madd(g, cg_i64(g, t), o, x->k);
		x->toff[t] = kv_table_load(g, x->off, i);
		if (x->unit)
			continue;
		LLVMValueRef p = LLVMBuildInBoundsGEP2(g->b, j->ct, x->wt, &i, 1, "");
		x->tw[t] = LLVMBuildLoad2(g->b, j->ct, p, "");
		if (t >= x->mincnt)
			x->tvalid[t] = LLVMBuildFCmp(g->b, LLVMRealUNE, x->tw[t], LLVMConstReal(j->ct, 0), "");
	}
}

/* The body for one result element: its offset yoff, base the source
** offset of the identity dims. */
static void rz_leaf(cg *g, rz_job *j, LLVMValueRef yoff, LLVMValueRef base)
{
	if (j->copy) {
		for (int i = 0; i < j->rank; i++)
			if (!j->d[i].ident)
				base = LLVMBuildNSWAdd(g->b, base, j->d[i].toff[0], "");
		copy_leaf(g, j, yoff, base);
		return;
	}
	j->sum = LLVMConstReal(j->ct, 0);
	combos(g, j, 0, NULL, base, NULL);
	store_y(g, j, yoff, j->sum);
}

/* The repeating range of the innermost dim x: per period i, each phase k
** has constant weights and offsets c + i*q. */
static void rz_periodic(cg *g, rz_job *j, rz_dim *x, LLVMValueRef yoff, LLVMValueRef base)
{
	const rz_period *per = &x->per;
	int64_t ys = j->ys[j->rank - 1];
	rz_dim save = *x;
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, per->m, 1);
	LLVMValueRef qi = kv_madd(g, cg_i64(g, 0), i, per->q);
	LLVMValueRef yi = kv_madd(g, yoff, i, per->p * ys);
	for (int k = 0; k < per->p; k++) {
		x->k = x->mincnt = per->cnt[k];
		x->unit = true;
		for (int t = 0; t < per->cnt[k]; t++) {
			x->toff[t] = LLVMBuildNSWAdd(g->b, qi, cg_i64(g, per->c[k][t]), "");
			x->tw[t] = LLVMConstReal(j->ct, per->w[k][t]);
			x->unit &= per->w[k][t] == 1 && per->cnt[k] == 1;
		}
		rz_leaf(g, j, kv_madd(g, yi, cg_i64(g, per->s + k), ys), base);
	}
	cg_endfor(g, &l);
	*x = save;
}

/* Result indices [lo, hi) of dim d: the identity, or taps from the tables. */
static void rz_loops(cg *g, rz_job *j, int d, LLVMValueRef yoff, LLVMValueRef base);

static void rz_range(cg *g, rz_job *j, int d, int64_t lo, int64_t hi, LLVMValueRef yoff, LLVMValueRef base)
{
	if (lo >= hi)
		return;
	cg_loop l;
	LLVMValueRef o = cg_fori(g, &l, lo, hi, 1);
	if (j->d[d].ident)
		base = kv_madd(g, base, o, j->xs[d]);
	else
		load_taps(g, j, &j->d[d], o);
	rz_loops(g, j, d + 1, kv_madd(g, yoff, o, j->ys[d]), base);
	cg_endfor(g, &l);
}

/* The loops over the result's dims from d; yoff is the result offset, base
** the source offset of the identity dims so far. */
static void rz_loops(cg *g, rz_job *j, int d, LLVMValueRef yoff, LLVMValueRef base)
{
	if (d == j->rank) {
		rz_leaf(g, j, yoff, base);
		return;
	}
	const rz_period *per = &j->d[d].per;
	if (!per->p) {
		rz_range(g, j, d, 0, j->ydims[d], yoff, base);
		return;
	}
	rz_range(g, j, d, 0, per->s, yoff, base);
	rz_periodic(g, j, &j->d[d], yoff, base);
	rz_range(g, j, d, per->s + per->m * per->p, j->ydims[d], yoff, base);
}

int cg_k_resize(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *t = in[0].type, *y = out[0].type;
	const ir_attr *s = ir_op_attr(op, "scales");
	bool have = s && s->kind == IR_ATTR_FLOATS && s->n == t->rank;
	rz r;
	if (resize_attrs(g, op, &r) < 0)
		return -1;
	if (cg_numel(y) == 0)
		return 0;
	rz_job *j = ir_alloc(g->c, sizeof *j);
	*j = (rz_job){.rank = t->rank, .dt = t->dtype, .dst = out[0].ptr, .src = in[0].ptr, .copy = true};
	j->f64 = !ir_dtype_is_float(j->dt) && LLVMPointerSize(g->td) >= 8;
	j->ct = j->f64 ? g->t_f64 : g->t_f32;
	memcpy(j->ydims, y->dims, sizeof j->ydims);
	cg_strides(y, j->ys);
	cg_strides(t, j->xs);
	int64_t terms = 1;
	for (int d = 0; d < t->rank; d++) {
		double sc = have ? (double)s->u.floats[d] : (double)y->dims[d] / (double)t->dims[d];
		build_dim(g, &r, j, d, t->dims[d], sc);
		j->copy &= j->d[d].k == 1 && j->d[d].unit;
		terms *= j->d[d].k;
	}
	if (j->dt == IR_I64 && !j->f64 && !j->copy)
		return cg_unsupported(g, op, "i64 linear or cubic resize on a 32-bit target");
	if (terms > MAX_TERMS)
		return cg_unsupported(g, op, "more than %d taps per result element", MAX_TERMS);
	rz_loops(g, j, 0, cg_i64(g, 0), cg_i64(g, 0));
	return 0;
}
