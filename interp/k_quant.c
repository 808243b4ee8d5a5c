/*
** k_quant.c - kernels of the quant family: QuantizeLinear, DequantizeLinear
** and DynamicQuantizeLinear, as ONNX's reference computes them.
**
** Scale and zero point are operands (quantization parameters on the IR
** types are ignored here): a scalar, or 1-D with one value per index of x's
** dim 'axis'.  QuantizeLinear divides in f32 and rounds half to even
** (nearbyintf), adds the zero point as an integer and saturates to the
** result type; a NaN quotient counts as 0 (ONNX leaves it undefined).
** DequantizeLinear computes (x - zero_point) * scale with numpy's
** promotions: exact in f32 for 8- and 16-bit x, through double for i32.
*/
#include <math.h>

#include "interp/kernel.h"

/*
** Which scale and zero point apply to element i of x: 0 per-tensor; per
** axis, the element's index along dim 'axis'.
*/
typedef struct qmap {
	int64_t n, inner;       /* n == 0: per-tensor */
} qmap;

static qmap qmap_of(const ir_op *op, const ir_type *x, const interp_tensor *scale)
{
	qmap q = {0, 1};
	if (scale->type.rank == 0 || scale->type.dims[0] == 1) /* one value: per-tensor */
		return q;
	int64_t axis = ir_op_int(op, "axis", 1);
	axis = axis < 0 ? axis + x->rank : axis;
	q.n = x->dims[axis];
	for (int d = (int)axis + 1; d < x->rank; d++)
		q.inner *= x->dims[d];
	return q;
}

static int64_t qindex(qmap q, int64_t i)
{
	return q.n ? i / q.inner % q.n : 0;
}

/* saturate(round_half_even(v / s) + zp) into [lo, hi]. */
static int64_t quantize(float v, float s, int64_t zp, int64_t lo, int64_t hi)
{
	float r = nearbyintf(v / s);
	if (isnan(r))
		r = 0;
	if (r < -0x1p40f)
		return lo;
	if (r > 0x1p40f)
		return hi;
	int64_t q = (int64_t)r + zp;
	return q < lo ? lo : q > hi ? hi : q;
}

static void quantize_linear(const ir_op *op, const interp_tensor *const *in, interp_tensor *y)
{
	const interp_tensor *x = in[0], *s = in[1], *z = op->n_in > 2 ? in[2] : NULL;
	qmap q = qmap_of(op, &x->type, s);
	int64_t n = numel(&x->type), lo, hi;
	int_range(y->type.dtype, &lo, &hi);
	for (int64_t i = 0; i < n; i++) {
		int64_t c = qindex(q, i);
		int64_t zp = z ? interp_get_i(z, c) : 0;
		interp_set_i(y, i, quantize((float)interp_get_f(x, i), (float)interp_get_f(s, c), zp, lo, hi));
	}
}

static void dequantize_linear(const ir_op *op, const interp_tensor *const *in, interp_tensor *y)
{
	const interp_tensor *x = in[0], *s = in[1], *z = op->n_in > 2 ? in[2] : NULL;
	qmap q = qmap_of(op, &x->type, s);
	int64_t n = numel(&x->type);
	for (int64_t i = 0; i < n; i++) {
		int64_t c = qindex(q, i);
		double zp = z ? (double)interp_get_i(z, c) : 0;
		double d = (double)(float)interp_get_i(x, i) - zp;
		interp_set_f(y, i, d * interp_get_f(s, c));
	}
}

/*
** u8 y, scale and zero point from the range [min(x, 0), max(x, 0)] (ONNX's
** reference: all in f32; an all-zero x gives scale 1, zero point 0).
*/
static void dynamic_quantize(const interp_tensor *x, interp_tensor *out)
{
	int64_t n = numel(&x->type);
	float lo = 0, hi = 0;
	for (int64_t i = 0; i < n; i++) {
		float v = (float)interp_get_f(x, i);
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	float scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
	float zp = 0.0f - lo / scale;
	zp = isnan(zp) ? 0 : nearbyintf(zp < 0 ? 0 : zp > 255 ? 255 : zp); /* NaN: -inf in x */
	for (int64_t i = 0; i < n; i++)
		interp_set_i(&out[0], i, quantize((float)interp_get_f(x, i), scale, (int64_t)zp, 0, 255));
	interp_set_f(&out[1], 0, scale);
	interp_set_i(&out[2], 0, (int64_t)zp);
}

int interp_quant(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	(void)x;
	if (op->kind == IR_OP_QUANTIZE)
		quantize_linear(op, in, &out[0]);
	else if (op->kind == IR_OP_DEQUANTIZE)
		dequantize_linear(op, in, &out[0]);
	else
		dynamic_quantize(in[0], out);
	return 0;
}
