/*
** requant.h - the integer semantics of quantized arithmetic (docs/ir.md,
** "Quantized arithmetic").
**
** A quantized op is an ordinary op (Conv, Gemm, MatMul, Add, the pools,
** Concat, Relu, Clip, data movement) whose operands and result carry
** quantization parameters on their types.  Its result is defined on the
** stored integers alone, so the interpreter (the oracle) and every compiled
** kernel compute the same bits.  One rule rescales an integer accumulator
** to the result's scale everywhere: the real multiplier m is held as an
** integer M in [2^30, 2^31) and a right shift S, m ~= M * 2^-S, and
**
**     requant(acc) = floor((acc * M + 2^(S-1)) / 2^S)
**
** in int64: acc * m rounded to nearest, ties toward +infinity, with one
** rounding (TFLite's "single rounding").  This header holds that rule, the
** order in which each op computes m from the f32 scales, the output clamp
** (type range and fused activation), and ir_qop_params, which gathers the
** integer constants of one verified op for the interpreter and the code
** generator alike.
*/
#ifndef CONDENSE_IR_REQUANT_H
#define CONDENSE_IR_REQUANT_H

#include "ir/ir.h"

/* A multiplier whose shift falls outside these bounds is a verifier error:
** S >= 1 keeps the rounding term an integer, S <= 62 keeps acc * M +
** 2^(S-1) within int64.  Multipliers from 2^-32 (about 2.3e-10) to just
** below 2^30 qualify. */
#define IR_REQUANT_MIN_SHIFT 1
#define IR_REQUANT_MAX_SHIFT 62

/* The bound on every int32 accumulator of a quantized op: the verifier
** rejects a reduction (Conv, Gemm, MatMul depth; pool window) whose sum of
** products, plus the largest constant bias, could exceed it in magnitude. */
#define IR_QUANT_ACC_MAX ((int64_t)INT32_MAX)

/* A bias scale must equal s_x * s_w[c] within this relative tolerance
** (scales are f32, their product is rounded once more or less). */
#define IR_QUANT_BIAS_RTOL 1e-6

typedef struct ir_requant {
	int32_t mult;           /* M: in [2^30, 2^31), but see ir_requant_derive2 */
	int32_t shift;          /* S: in [IR_REQUANT_MIN_SHIFT, IR_REQUANT_MAX_SHIFT] */
} ir_requant;

/*
** m as M * 2^-S: with m = f * 2^e (frexp, f in [0.5, 1)), M = round(f *
** 2^31) (halves up; exact in double), renormalized to 2^30 with e + 1 when
** it reaches 2^31, and S = 31 - e.  Returns -1 (r untouched) when m is not
** positive and finite or S falls outside the shift bounds.
*/
int ir_requant_derive(double m, ir_requant *r);

/*
** Two multipliers sharing one shift, for Add: the larger is derived as
** above; the smaller is M = floor(m * 2^S + 1/2) with the same S (it may be
** below 2^30, even 0).  -1 when the larger one is out of range.
*/
int ir_requant_derive2(double ma, double mb, ir_requant *ra, ir_requant *rb);

/* floor((v + 2^(s-1)) / 2^s), s in [1, 62], |v| < 2^62: v / 2^s rounded to
** nearest, ties toward +infinity. */
int64_t ir_requant_round_shift(int64_t v, int s);

/* requant(acc) = ir_requant_round_shift(acc * M, S); exact for every int32
** acc (|acc * M| < 2^62). */
int64_t ir_requant_apply(int32_t acc, ir_requant r);

/* The real multipliers, computed in double from f32 scales in exactly this
** order (each a single rounding): */
double ir_requant_mult_linear(float sx, float sw, float sy);           /* (sx * sw) / sy */
double ir_requant_mult_ratio(float sa, float sy);                      /* sa / sy */
double ir_requant_mult_pool(float sx, float sy, int64_t count);        /* sx / (sy * count) */

/* The stored-integer range of an integer element type. */
void ir_requant_range(ir_dtype dt, int64_t *lo, int64_t *hi);

/*
** A real value v as a stored integer of scale s and zero point z, as
** QuantizeLinear computes it: v / s in f32, rounded half to even, plus z,
** saturated into [lo, hi]; a NaN quotient counts as 0.
*/
int64_t ir_requant_quantize(float v, float s, int32_t z, int64_t lo, int64_t hi);

/*
** The clamp of a quantized result of type y (per-tensor) with fused
** activation a: the element type's range, narrowed by Relu to [z, ...] and
** by Clip [a, b] to [quantize(a), quantize(b)] (each saturated to the
** range).  -1 for LeakyRelu, which has no integer form here.
*/
int ir_requant_clamp(const ir_type *y, const ir_activation *a, int64_t *lo, int64_t *hi);

/*
** True when op computes on quantized integers: some present operand or
** result carries quantization parameters and the op is not one whose
** parameters are operands or that reinterprets (const, Identity,
** QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, QLinearConv,
** QLinearMatMul, ConvInteger, MatMulInteger).  Such an op follows the rules
** of docs/ir.md "Quantized arithmetic"; ir_infer checks them.
*/
bool ir_op_is_quantized(const ir_graph *g, const ir_op *op);

/*
** The integer constants of a verified quantized op (ir_op_is_quantized),
** arena-allocated in g's context:
**   Conv, Gemm, MatMul  in_zero[0] = z_x; w_zero[c] and rq[c] for c <
**                       n_ch (1 for a per-tensor W, else the output
**                       channels: Conv's M, Gemm's and MatMul's N)
**   Add                 in_zero[0..2) = z_a, z_b; rq[0..2) with one shift
**   AveragePool,        in_zero[0] = z_x, in_scale[0] = s_x; rq NULL: the
**   GlobalAveragePool   multiplier depends on the window's count
**                       (ir_requant_derive(ir_requant_mult_pool(...)))
**   Concat              in_zero[i], rq[i] per operand (m = s_i / s_y)
**   others              the clamp only (lo, hi, y_zero)
** lo and hi are the result's clamp, the fused activation folded in.
** Returns -1 when op is not a verified quantized op of these kinds.
*/
typedef struct ir_qop {
	int64_t lo, hi;         /* clamp of the stored result */
	int32_t y_zero;
	float y_scale;
	int32_t n_in;           /* entries of in_zero and in_scale */
	int32_t *in_zero;
	float *in_scale;
	int32_t n_ch;           /* Conv, Gemm, MatMul: entries of w_zero and rq */
	int32_t *w_zero;
	ir_requant *rq;         /* see above; NULL for the pools and data movement */
} ir_qop;

int ir_qop_params(const ir_graph *g, const ir_op *op, ir_qop *p);

#endif
