/*
** requant.c - requantization by integer multiplier and shift, and the
** integer constants of quantized ops (requant.h).
**
** Everything here is exact integer or exactly specified double arithmetic,
** so that a compiled kernel that precomputes the same constants with the
** same functions matches the interpreter bit for bit.
*/
#include <math.h>

#include "ir/requant.h"

int ir_requant_derive(double m, ir_requant *r)
{
	int e;
	if (!(m > 0) || isinf(m))
		return -1;
	double f = frexp(m, &e);
	int64_t q = (int64_t)floor(f * 2147483648.0 + 0.5); /* f * 2^31 is exact */
	if (q == (int64_t)1 << 31) {
		q >>= 1;
		e++;
	}
	int s = 31 - e;
	if (s < IR_REQUANT_MIN_SHIFT || s > IR_REQUANT_MAX_SHIFT)
		return -1;
	*r = (ir_requant){(int32_t)q, s};
	return 0;
}

int ir_requant_derive2(double ma, double mb, ir_requant *ra, ir_requant *rb)
{
	bool a_big = ma >= mb;
	ir_requant big, small;
	if (!(ma > 0) || !(mb > 0) || ir_requant_derive(a_big ? ma : mb, &big) < 0)
		return -1;
	/* m * 2^S is exact (a power-of-two scaling) and below 2^31 */
	small.mult = (int32_t)floor(ldexp(a_big ? mb : ma, big.shift) + 0.5);
	small.shift = big.shift;
	*ra = a_big ? big : small;
	*rb = a_big ? small : big;
	return 0;
}

/* Floor division by 2^s of t, without relying on >> of negative numbers. */
static int64_t floor_shift(int64_t t, int s)
{
	return t >= 0 ? t >> s : -((-(t + 1)) >> s) - 1;
}

int64_t ir_requant_round_shift(int64_t v, int s)
{
	return floor_shift(v + ((int64_t)1 << (s - 1)), s);
}

int64_t ir_requant_apply(int32_t acc, ir_requant r)
{
	return ir_requant_round_shift((int64_t)acc * r.mult, r.shift);
}

double ir_requant_mult_linear(float sx, float sw, float sy)
{
	return (double)sx * (double)sw / (double)sy;
}

double ir_requant_mult_ratio(float sa, float sy)
{
	return (double)sa / (double)sy;
}

double ir_requant_mult_pool(float sx, float sy, int64_t count)
{
	return (double)sx / ((double)sy * (double)count);
}

void ir_requant_range(ir_dtype dt, int64_t *lo, int64_t *hi)
{
	switch (dt) {
	case IR_I8: *lo = INT8_MIN; *hi = INT8_MAX; return;
	case IR_U8: *lo = 0; *hi = UINT8_MAX; return;
	case IR_I16: *lo = INT16_MIN; *hi = INT16_MAX; return;
	case IR_I32: *lo = INT32_MIN; *hi = INT32_MAX; return;
	case IR_I4: *lo = -8; *hi = 7; return;
	default: *lo = INT64_MIN; *hi = INT64_MAX; return;
	}
}

int64_t ir_requant_quantize(float v, float s, int32_t z, int64_t lo, int64_t hi)
{
	float r = nearbyintf(v / s);
	if (isnan(r))
		r = 0;
	if (r < -0x1p40f)
		return lo;
	if (r > 0x1p40f)
		return hi;
	int64_t q = (int64_t)r + z;
	return q < lo ? lo : q > hi ? hi : q;
}

int ir_requant_clamp(const ir_type *y, const ir_activation *a, int64_t *lo, int64_t *hi)
{
	const ir_quant *q = y->quant;
	ir_requant_range(y->dtype, lo, hi);
	if (!q)
		return a->kind == IR_ACT_NONE ? 0 : -1;
	switch (a->kind) {
	case IR_ACT_NONE:
		return 0;
	case IR_ACT_RELU:
		*lo = ir_requant_quantize(0.0f, q->scale[0], q->zero[0], *lo, *hi);
		return 0;
	case IR_ACT_CLIP: {
		int64_t l = ir_requant_quantize(a->lo, q->scale[0], q->zero[0], *lo, *hi);
		*hi = ir_requant_quantize(a->hi, q->scale[0], q->zero[0], *lo, *hi);
		*lo = l;
		return 0;
	}
	default:
		return -1;
	}
}

/* ---- ops ------------------------------------------------------------------ */

static bool exempt(ir_opkind k)
{
	switch (k) {
	case IR_OP_CONST: case IR_OP_IDENTITY: case IR_OP_QUANTIZE: case IR_OP_DEQUANTIZE:
	case IR_OP_DYNQUANTIZE: case IR_OP_QLINEARCONV: case IR_OP_QLINEARMATMUL:
	case IR_OP_CONVINTEGER: case IR_OP_MATMULINTEGER:
		return true;
	default:
		return false;
	}
}

bool ir_op_is_quantized(const ir_graph *g, const ir_op *op)
{
	if ((unsigned)op->kind >= IR_NOPS || exempt(op->kind))
		return false;
	for (int32_t i = 0; i < op->n_in; i++)
		if (op->in[i] != IR_NOVAL && op->in[i] < g->n_vals && g->vals[op->in[i]].type.quant)
			return true;
	for (int32_t i = 0; i < op->n_out; i++)
		if (op->out[i] < g->n_vals && g->vals[op->out[i]].type.quant)
			return true;
	return false;
}

static const ir_quant *quant_of(const ir_graph *g, const ir_op *op, int i)
{
	return i < op->n_in && op->in[i] != IR_NOVAL ? g->vals[op->in[i]].type.quant : NULL;
}

/* in_zero and in_scale from operands 0..n of op; -1 if one is not quantized. */
static int inputs(const ir_graph *g, const ir_op *op, int32_t n, ir_qop *p)
{
	p->n_in = n;
	p->in_zero = ir_alloc_array(g->ctx, (size_t)n, sizeof *p->in_zero);
	p->in_scale = ir_alloc_array(g->ctx, (size_t)n, sizeof *p->in_scale);
	for (int32_t i = 0; i < n; i++) {
		const ir_quant *q = quant_of(g, op, i);
		if (!q)
			return -1;
		p->in_zero[i] = q->zero[0];
		p->in_scale[i] = q->scale[0];
	}
	return 0;
}

/* Conv, Gemm, MatMul: one multiplier per weight scale. */
static int linear(const ir_graph *g, const ir_op *op, ir_qop *p)
{
	const ir_quant *w = quant_of(g, op, 1);
	if (!w || inputs(g, op, 1, p) < 0)
		return -1;
	p->n_ch = w->n;
	p->w_zero = ir_alloc_array(g->ctx, (size_t)w->n, sizeof *p->w_zero);
	p->rq = ir_alloc_array(g->ctx, (size_t)w->n, sizeof *p->rq);
	for (int32_t c = 0; c < w->n; c++) {
		p->w_zero[c] = w->zero[c];
		if (ir_requant_derive(ir_requant_mult_linear(p->in_scale[0], w->scale[c], p->y_scale),
				      &p->rq[c]) < 0)
			return -1;
	}
	return 0;
}

/* Concat: one multiplier per operand, to the result's scale. */
static int concat(const ir_graph *g, const ir_op *op, ir_qop *p)
{
	if (inputs(g, op, op->n_in, p) < 0)
		return -1;
	p->rq = ir_alloc_array(g->ctx, (size_t)op->n_in, sizeof *p->rq);
	for (int32_t i = 0; i < op->n_in; i++)
		if (ir_requant_derive(ir_requant_mult_ratio(p->in_scale[i], p->y_scale), &p->rq[i]) < 0)
			return -1;
	return 0;
}

int ir_qop_params(const ir_graph *g, const ir_op *op, ir_qop *p)
{
	ir_activation a;
	*p = (ir_qop){0};
	if (!ir_op_is_quantized(g, op) || op->n_out < 1 || ir_op_activation(op, &a) < 0)
		return -1;
	const ir_type *y = &g->vals[op->out[0]].type;
	if (!y->quant || ir_requant_clamp(y, &a, &p->lo, &p->hi) < 0)
		return -1;
	p->y_zero = y->quant->zero[0];
	p->y_scale = y->quant->scale[0];
	switch (op->kind) {
	case IR_OP_CONV: case IR_OP_GEMM: case IR_OP_MATMUL:
		return linear(g, op, p);
	case IR_OP_ADD:
		if (inputs(g, op, 2, p) < 0)
			return -1;
		p->rq = ir_alloc_array(g->ctx, 2, sizeof *p->rq);
		return ir_requant_derive2(ir_requant_mult_ratio(p->in_scale[0], p->y_scale),
					  ir_requant_mult_ratio(p->in_scale[1], p->y_scale), &p->rq[0], &p->rq[1]);
	case IR_OP_AVGPOOL: case IR_OP_GLOBALAVGPOOL:
		return inputs(g, op, 1, p);
	case IR_OP_CONCAT:
		return concat(g, op, p);
	default:
		return inputs(g, op, 1, p);
	}
}
