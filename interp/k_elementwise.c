/*
** k_elementwise.c - kernels of the elementwise families: copy, unary,
** clip, binary, where and cast.
**
** Float element types compute in double and round once to the result type
** (for f32 operands of + - * / that is exactly IEEE single arithmetic);
** integer types compute exactly in int64 and wrap to the result type.
** Broadcasting is numpy's: dims align at the right, a dim of 1 repeats.
** NaN propagates through Min, Max and Clip as in numpy.  Pow computes in
** double even for an integer base (ONNX allows one; the IR does not yet),
** truncating the result as numpy's astype does.  Add, Relu and Clip on
** quantized operands compute on the stored integers (docs/ir.md,
** "Quantized arithmetic").
*/
#include <math.h>
#include <string.h>

#include "interp/kernel.h"
#include "ir/requant.h"

static bool same_shape(const ir_type *a, const ir_type *b)
{
	return a->rank == b->rank && memcmp(a->dims, b->dims, sizeof *a->dims * (size_t)a->rank) == 0;
}

/* Index into x of element i of y, x broadcasting (numpy) to y's shape. */
static int64_t bindex(const ir_type *x, const ir_type *y, int64_t i)
{
	int64_t j = 0, stride = 1;
	for (int d = y->rank - 1, e = x->rank - 1; e >= 0; d--, e--) {
		int64_t c = i % y->dims[d];
		i /= y->dims[d];
		if (x->dims[e] != 1)
			j += c * stride;
		stride *= x->dims[e];
	}
	return j;
}

static int64_t at(const interp_tensor *x, const interp_tensor *y, int64_t i)
{
	return same_shape(&x->type, &y->type) ? i : bindex(&x->type, &y->type, i);
}

static bool is_float(const interp_tensor *t)
{
	return ir_dtype_is_float(t->type.dtype);
}

/* y[i] = x[j], value-preserving between tensors of one element type. */
static void move(interp_tensor *y, int64_t i, const interp_tensor *x, int64_t j)
{
	if (is_float(x))
		interp_set_f(y, i, interp_get_f(x, j));
	else
		interp_set_i(y, i, interp_get_i(x, j));
}

static double fmin_nan(double a, double b)
{
	return isnan(a) ? a : isnan(b) ? b : b < a ? b : a;
}

static double fmax_nan(double a, double b)
{
	return isnan(a) ? a : isnan(b) ? b : b > a ? b : a;
}

/* ---- copy ---------------------------------------------------------------- */

/* Identity, Reshape, Flatten, Squeeze, Unsqueeze: the bytes, unchanged. */
int interp_copy(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	int64_t n;
	(void)x;
	(void)op;
	if (ir_type_bytes(&out[0].type, &n) == 0 && n > 0)
		memcpy(out[0].data, in[0]->data, (size_t)n);
	return 0;
}

/* ---- unary --------------------------------------------------------------- */

typedef struct unop {
	ir_opkind k;
	double alpha, beta, gamma;
} unop;

static double hardsigmoid(double v, double alpha, double beta)
{
	return fmax_nan(0, fmin_nan(1, alpha * v + beta));
}

static double unary_f(const unop *u, double v)
{
	switch (u->k) {
	case IR_OP_RELU: return v < 0 ? 0 : v;
	case IR_OP_LEAKYRELU: return v < 0 ? u->alpha * v : v;
	case IR_OP_ELU: return v < 0 ? u->alpha * (exp(v) - 1) : v;
	case IR_OP_SELU: return u->gamma * (v <= 0 ? u->alpha * (exp(v) - 1) : v);
	case IR_OP_SIGMOID: return v >= 0 ? 1 / (1 + exp(-v)) : exp(v) / (1 + exp(v));
	case IR_OP_HARDSIGMOID: return hardsigmoid(v, u->alpha, u->beta);
	case IR_OP_HARDSWISH: return v * hardsigmoid(v, 1.0 / 6, 0.5);
	case IR_OP_SOFTPLUS: return v > 0 ? v + log1p(exp(-v)) : log1p(exp(v));
	case IR_OP_TANH: return tanh(v);
	case IR_OP_EXP: return exp(v);
	case IR_OP_LOG: return log(v);
	case IR_OP_SQRT: return sqrt(v);
	case IR_OP_ERF: return erf(v);
	case IR_OP_SIN: return sin(v);
	case IR_OP_COS: return cos(v);
	case IR_OP_RECIPROCAL: return 1 / v;
	case IR_OP_NEG: return -v;
	case IR_OP_ABS: return fabs(v);
	case IR_OP_SIGN: return v > 0 ? 1 : v < 0 ? -1 : v;
	case IR_OP_FLOOR: return floor(v);
	case IR_OP_CEIL: return ceil(v);
	case IR_OP_ROUND: return nearbyint(v);
	default: return v;
	}
}

/* Relu, Neg, Abs and Sign on integers (wrapping), Not on bool. */
static int64_t unary_i(ir_opkind k, int64_t v)
{
	switch (k) {
	case IR_OP_RELU: return v < 0 ? 0 : v;
	case IR_OP_NEG: return (int64_t)(0 - (uint64_t)v);
	case IR_OP_ABS: return v < 0 ? (int64_t)(0 - (uint64_t)v) : v;
	case IR_OP_SIGN: return (v > 0) - (v < 0);
	case IR_OP_NOT: return !v;
	default: return v;
	}
}

/* Relu on quantized x: real max(v, 0) is max(q, z_x) on the stored integers. */
static void relu_quant(const interp_tensor *a, interp_tensor *y)
{
	int64_t n = numel(&a->type), z = a->type.quant->zero[0];
	for (int64_t i = 0; i < n; i++) {
		int64_t v = interp_get_i(a, i);
		interp_set_i(y, i, v < z ? z : v);
	}
}

int interp_unary(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const interp_tensor *a = in[0];
	int64_t n = numel(&a->type);
	unop u = {op->kind, ir_op_float(op, "alpha", 0), ir_op_float(op, "beta", 0),
		  ir_op_float(op, "gamma", 0)};
	if (op->kind == IR_OP_RELU && a->type.quant && ir_op_is_quantized(x->g, op)) {
		relu_quant(a, &out[0]);
		return 0;
	}
	for (int64_t i = 0; i < n; i++) {
		if (is_float(a))
			interp_set_f(&out[0], i, unary_f(&u, interp_get_f(a, i)));
		else
			interp_set_i(&out[0], i, unary_i(op->kind, interp_get_i(a, i)));
	}
	return 0;
}

/* ---- clip ---------------------------------------------------------------- */

/* A bound of a quantized Clip as a stored integer of x's parameters: an
** f32 bound is a real value, quantized as QuantizeLinear would; an integer
** bound carries x's parameters already.  Absent: the type's range end. */
static int64_t qbound(const interp_tensor *b, const interp_tensor *a, int64_t dflt)
{
	int64_t lo, hi;
	const ir_quant *q = a->type.quant;
	if (!b)
		return dflt;
	if (!is_float(b))
		return interp_get_i(b, 0);
	ir_requant_range(a->type.dtype, &lo, &hi);
	return ir_requant_quantize((float)interp_get_f(b, 0), q->scale[0], q->zero[0], lo, hi);
}

/* Absent bounds are -inf and +inf, or the integer type's whole range; as
** numpy's clip, min(max(x, lo), hi), so hi wins when lo > hi.  On quantized
** x the bounds are quantized first (qbound). */
int interp_clip(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const interp_tensor *a = in[0], *lo = op->n_in > 1 ? in[1] : NULL, *hi = op->n_in > 2 ? in[2] : NULL;
	int64_t n = numel(&a->type);
	if (a->type.quant && ir_op_is_quantized(x->g, op)) {
		int64_t tlo, thi;
		ir_requant_range(a->type.dtype, &tlo, &thi);
		int64_t l = qbound(lo, a, tlo), h = qbound(hi, a, thi);
		for (int64_t i = 0; i < n; i++) {
			int64_t v = interp_get_i(a, i);
			v = v < l ? l : v;
			interp_set_i(&out[0], i, v > h ? h : v);
		}
		return 0;
	}
	if (is_float(a)) {
		double l = lo ? interp_get_f(lo, 0) : -INFINITY, h = hi ? interp_get_f(hi, 0) : INFINITY;
		for (int64_t i = 0; i < n; i++)
			interp_set_f(&out[0], i, fmin_nan(fmax_nan(interp_get_f(a, i), l), h));
		return 0;
	}
	int64_t l = lo ? interp_get_i(lo, 0) : INT64_MIN, h = hi ? interp_get_i(hi, 0) : INT64_MAX;
	for (int64_t i = 0; i < n; i++) {
		int64_t v = interp_get_i(a, i);
		v = v < l ? l : v;
		interp_set_i(&out[0], i, v > h ? h : v);
	}
	return 0;
}

/* ---- binary -------------------------------------------------------------- */

static bool is_compare(ir_opkind k)
{
	return k == IR_OP_EQUAL || k == IR_OP_LESS || k == IR_OP_GREATER;
}

static double binary_f(ir_opkind k, double a, double b)
{
	switch (k) {
	case IR_OP_ADD: return a + b;
	case IR_OP_SUB: return a - b;
	case IR_OP_MUL: return a * b;
	case IR_OP_DIV: return a / b;
	case IR_OP_POW: return pow(a, b);
	case IR_OP_MIN: return fmin_nan(a, b);
	case IR_OP_MAX: return fmax_nan(a, b);
	case IR_OP_EQUAL: return a == b;
	case IR_OP_LESS: return a < b;
	case IR_OP_GREATER: return a > b;
	case IR_OP_PRELU: return a < 0 ? b * a : a;
	default: return 0;
	}
}

/* Integer and bool operations, wrapping; Div by zero is checked before. */
static int64_t binary_i(ir_opkind k, int64_t a, int64_t b)
{
	switch (k) {
	case IR_OP_ADD: return (int64_t)((uint64_t)a + (uint64_t)b);
	case IR_OP_SUB: return (int64_t)((uint64_t)a - (uint64_t)b);
	case IR_OP_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
	case IR_OP_DIV: return b == -1 ? (int64_t)(0 - (uint64_t)a) : a / b;
	case IR_OP_MIN: return a < b ? a : b;
	case IR_OP_MAX: return a > b ? a : b;
	case IR_OP_EQUAL: return a == b;
	case IR_OP_LESS: return a < b;
	case IR_OP_GREATER: return a > b;
	case IR_OP_AND: return a && b;
	case IR_OP_OR: return a || b;
	case IR_OP_XOR: return !a != !b;
	default: return 0;
	}
}

/* Element i of the result; -1 after a diagnostic (integer division by zero). */
static int binary_at(interp_ctx *x, const ir_op *op, const interp_tensor *a, const interp_tensor *b,
		     interp_tensor *y, int64_t i)
{
	int64_t ia = at(a, y, i), ib = at(b, y, i);
	if (is_float(a) || op->kind == IR_OP_POW) {
		double r = binary_f(op->kind, interp_get_f(a, ia), interp_get_f(b, ib));
		if (is_compare(op->kind))
			interp_set_i(y, i, r != 0);
		else
			interp_set_f(y, i, r);
		return 0;
	}
	int64_t vb = interp_get_i(b, ib);
	if (op->kind == IR_OP_DIV && vb == 0)
		return ir_error(x->c, op->loc, "'%s' op: integer division by zero", ir_op_name(op->kind));
	interp_set_i(y, i, binary_i(op->kind, interp_get_i(a, ia), vb));
	return 0;
}

/*
** Add on quantized operands (docs/ir.md, "Quantized arithmetic"): both
** terms scaled by their integer multipliers, which share one shift, summed
** exactly in int64 and rounded once; plus z_y, clamped.
*/
static int add_quant(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *y)
{
	ir_qop p;
	int64_t n = numel(&y->type);
	if (ir_qop_params(x->g, op, &p) < 0)
		return ir_error(x->c, op->loc, "'Add' op: invalid quantized form (not verified?)");
	for (int64_t i = 0; i < n; i++) {
		int64_t a = interp_get_i(in[0], at(in[0], y, i)) - p.in_zero[0];
		int64_t b = interp_get_i(in[1], at(in[1], y, i)) - p.in_zero[1];
		int64_t q = p.y_zero + ir_requant_round_shift(a * p.rq[0].mult + b * p.rq[1].mult, p.rq[0].shift);
		interp_set_i(y, i, q < p.lo ? p.lo : q > p.hi ? p.hi : q);
	}
	return 0;
}

/* Add ... Xor and PRelu (whose slope broadcasts to x, the result's shape). */
int interp_binary(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	int64_t n = numel(&out[0].type);
	if (op->kind == IR_OP_ADD && ir_op_is_quantized(x->g, op))
		return add_quant(x, op, in, &out[0]);
	for (int64_t i = 0; i < n; i++)
		if (binary_at(x, op, in[0], in[1], &out[0], i) < 0)
			return -1;
	return 0;
}

/* ---- where --------------------------------------------------------------- */

int interp_where(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	interp_tensor *y = &out[0];
	int64_t n = numel(&y->type);
	(void)x;
	(void)op;
	for (int64_t i = 0; i < n; i++) {
		const interp_tensor *src = interp_get_i(in[0], at(in[0], y, i)) ? in[1] : in[2];
		move(y, i, src, at(src, y, i));
	}
	return 0;
}

/* ---- cast ---------------------------------------------------------------- */

/*
** Float to integer truncates toward zero and saturates to the target range
** (ONNX leaves out-of-range values undefined), NaN giving 0; integer to
** float rounds to nearest even; integer to integer wraps; anything to bool
** is "nonzero" (NaN is true, as numpy has it).
*/
int interp_cast(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const interp_tensor *a = in[0];
	interp_tensor *y = &out[0];
	int64_t n = numel(&a->type);
	(void)x;
	(void)op;
	for (int64_t i = 0; i < n; i++) {
		if (y->type.dtype == IR_BOOL)
			interp_set_i(y, i, is_float(a) ? interp_get_f(a, i) != 0 : interp_get_i(a, i) != 0);
		else if (is_float(a))
			interp_set_f(y, i, interp_get_f(a, i));
		else
			interp_set_i(y, i, interp_get_i(a, i));
	}
	return 0;
}
