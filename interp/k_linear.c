/*
** k_linear.c - the matmul family (MatMul, QLinearMatMul, MatMulInteger)
** and the gemm family (Gemm) of the reference interpreter.
**
** Every variant is a product of row-major matrices in one of two number
** systems: f32 operands with a double accumulator (float types; f16 is
** widened to f32 first), or int64 operands with a wrapping int64
** accumulator (integer types, exact; results wrap to the element type).
** Batched MatMul walks the broadcast batch dims and hands each pair of
** matrices to that core; Gemm first copies op(A) and op(B) row-major.
** MatMul and Gemm on quantized operands (docs/ir.md, "Quantized
** arithmetic") take the exact integer path and requantize its sums.
*/
#include <math.h>
#include <string.h>

#include "interp/kernel.h"
#include "ir/requant.h"

/* A numpy matmul: [batch..., m, k] x [batch..., k, n], batch dims broadcast. */
typedef struct mmgeo {
	int64_t m, k, n;
	int nb;                         /* batch rank of the result */
	int64_t bt[IR_MAX_RANK];        /* broadcast batch dims */
	int64_t as[IR_MAX_RANK];        /* A's stride per batch dim, in matrices; 0 if broadcast */
	int64_t bs[IR_MAX_RANK];
} mmgeo;

typedef void mm_core(const void *a, const void *b, void *y, const mmgeo *g, void *acc);

/* f32 elements of t: its own data when it is f32, else a converted copy. */
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

static int64_t *load_i64(interp_ctx *x, const interp_tensor *t)
{
	int64_t n = numel(&t->type);
	int64_t *r = ir_alloc_array(x->c, (size_t)n, sizeof *r);
	for (int64_t i = 0; i < n; i++)
		r[i] = interp_get_i(t, i);
	return r;
}

/* Where an f32 result is computed: out's data, or scratch for another type. */
static float *result_f32(interp_ctx *x, interp_tensor *out)
{
	if (out->type.dtype == IR_F32)
		return out->data;
	return ir_alloc_array(x->c, (size_t)numel(&out->type), sizeof(float));
}

static void store_f32(interp_tensor *out, const float *y)
{
	if (out->type.dtype == IR_F32)
		return;
	int64_t n = numel(&out->type);
	for (int64_t i = 0; i < n; i++)
		interp_set_f(out, i, y[i]);
}

/* Row-major copy of the rows x cols matrix src transposed, elements of esz bytes. */
static void *transposed(interp_ctx *x, const void *src, int64_t rows, int64_t cols, size_t esz)
{
	char *d = ir_alloc_array(x->c, (size_t)(rows * cols), esz);
	const char *s = src;
	for (int64_t i = 0; i < rows; i++)
		for (int64_t j = 0; j < cols; j++)
			memcpy(d + (size_t)(j * rows + i) * esz, s + (size_t)(i * cols + j) * esz, esz);
	return d;
}

/* ---- cores ----------------------------------------------------------------- */

/* y[m,n] = a[m,k] b[k,n]; acc holds n doubles. */
static void core_f32(const void *va, const void *vb, void *vy, const mmgeo *g, void *vacc)
{
	const float *a = va, *b = vb;
	float *y = vy;
	double *acc = vacc;
	for (int64_t i = 0; i < g->m; i++) {
		memset(acc, 0, sizeof *acc * (size_t)g->n);
		for (int64_t k = 0; k < g->k; k++) {
			double av = a[i * g->k + k];
			const float *br = b + k * g->n;
			for (int64_t j = 0; j < g->n; j++)
				acc[j] += av * br[j];
		}
		for (int64_t j = 0; j < g->n; j++)
			y[i * g->n + j] = (float)acc[j];
	}
}

/* The same in wrapping int64 arithmetic. */
static void core_i64(const void *va, const void *vb, void *vy, const mmgeo *g, void *vacc)
{
	const int64_t *a = va, *b = vb;
	int64_t *y = vy;
	uint64_t *acc = vacc;
	for (int64_t i = 0; i < g->m; i++) {
		memset(acc, 0, sizeof *acc * (size_t)g->n);
		for (int64_t k = 0; k < g->k; k++) {
			uint64_t av = (uint64_t)a[i * g->k + k];
			const int64_t *br = b + k * g->n;
			for (int64_t j = 0; j < g->n; j++)
				acc[j] += av * (uint64_t)br[j];
		}
		for (int64_t j = 0; j < g->n; j++)
			y[i * g->n + j] = (int64_t)acc[j];
	}
}

/* ---- batched MatMul ------------------------------------------------------- */

/*
** Batch strides of an operand with na batch dims (right-aligned in the nb of
** the result) into st, and its non-1 dims into bt.
*/
static void batch_strides(const int64_t *dims, int na, int nb, int64_t *st, int64_t *bt)
{
	int64_t s = 1;
	for (int i = nb - 1; i >= 0; i--) {
		int j = i - (nb - na);
		int64_t d = j >= 0 ? dims[j] : 1;
		st[i] = d == 1 ? 0 : s;
		s *= d;
		if (d != 1)
			bt[i] = d;
	}
}

/* The geometry of numpy's matmul(a, b); 1-D operands count as [1, k] and [k, 1]. */
static void mm_geo(const ir_type *a, const ir_type *b, mmgeo *g)
{
	int ra = a->rank, rb = b->rank, na = ra > 2 ? ra - 2 : 0, nbb = rb > 2 ? rb - 2 : 0;
	*g = (mmgeo){.m = ra > 1 ? a->dims[ra - 2] : 1, .k = a->dims[ra - 1],
		     .n = rb > 1 ? b->dims[rb - 1] : 1, .nb = na > nbb ? na : nbb};
	for (int i = 0; i < g->nb; i++)
		g->bt[i] = 1;
	batch_strides(a->dims, na, g->nb, g->as, g->bt);
	batch_strides(b->dims, nbb, g->nb, g->bs, g->bt);
}

/* Every batch of y = a b, elements of esz bytes, through core. */
static void mm_batched(interp_ctx *x, const mmgeo *g, const void *a, const void *b, void *y,
		       size_t esz, mm_core *core)
{
	int64_t idx[IR_MAX_RANK] = {0}, ao = 0, bo = 0, total = 1;
	size_t sa = (size_t)(g->m * g->k) * esz, sb = (size_t)(g->k * g->n) * esz;
	size_t sy = (size_t)(g->m * g->n) * esz;
	void *acc = ir_alloc_array(x->c, (size_t)g->n + 1, 8);
	for (int i = 0; i < g->nb; i++)
		total *= g->bt[i];
	for (int64_t t = 0; t < total; t++) {
		core((const char *)a + (size_t)ao * sa, (const char *)b + (size_t)bo * sb,
		     (char *)y + (size_t)t * sy, g, acc);
		for (int i = g->nb - 1; i >= 0; i--) {
			ao += g->as[i];
			bo += g->bs[i];
			if (++idx[i] < g->bt[i])
				break;
			ao -= g->as[i] * g->bt[i];
			bo -= g->bs[i] * g->bt[i];
			idx[i] = 0;
		}
	}
}

/* The batched product a b of int64 operands, wrapping. */
static int64_t *mm_ints(interp_ctx *x, const mmgeo *g, const int64_t *a, const int64_t *b, int64_t n)
{
	int64_t *y = ir_alloc_array(x->c, (size_t)n, sizeof *y);
	mm_batched(x, g, a, b, y, sizeof *y, core_i64);
	return y;
}

static int matmul_plain(interp_ctx *x, const interp_tensor *const *in, interp_tensor *out)
{
	mmgeo g;
	int64_t n = numel(&out->type);
	mm_geo(&in[0]->type, &in[1]->type, &g);
	if (ir_dtype_is_int(out->type.dtype)) {
		int64_t *y = mm_ints(x, &g, load_i64(x, in[0]), load_i64(x, in[1]), n);
		for (int64_t i = 0; i < n; i++)
			interp_set_i(out, i, y[i]);
		return 0;
	}
	float *y = result_f32(x, out);
	mm_batched(x, &g, load_f32(x, in[0]), load_f32(x, in[1]), y, sizeof *y, core_f32);
	store_f32(out, y);
	return 0;
}

/* ---- quantized MatMul ------------------------------------------------------- */

/* Element i of an optional scalar-or-1-D parameter (0 when absent). */
static int64_t param_i(const interp_tensor *t, int64_t i)
{
	if (!t)
		return 0;
	return interp_get_i(t, numel(&t->type) == 1 ? 0 : i);
}

static float param_f(const interp_tensor *t, int64_t i)
{
	return (float)interp_get_f(t, numel(&t->type) == 1 ? 0 : i);
}

/*
** v[0..n) minus zero points: element i uses zero[i / stride % period], or
** zero[0] when nz is 1.
*/
static void minus_zero(int64_t *v, int64_t n, const int32_t *zero, int32_t nz, int64_t stride, int64_t period)
{
	for (int64_t i = 0; i < n; i++)
		v[i] -= zero[nz == 1 ? 0 : i / stride % period];
}

/* The values of an optional zero-point operand (*nz of them; {0} when absent). */
static int32_t *zeros_of(interp_ctx *x, const interp_tensor *zp, int32_t *nz)
{
	int64_t n = zp ? numel(&zp->type) : 1;
	int32_t *z = ir_alloc_array(x->c, (size_t)n, sizeof *z);
	for (int64_t i = 0; zp && i < n; i++)
		z[i] = (int32_t)interp_get_i(zp, i);
	*nz = (int32_t)n;
	return z;
}

/*
** The operands of a quantized matmul as int64 minus their zero points: a's
** zero point is per row (dim -2), b's per column (dim -1).
*/
static void q_operands(interp_ctx *x, const interp_tensor *a, const interp_tensor *azp,
		       const interp_tensor *b, const interp_tensor *bzp, const mmgeo *g,
		       int64_t **qa, int64_t **qb)
{
	int32_t nza, nzb;
	const int32_t *za = zeros_of(x, azp, &nza), *zb = zeros_of(x, bzp, &nzb);
	*qa = load_i64(x, a);
	*qb = load_i64(x, b);
	minus_zero(*qa, numel(&a->type), za, nza, g->k, g->m);
	minus_zero(*qb, numel(&b->type), zb, nzb, 1, g->n);
}

/*
** Quantized results (docs/ir.md, "Quantized arithmetic") of a product c of
** n columns: c plus the column's bias with int32 wraparound, requantized by
** the column's multiplier, plus z_y, clamped.
*/
static void store_requant(interp_tensor *out, const int64_t *c, const ir_qop *p, int64_t n,
			  const interp_tensor *bias)
{
	int64_t total = numel(&out->type);
	for (int64_t e = 0; e < total; e++) {
		int64_t j = e % n, b = bias ? interp_get_i(bias, j) : 0;
		int32_t v = (int32_t)(uint32_t)((uint64_t)c[e] + (uint64_t)b);
		int64_t q = p->y_zero + ir_requant_apply(v, p->rq[p->n_ch == 1 ? 0 : j]);
		interp_set_i(out, e, q < p->lo ? p->lo : q > p->hi ? p->hi : q);
	}
}

/* MatMul on quantized operands: a per tensor, b per tensor or per column. */
static int matmul_quant(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	mmgeo g;
	ir_qop p;
	if (ir_qop_params(x->g, op, &p) < 0)
		return ir_error(x->c, op->loc, "'MatMul' op: invalid quantized form (not verified?)");
	mm_geo(&in[0]->type, &in[1]->type, &g);
	int64_t *qa = load_i64(x, in[0]), *qb = load_i64(x, in[1]);
	minus_zero(qa, numel(&in[0]->type), p.in_zero, 1, 1, 1);
	minus_zero(qb, numel(&in[1]->type), p.w_zero, p.n_ch, 1, g.n);
	store_requant(out, mm_ints(x, &g, qa, qb, numel(&out->type)), &p, g.n, NULL);
	return 0;
}

/* MatMulInteger: a, b, optional a_zp, b_zp; i32 result. */
static int matmul_integer(interp_ctx *x, const ir_op *op, const interp_tensor *const *in,
			  interp_tensor *out)
{
	mmgeo g;
	int64_t *qa, *qb, n = numel(&out->type);
	mm_geo(&in[0]->type, &in[1]->type, &g);
	q_operands(x, in[0], opt(op, in, 2), in[1], opt(op, in, 3), &g, &qa, &qb);
	int64_t *y = mm_ints(x, &g, qa, qb, n);
	for (int64_t i = 0; i < n; i++)
		interp_set_i(out, i, y[i]);
	return 0;
}

static void qrange(ir_dtype dt, double *lo, double *hi)
{
	int bits = ir_dtype_bits(dt);
	bool sg = dt == IR_I8 || dt == IR_I16 || dt == IR_I32 || dt == IR_I64 || dt == IR_I4;
	*lo = sg ? -ldexp(1, bits - 1) : 0;
	*hi = sg ? ldexp(1, bits - 1) - 1 : ldexp(1, bits) - 1;
}

/*
** QLinearMatMul (a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp), as the
** ONNX reference: the int32 product times the f32 multiplier
** a_scale*b_scale/y_scale, in double, plus y_zp, rounded half to even and
** saturated.  a's parameters and y's are per row, b's per column.
*/
static int qlinear_matmul(interp_ctx *x, const interp_tensor *const *in, interp_tensor *out)
{
	mmgeo g;
	int64_t *qa, *qb, n = numel(&out->type);
	double lo, hi;
	mm_geo(&in[0]->type, &in[3]->type, &g);
	q_operands(x, in[0], in[2], in[3], in[5], &g, &qa, &qb);
	int64_t *c = mm_ints(x, &g, qa, qb, n);
	qrange(out->type.dtype, &lo, &hi);
	for (int64_t e = 0; e < n; e++) {
		int64_t i = e / g.n % g.m, j = e % g.n;
		float ab = param_f(in[1], i) * param_f(in[4], j);
		float mult = ab / param_f(in[6], i);
		double v = nearbyint((double)(int32_t)c[e] * mult + (double)param_i(in[7], i));
		interp_set_i(out, e, isnan(v) ? 0 : (int64_t)(v < lo ? lo : v > hi ? hi : v)); /* NaN: a NaN scale */
	}
	return 0;
}

int interp_matmul(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	if (op->kind == IR_OP_MATMUL && ir_op_is_quantized(x->g, op))
		return matmul_quant(x, op, in, out);
	switch (op->kind) {
	case IR_OP_QLINEARMATMUL:
		return qlinear_matmul(x, in, out);
	case IR_OP_MATMULINTEGER:
		return matmul_integer(x, op, in, out);
	default:
		return matmul_plain(x, in, out);
	}
}

/* ---- Gemm ----------------------------------------------------------------- */

typedef struct gemm {
	int64_t m, k, n;
	int ta, tb;
	double alpha, beta;
	const interp_tensor *c;         /* NULL when absent or beta is 0 */
	int64_t cm, cn;                 /* C's dims aligned to [m, n] */
} gemm;

/* Dims and scalars of a Gemm; C is dropped when beta is 0, as in the reference. */
static void gemm_geo(const ir_op *op, const interp_tensor *const *in, gemm *g)
{
	const ir_type *a = &in[0]->type, *b = &in[1]->type;
	*g = (gemm){.ta = ir_op_int(op, "transA", 0) != 0, .tb = ir_op_int(op, "transB", 0) != 0,
		    .alpha = ir_op_float(op, "alpha", 1), .beta = ir_op_float(op, "beta", 1)};
	g->m = a->dims[g->ta];
	g->k = a->dims[1 - g->ta];
	g->n = b->dims[1 - g->tb];
	g->c = g->beta != 0 ? opt(op, in, 2) : NULL;
	if (g->c) {
		const ir_type *c = &g->c->type;
		g->cm = c->rank == 2 ? c->dims[0] : 1;
		g->cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
	}
}

/* Index into C of result element (i, j). */
static int64_t c_index(const gemm *g, int64_t i, int64_t j)
{
	return (g->cm == 1 ? 0 : i) * g->cn + (g->cn == 1 ? 0 : j);
}

static int64_t trunc_i64(double v)
{
	if (!(v > -9.2e18 && v < 9.2e18))
		return v > 0 ? INT64_MAX : INT64_MIN;
	return (int64_t)v;
}

/* Integer Gemm: exact when alpha and beta are 1, else in double, truncated. */
static void gemm_ints(interp_ctx *x, const gemm *g, const interp_tensor *const *in, interp_tensor *out)
{
	mmgeo mg = {.m = g->m, .k = g->k, .n = g->n};
	const int64_t *a = load_i64(x, in[0]), *b = load_i64(x, in[1]);
	if (g->ta)
		a = transposed(x, a, g->k, g->m, sizeof *a);
	if (g->tb)
		b = transposed(x, b, g->n, g->k, sizeof *b);
	int64_t *y = mm_ints(x, &mg, a, b, g->m * g->n);
	bool exact = g->alpha == 1 && g->beta == 1;
	for (int64_t i = 0; i < g->m; i++) {
		for (int64_t j = 0; j < g->n; j++) {
			int64_t e = i * g->n + j, c = g->c ? interp_get_i(g->c, c_index(g, i, j)) : 0;
			if (exact)
				interp_set_i(out, e, (int64_t)((uint64_t)y[e] + (uint64_t)c));
			else
				interp_set_i(out, e, trunc_i64((double)y[e] * g->alpha +
							       (double)c * g->beta));
		}
	}
}

/* Float Gemm: the f32 product of row-major copies, then alpha and beta*C in double. */
static void gemm_floats(interp_ctx *x, const gemm *g, const interp_tensor *const *in, interp_tensor *out)
{
	mmgeo mg = {.m = g->m, .k = g->k, .n = g->n};
	const float *a = load_f32(x, in[0]), *b = load_f32(x, in[1]);
	double *acc = ir_alloc_array(x->c, (size_t)g->n, sizeof *acc);
	float *y = result_f32(x, out);
	if (g->ta)
		a = transposed(x, a, g->k, g->m, sizeof *a);
	if (g->tb)
		b = transposed(x, b, g->n, g->k, sizeof *b);
	core_f32(a, b, y, &mg, acc);
	if (g->alpha != 1 || g->c) {
		for (int64_t i = 0; i < g->m; i++) {
			for (int64_t j = 0; j < g->n; j++) {
				double v = g->alpha * y[i * g->n + j];
				if (g->c)
					v += g->beta * interp_get_f(g->c, c_index(g, i, j));
				y[i * g->n + j] = (float)v;
			}
		}
	}
	store_f32(out, y);
}

/* Gemm on quantized operands (alpha = beta = 1): B per tensor or per
** column of op(B), C the i32 bias [N]. */
static int gemm_quant(interp_ctx *x, const ir_op *op, const gemm *g, const interp_tensor *const *in,
		      interp_tensor *out)
{
	mmgeo mg = {.m = g->m, .k = g->k, .n = g->n};
	ir_qop p;
	if (ir_qop_params(x->g, op, &p) < 0)
		return ir_error(x->c, op->loc, "'Gemm' op: invalid quantized form (not verified?)");
	int64_t *a = load_i64(x, in[0]), *b = load_i64(x, in[1]);
	if (g->ta)
		a = transposed(x, a, g->k, g->m, sizeof *a);
	if (g->tb)
		b = transposed(x, b, g->n, g->k, sizeof *b);
	minus_zero(a, g->m * g->k, p.in_zero, 1, 1, 1);
	minus_zero(b, g->k * g->n, p.w_zero, p.n_ch, 1, g->n);
	store_requant(out, mm_ints(x, &mg, a, b, g->m * g->n), &p, g->n, opt(op, in, 2));
	return 0;
}

/* y = alpha*op(A)*op(B) + beta*C, C broadcast one way to [M, N]. */
int interp_gemm(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	gemm g;
	gemm_geo(op, in, &g);
	if (ir_op_is_quantized(x->g, op))
		return gemm_quant(x, op, &g, in, out);
	if (ir_dtype_is_int(out->type.dtype))
		gemm_ints(x, &g, in, out);
	else
		gemm_floats(x, &g, in, out);
	return 0;
}
