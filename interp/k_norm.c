/*
** k_norm.c - kernels of the softmax family (Softmax, LogSoftmax, Hardmax;
** opset 13 semantics: along one axis) and the norm family
** (BatchNormalization in inference mode, InstanceNormalization,
** LayerNormalization).
**
** Everything computes in double and rounds once to the result type.  NaN
** propagates as in numpy: a NaN along a softmax axis makes that whole
** slice NaN, and Hardmax (numpy argmax) puts its 1 at the first NaN.
*/
#include <math.h>

#include "interp/kernel.h"

/* Index into s of element i of x, s broadcasting (numpy) to x's shape. */
static int64_t bindex(const ir_type *s, const ir_type *x, int64_t i)
{
	int64_t j = 0, stride = 1;
	for (int d = x->rank - 1, e = s->rank - 1; e >= 0; d--, e--) {
		int64_t c = i % x->dims[d];
		i /= x->dims[d];
		if (s->dims[e] != 1)
			j += c * stride;
		stride *= s->dims[e];
	}
	return j;
}

/* ---- softmax ------------------------------------------------------------- */

/* Max of the n elements from base, step inner; NaN wins; *first gets the
** index of the first maximum (numpy argmax). */
static double slice_max(const interp_tensor *t, int64_t base, int64_t n, int64_t inner, int64_t *first)
{
	double m = -INFINITY;
	*first = 0;
	for (int64_t k = 0; k < n; k++) {
		double v = interp_get_f(t, base + k * inner);
		if (isnan(m))
			break;
		if (isnan(v) || v > m) {
			m = v;
			*first = k;
		}
	}
	return m;
}

static void softmax_slice(const ir_op *op, const interp_tensor *x, interp_tensor *y, int64_t base,
			  int64_t n, int64_t inner)
{
	int64_t first;
	double m = slice_max(x, base, n, inner, &first), sum = 0;
	if (op->kind == IR_OP_HARDMAX) {
		for (int64_t k = 0; k < n; k++)
			interp_set_f(y, base + k * inner, k == first);
		return;
	}
	for (int64_t k = 0; k < n; k++)
		sum += exp(interp_get_f(x, base + k * inner) - m);
	for (int64_t k = 0; k < n; k++) {
		double d = interp_get_f(x, base + k * inner) - m;
		interp_set_f(y, base + k * inner, op->kind == IR_OP_LOGSOFTMAX ? d - log(sum) : exp(d) / sum);
	}
}

int interp_softmax(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	int64_t outer, n, inner;
	(void)x;
	split(&in[0]->type, get_axis(op, &in[0]->type, -1), &outer, &n, &inner);
	for (int64_t o = 0; o < outer; o++)
		for (int64_t j = 0; j < inner; j++)
			softmax_slice(op, in[0], &out[0], o * n * inner + j, n, inner);
	return 0;
}

/* ---- norm ---------------------------------------------------------------- */

/* y = scale*(x-mean)/sqrt(var+epsilon) + B, per channel (dim 1). */
static void batchnorm(const ir_op *op, const interp_tensor *const *in, interp_tensor *y)
{
	int64_t outer, c, inner;
	double eps = ir_op_float(op, "epsilon", 1e-5f);
	split(&in[0]->type, 1, &outer, &c, &inner);
	for (int64_t r = 0; r < outer * c; r++) {
		double s = interp_get_f(in[1], r % c), b = interp_get_f(in[2], r % c);
		double mean = interp_get_f(in[3], r % c), sd = sqrt(interp_get_f(in[4], r % c) + eps);
		for (int64_t k = r * inner; k < (r + 1) * inner; k++)
			interp_set_f(y, k, s * (interp_get_f(in[0], k) - mean) / sd + b);
	}
}

/* Mean and (population) variance of the n elements from base, step 1. */
static void moments(const interp_tensor *t, int64_t base, int64_t n, double *mean, double *var)
{
	double sum = 0, sq = 0;
	for (int64_t k = 0; k < n; k++)
		sum += interp_get_f(t, base + k);
	*mean = sum / (double)n;
	for (int64_t k = 0; k < n; k++) {
		double d = interp_get_f(t, base + k) - *mean;
		sq += d * d;
	}
	*var = sq / (double)n;
}

/* Mean and variance per (n, c) over the spatial dims. */
static void instnorm(const ir_op *op, const interp_tensor *const *in, interp_tensor *y)
{
	int64_t outer, c, inner;
	double eps = ir_op_float(op, "epsilon", 1e-5f), mean, var;
	split(&in[0]->type, 1, &outer, &c, &inner);
	for (int64_t r = 0; r < outer * c; r++) {
		moments(in[0], r * inner, inner, &mean, &var);
		double s = interp_get_f(in[1], r % c), b = interp_get_f(in[2], r % c);
		for (int64_t k = 0; k < inner; k++) {
			double v = interp_get_f(in[0], r * inner + k);
			interp_set_f(y, r * inner + k, s * (v - mean) / sqrt(var + eps) + b);
		}
	}
}

/*
** Mean and variance per row of x viewed as [prod(dims[:axis]),
** prod(dims[axis:])]; scale and the optional B broadcast to x.  Results 1
** and 2, when present, receive the rows' Mean and InvStdDev.
*/
static void layernorm(const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const interp_tensor *x = in[0], *s = in[1], *b = op->n_in > 2 ? in[2] : NULL;
	int axis = get_axis(op, &x->type, -1);
	int64_t rows, n, cols;
	double eps = ir_op_float(op, "epsilon", 1e-5f), mean, var;
	split(&x->type, axis, &rows, &n, &cols);
	cols *= n;
	for (int64_t r = 0; r < rows; r++) {
		moments(x, r * cols, cols, &mean, &var);
		double inv = 1 / sqrt(var + eps);
		for (int64_t i = r * cols; i < (r + 1) * cols; i++) {
			double v = (interp_get_f(x, i) - mean) * inv * interp_get_f(s, bindex(&s->type, &x->type, i));
			interp_set_f(&out[0], i, b ? v + interp_get_f(b, bindex(&b->type, &x->type, i)) : v);
		}
		if (op->n_out > 1)
			interp_set_f(&out[1], r, mean);
		if (op->n_out > 2)
			interp_set_f(&out[2], r, inv);
	}
}

int interp_norm(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	(void)x;
	if (op->kind == IR_OP_BATCHNORM)
		batchnorm(op, in, &out[0]);
	else if (op->kind == IR_OP_INSTANCENORM)
		instnorm(op, in, &out[0]);
	else
		layernorm(op, in, out);
	return 0;
}
