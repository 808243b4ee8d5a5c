/*
** k_quant.c - emitters of the quant family (QuantizeLinear,
** DequantizeLinear, DynamicQuantizeLinear) and of the integer linear ops
** (QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger), bit-exact with
** the interpreter (interp/k_quant.c, k_linear.c, k_conv.c).  The integer
** linear ops first try the vectorized int8 kernels (k_int8*.c: constant
** parameters); the scalar loops here compile every other form.
**
** Exactness arguments, in the order the ops come:
**  - Rounding half to even needs no call: for |t| <= 2^22, adding 1.5*2^23
**    in f32 lands in [2^23, 2^24) where the unit in the last place is 1, so
**    the FPU rounds t to the nearest integer (ties to even, as 1.5*2^23 is
**    even) and the low mantissa bits hold it.  Clamping to integer bounds
**    commutes with rounding (both monotone, integers fixed), so values are
**    clamped first.
**  - QuantizeLinear clamps the rounded quotient to +-2^20 before adding the
**    zero point in i32: any quotient past that saturates either way, as
**    |zero point| < 2^17.
**  - DequantizeLinear of an 8- or 16-bit x: x - zp is exact in f32 and the
**    interpreter's double product of it and the f32 scale is exact, so one
**    f32 multiply rounds the same value once.  For i32 x the double product
**    is not exact: the interpreter's two roundings (to double, then to
**    f32) are reproduced in i64 arithmetic (dequantize_i32()).
**  - The integer sums wrap in i32: the interpreter sums exactly (double or
**    i64) and keeps the low 32 bits, which a wrapping i32 sum equals.
**  - QLinearConv and QLinearMatMul requantize with the interpreter's two
**    double roundings reproduced exactly in i64 arithmetic (requantize()),
**    so they need no double FPU.
*/
#include <string.h>

#include "codegen/k_int8.h"

/* ---- scalar helpers ------------------------------------------------------ */

static LLVMValueRef to_i32(cg *g, LLVMValueRef v64)
{
	return LLVMBuildTrunc(g->b, v64, g->t_i32, "");
}

static LLVMValueRef clamp_int(cg *g, LLVMValueRef v, LLVMValueRef lo, LLVMValueRef hi)
{
	return cg_smax(g, cg_smin(g, v, hi), lo);
}

/* a * k + c in i64, k a constant: the index arithmetic of the loops. */
static LLVMValueRef mad(cg *g, LLVMValueRef a, int64_t k, LLVMValueRef c)
{
	return LLVMBuildAdd(g->b, LLVMBuildMul(g->b, a, cg_i64(g, k), ""), c, "");
}

/* -v when c, else v. */
static LLVMValueRef neg_if(cg *g, LLVMValueRef c, LLVMValueRef v)
{
	return LLVMBuildSelect(g->b, c, LLVMBuildNeg(g->b, v, ""), v, "");
}

/* Element idx of an integer buffer as i32. */
static LLVMValueRef load_i32(cg *g, const cg_buf *t, LLVMValueRef idx)
{
	return to_i32(g, cg_load(g, t->type->dtype, t->ptr, idx));
}

/* *p += v for an i32 v. */
static void add_to(cg *g, LLVMValueRef p, LLVMValueRef v)
{
	LLVMBuildStore(g->b, LLVMBuildAdd(g->b, LLVMBuildLoad2(g->b, g->t_i32, p, ""), v, ""), p);
}

/* NaN to 0, then t clamped to [lo, hi] (constants of t's type). */
static LLVMValueRef clamp_fp(cg *g, LLVMValueRef t, LLVMValueRef lo, LLVMValueRef hi)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef isnan = LLVMBuildFCmp(b, LLVMRealUNO, t, t, "");
	t = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, t, hi, ""), hi, t, "");
	t = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, t, lo, ""), lo, t, "");
	return LLVMBuildSelect(b, isnan, LLVMConstNull(LLVMTypeOf(t)), t, "");
}

/* round_half_even(clamp(t, lo, hi)) as i32, NaN giving 0; f32 t, |lo|, |hi| <= 2^22. */
static LLVMValueRef round_f32(cg *g, LLVMValueRef t, float lo, float hi)
{
	t = clamp_fp(g, t, cg_f32(g, lo), cg_f32(g, hi));
	LLVMValueRef s = LLVMBuildFAdd(g->b, t, cg_f32(g, 0x1.8p23f), "");
	return LLVMBuildSub(g->b, LLVMBuildBitCast(g->b, s, g->t_i32, ""), cg_i32(g, 0x4b400000), "");
}

/* The range of a quantized element type; -1 for a type with none here. */
static int q_range(ir_dtype dt, int32_t *lo, int32_t *hi)
{
	switch (dt) {
	case IR_U8: *lo = 0; *hi = 255; return 0;
	case IR_I8: *lo = -128; *hi = 127; return 0;
	case IR_I16: *lo = -32768; *hi = 32767; return 0;
	case IR_I4: *lo = -8; *hi = 7; return 0;
	default: return -1;
	}
}

static bool is_q8(const cg_buf *t)
{
	return t->type && (t->type->dtype == IR_U8 || t->type->dtype == IR_I8);
}

/*
** Element i (i64) of a scalar-or-1-D quantization parameter: one value
** serves every index.  Integer parameters come as i32 (0 when absent),
** float ones as f32.
*/
static LLVMValueRef param_idx(cg *g, const cg_buf *p, LLVMValueRef i)
{
	return cg_numel(p->type) == 1 ? cg_i64(g, 0) : i;
}

static LLVMValueRef param_i(cg *g, const cg_buf *p, LLVMValueRef i)
{
	if (!p->ptr)
		return cg_i32(g, 0);
	return to_i32(g, cg_load(g, p->type->dtype, p->ptr, param_idx(g, p, i)));
}

static LLVMValueRef param_f(cg *g, const cg_buf *p, LLVMValueRef i)
{
	return cg_load(g, p->type->dtype, p->ptr, param_idx(g, p, i));
}

/* Store an i32 value as element idx of a buffer of type dt. */
static void store_i32(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef idx, LLVMValueRef v)
{
	cg_store(g, dt, base, idx, LLVMBuildSExt(g->b, v, g->t_i64, ""));
}

/* saturate(round_half_even(t) + zp) into [lo, hi], t the f32 quotient. */
static LLVMValueRef quantize_val(cg *g, LLVMValueRef t, LLVMValueRef zp, int32_t lo, int32_t hi)
{
	LLVMValueRef r = round_f32(g, t, -0x1p20f, 0x1p20f);
	return clamp_int(g, LLVMBuildAdd(g->b, r, zp, ""), cg_i32(g, lo), cg_i32(g, hi));
}

/* ---- the interpreter's double arithmetic, in i64 ---------------------------------
** Where the interpreter rounds through double, the emitters reproduce its
** IEEE roundings exactly with integer operations, so that no target needs
** a double FPU (without one, double arithmetic becomes library calls). */

static LLVMValueRef ctlz64(cg *g, LLVMValueRef x)
{
	const char *name = "llvm.ctlz";
	unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
	LLVMTypeRef ty = g->t_i64;
	LLVMValueRef args[2] = {x, LLVMConstInt(g->t_i1, 0, 0)};
	return LLVMBuildCall2(g->b, LLVMIntrinsicGetType(g->lc, id, &ty, 1),
			      LLVMGetIntrinsicDeclaration(g->mod, id, &ty, 1), args, 2, "");
}

static LLVMValueRef bit_length(cg *g, LLVMValueRef a)
{
	return LLVMBuildSub(g->b, cg_i64(g, 64), ctlz64(g, a), "");
}

/* a (i64, >= 0, < 2^63) / 2^k rounded half to even for k > 0 (k <= 62);
** a * 2^-k for k <= 0 (k >= -63). */
static LLVMValueRef shift_round(cg *g, LLVMValueRef a, LLVMValueRef k)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef m63 = cg_i64(g, 63), kp = LLVMBuildAnd(b, k, m63, "");
	LLVMValueRef mask = LLVMBuildSub(b, LLVMBuildShl(b, cg_i64(g, 1), kp, ""), cg_i64(g, 1), "");
	LLVMValueRef lsb = LLVMBuildAnd(b, LLVMBuildLShr(b, a, kp, ""), cg_i64(g, 1), "");
	LLVMValueRef half = LLVMBuildLShr(b, mask, cg_i64(g, 1), "");
	LLVMValueRef r = LLVMBuildLShr(b, LLVMBuildAdd(b, a, LLVMBuildAdd(b, half, lsb, ""), ""), kp, "");
	LLVMValueRef l = LLVMBuildShl(b, a, LLVMBuildAnd(b, LLVMBuildNeg(b, k, ""), m63, ""), "");
	return LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, k, cg_i64(g, 0), ""), r, l, "");
}

/* a (i64, >= 0, < 2^63) rounded half to even to n significant bits. */
static LLVMValueRef round_sig(cg *g, LLVMValueRef a, int n)
{
	LLVMValueRef k = cg_smax(g, LLVMBuildSub(g->b, bit_length(g, a), cg_i64(g, n), ""), cg_i64(g, 0));
	return LLVMBuildShl(g->b, shift_round(g, a, k), k, "");
}

/* m's sign, E and significand M (i64); *special: m is infinite or NaN; *nan
** (unless NULL): NaN. */
static void split_f32(cg *g, LLVMValueRef m, LLVMValueRef *neg, LLVMValueRef *e, LLVMValueRef *sig,
		      LLVMValueRef *special, LLVMValueRef *nan)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef bits = LLVMBuildBitCast(b, m, g->t_i32, "");
	LLVMValueRef ex = LLVMBuildAnd(b, LLVMBuildLShr(b, bits, cg_i32(g, 23), ""), cg_i32(g, 255), "");
	LLVMValueRef mant = LLVMBuildAnd(b, bits, cg_i32(g, 0x7fffff), "");
	LLVMValueRef normal = LLVMBuildICmp(b, LLVMIntNE, ex, cg_i32(g, 0), "");
	*neg = LLVMBuildICmp(b, LLVMIntSLT, bits, cg_i32(g, 0), "");
	*special = LLVMBuildICmp(b, LLVMIntEQ, ex, cg_i32(g, 255), "");
	if (nan)
		*nan = LLVMBuildAnd(b, *special, LLVMBuildICmp(b, LLVMIntNE, mant, cg_i32(g, 0), ""), "");
	*sig = LLVMBuildZExt(b, LLVMBuildOr(b, mant, LLVMBuildSelect(b, normal, cg_i32(g, 0x800000),
								   cg_i32(g, 0), ""), ""), g->t_i64, "");
	*e = LLVMBuildSExt(b, LLVMBuildSub(b, LLVMBuildSelect(b, normal, ex, cg_i32(g, 1), ""),
					   cg_i32(g, 150), ""), g->t_i64, "");
}

/*
** The interpreter requantizes an i32 sum v with the f32 multiplier m and
** y's zero point z as R = rne(fl64(fl64(v * m) + z)) saturated to y's
** range, rne rounding half to even and fl64 rounding to double; NaN gives
** 0.  Instead of double arithmetic (library calls without a double FPU),
** requantize() reproduces those two roundings exactly in i64:
**
** With m = +-M * 2^E (M < 2^24 its integer significand) and P = |v| * M
** (< 2^55, exact), let L be P's bit length, so 2^(L-1+E) <= |v m| < 2^(L+E).
**  - L+E >= 9: |v m| >= 256, so |fl64(..)| >= 256 too (rounding is
**    monotone and 256 representable) and R saturates whatever z in the
**    range of an 8-bit y (the only kind requantized).
**  - L+E <= -2 or P == 0: |v m| < 1/4, so both roundings stay within
**    z +- 1/4 (z +- 1/4 being representable) and R = z.
**  - Otherwise D = fl64(v m) is P rounded half to even to 53 significant
**    bits, times 2^E; D >= 1/4 with at most 53 significant bits, so D is a
**    multiple of 2^-54 below 2^8: X = D * 2^54 is an integer < 2^62, and
**    so is S = +-X + z * 2^54 (|S| < 2^63).  fl64(D + z) is S rounded to
**    53 significant bits (times 2^-54), and R rounds that to an integer:
**    all exact integer operations.
** Special m: NaN, or an infinity times v = 0, give 0; an infinity times
** v != 0 saturates.  Checked against the double formula on 20 million
** random pairs and 5 million pairs built so that one of the two roundings
** lands on a half-integer (where a single exact rounding would differ).
*/

/* X = fl64(|v m|) * 2^54 for the middle case: P rounded, shifted by E + 54
** (in [-2, 61]; a right shift drops only zeros). */
static LLVMValueRef fixed_product(cg *g, LLVMValueRef p, LLVMValueRef e)
{
	LLVMValueRef k = LLVMBuildNeg(g->b, LLVMBuildAdd(g->b, e, cg_i64(g, 54), ""), "");
	return shift_round(g, round_sig(g, p, 53), k);
}

/* rne(fl64(S * 2^-54)) for the middle case, saturated to [lo, hi]. */
static LLVMValueRef round_fixed(cg *g, LLVMValueRef s, int32_t lo, int32_t hi)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef neg = LLVMBuildICmp(b, LLVMIntSLT, s, cg_i64(g, 0), "");
	LLVMValueRef r = shift_round(g, round_sig(g, neg_if(g, neg, s), 53), cg_i64(g, 54));
	r = neg_if(g, neg, r);
	return to_i32(g, clamp_int(g, r, cg_i64(g, lo), cg_i64(g, hi)));
}

/*
** Requantize the i32 sum v with the f32 multiplier mult and y's zero point
** zp (i32, in [lo, hi], an 8-bit range) as the interpreter does (above).
*/
static LLVMValueRef requantize(cg *g, LLVMValueRef v, LLVMValueRef mult, LLVMValueRef zp,
			       int32_t lo, int32_t hi)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef mneg, e, sig, special, nan;
	split_f32(g, mult, &mneg, &e, &sig, &special, &nan);
	LLVMValueRef v64 = LLVMBuildSExt(b, v, g->t_i64, "");
	LLVMValueRef vneg = LLVMBuildICmp(b, LLVMIntSLT, v, cg_i32(g, 0), "");
	LLVMValueRef neg = LLVMBuildXor(b, mneg, vneg, "");
	LLVMValueRef p = LLVMBuildMul(b, neg_if(g, vneg, v64), sig, "");
	LLVMValueRef le = LLVMBuildAdd(b, bit_length(g, p), e, "");
	LLVMValueRef x = fixed_product(g, p, e);
	LLVMValueRef z54 = LLVMBuildShl(b, LLVMBuildSExt(b, zp, g->t_i64, ""), cg_i64(g, 54), "");
	LLVMValueRef s = LLVMBuildAdd(b, neg_if(g, neg, x), z54, "");
	LLVMValueRef r = round_fixed(g, s, lo, hi);
	LLVMValueRef sat = LLVMBuildOr(b, special, LLVMBuildICmp(b, LLVMIntSGE, le, cg_i64(g, 9), ""), "");
	r = LLVMBuildSelect(b, sat, LLVMBuildSelect(b, neg, cg_i32(g, lo), cg_i32(g, hi), ""), r, "");
	/* After saturation: P == 0 (v == 0) gives z even when m is huge. */
	LLVMValueRef small = LLVMBuildOr(b, LLVMBuildICmp(b, LLVMIntSLE, le, cg_i64(g, -2), ""),
					 LLVMBuildICmp(b, LLVMIntEQ, p, cg_i64(g, 0), ""), "");
	r = LLVMBuildSelect(b, small, zp, r, "");
	LLVMValueRef zero = LLVMBuildOr(b, nan, LLVMBuildAnd(b, special, LLVMBuildICmp(b, LLVMIntEQ, v,
									  cg_i32(g, 0), ""), ""), "");
	return LLVMBuildSelect(b, zero, cg_i32(g, 0), r, "");
}

/* ---- per-tensor or per-axis element loops ---------------------------------- */

/*
** x's elements as [outer, n, inner] around the quantization axis: channel
** c's parameters apply to elements (o, c, j).  Per-tensor: n == 1.
*/
typedef struct qaxis {
	int64_t outer, n, inner;
	cg_loop l[3];
	LLVMValueRef c, base;
} qaxis;

static void qaxis_of(const ir_op *op, const ir_type *x, const ir_type *scale, qaxis *q)
{
	int64_t total = cg_numel(x);
	*q = (qaxis){.outer = 1, .n = 1, .inner = total};
	if (scale->rank == 0 || scale->dims[0] == 1)
		return;
	int64_t axis = ir_op_int(op, "axis", 1);
	axis = axis < 0 ? axis + x->rank : axis;
	q->n = x->dims[axis];
	q->inner = 1;
	for (int d = (int)axis + 1; d < x->rank; d++)
		q->inner *= x->dims[d];
	q->outer = q->n * q->inner != 0 ? total / (q->n * q->inner) : 0;
}

/* Open the outer and channel loops: q->c is the channel (i64). */
static void qaxis_open(cg *g, qaxis *q)
{
	LLVMValueRef o = cg_fori(g, &q->l[0], 0, q->outer, 1);
	q->c = cg_fori(g, &q->l[1], 0, q->n, 1);
	q->base = LLVMBuildMul(g->b, mad(g, o, q->n, q->c), cg_i64(g, q->inner), "");
}

/* Open the innermost loop; returns the element index. */
static LLVMValueRef qaxis_inner(cg *g, qaxis *q)
{
	LLVMValueRef j = cg_fori(g, &q->l[2], 0, q->inner, 1);
	return LLVMBuildAdd(g->b, q->base, j, "");
}

static void qaxis_close(cg *g, qaxis *q)
{
	for (int i = 2; i >= 0; i--)
		cg_endfor(g, &q->l[i]);
}

/* ---- QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear --------------- */

static int emit_quantize(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	ir_dtype xt = in[0].type->dtype, yt = out[0].type->dtype;
	int32_t lo, hi;
	if (!ir_dtype_is_float(xt) || yt == IR_I4 || q_range(yt, &lo, &hi) < 0)
		return cg_unsupported(g, op, "%s to %s", ir_dtype_name(xt), ir_dtype_name(yt));
	qaxis q;
	qaxis_of(op, in[0].type, in[1].type, &q);
	qaxis_open(g, &q);
	LLVMValueRef s = param_f(g, &in[1], q.c), zp = param_i(g, &in[2], q.c);
	LLVMValueRef i = qaxis_inner(g, &q);
	LLVMValueRef t = LLVMBuildFDiv(g->b, cg_load(g, xt, in[0].ptr, i), s, "");
	store_i32(g, yt, out[0].ptr, i, quantize_val(g, t, zp, lo, hi));
	qaxis_close(g, &q);
	return 0;
}

/*
** i32 x: the interpreter's fl32(fl64(fl64(fl32(x) - zp) * s)), fl32 and
** fl64 rounding to f32 and double, in i64 arithmetic: fl32(x) - zp is an
** integer d with |d| <= 2^32 (exact), |d| times s's significand is below
** 2^56 (exact), and the two roundings of that product times 2^E are done
** as IEEE does them: to 53 significant bits (the double range holds every
** such product), then to f32's 24 bits, overflowing to infinity.  Below
** 2^-126 (f32 subnormals) nothing rounds: the product, a multiple of
** 2^-149 there with fewer than 53 bits, is exact in f32.  An infinite or
** NaN s takes the f32 product of d's sign (or 0) and s.
*/
static LLVMValueRef dequantize_i32(cg *g, LLVMValueRef x, LLVMValueRef zp, LLVMValueRef s)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef x64 = LLVMBuildSExt(b, x, g->t_i64, "");
	LLVMValueRef xneg = LLVMBuildICmp(b, LLVMIntSLT, x64, cg_i64(g, 0), "");
	LLVMValueRef xr = neg_if(g, xneg, round_sig(g, neg_if(g, xneg, x64), 24));
	LLVMValueRef d = LLVMBuildSub(b, xr, LLVMBuildSExt(b, zp, g->t_i64, ""), "");
	LLVMValueRef dneg = LLVMBuildICmp(b, LLVMIntSLT, d, cg_i64(g, 0), "");
	LLVMValueRef sneg, e, sig, special;
	split_f32(g, s, &sneg, &e, &sig, &special, NULL);
	LLVMValueRef p = round_sig(g, LLVMBuildMul(b, neg_if(g, dneg, d), sig, ""), 53);
	LLVMValueRef len = bit_length(g, p);
	LLVMValueRef ev = LLVMBuildAdd(b, LLVMBuildSub(b, len, cg_i64(g, 1), ""), e, "");
	LLVMValueRef m24 = shift_round(g, p, LLVMBuildSub(b, len, cg_i64(g, 24), ""));
	LLVMValueRef nb = mad(g, LLVMBuildAdd(b, ev, cg_i64(g, 126), ""), 1 << 23, m24);
	LLVMValueRef sb = LLVMBuildShl(b, p, LLVMBuildAnd(b, LLVMBuildAdd(b, e, cg_i64(g, 149), ""),
							cg_i64(g, 63), ""), "");
	LLVMValueRef normal = LLVMBuildICmp(b, LLVMIntSGE, ev, cg_i64(g, -126), "");
	LLVMValueRef bits = LLVMBuildSelect(b, normal, nb, sb, "");
	bits = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntUGT, bits, cg_i64(g, 0x7f800000), ""),
			       cg_i64(g, 0x7f800000), bits, "");
	bits = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, p, cg_i64(g, 0), ""), cg_i64(g, 0), bits, "");
	LLVMValueRef sign = LLVMBuildShl(b, LLVMBuildZExt(b, LLVMBuildXor(b, dneg, sneg, ""), g->t_i32, ""),
					 cg_i32(g, 31), "");
	LLVMValueRef r = LLVMBuildBitCast(b, LLVMBuildOr(b, to_i32(g, bits), sign, ""), g->t_f32, "");
	LLVMValueRef unit = LLVMBuildSelect(b, dneg, cg_f32(g, -1.0f), cg_f32(g, 1.0f), "");
	LLVMValueRef dzero = LLVMBuildICmp(b, LLVMIntEQ, d, cg_i64(g, 0), "");
	unit = LLVMBuildSelect(b, dzero, cg_f32(g, 0.0f), unit, "");
	return LLVMBuildSelect(b, special, LLVMBuildFMul(b, unit, s, ""), r, "");
}

/* (x - zp) * scale: exact in f32 below 32 bits (see the top), emulated for i32. */
static LLVMValueRef dequantize_val(cg *g, ir_dtype xt, LLVMValueRef x, LLVMValueRef zp, LLVMValueRef s)
{
	if (xt == IR_I32)
		return dequantize_i32(g, x, zp, s);
	LLVMValueRef d = LLVMBuildSIToFP(g->b, LLVMBuildSub(g->b, x, zp, ""), g->t_f32, "");
	return LLVMBuildFMul(g->b, d, s, "");
}

static int emit_dequantize(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	ir_dtype xt = in[0].type->dtype, yt = out[0].type->dtype;
	int32_t lo, hi;
	if ((xt != IR_I32 && q_range(xt, &lo, &hi) < 0) || yt != IR_F32)
		return cg_unsupported(g, op, "%s to %s", ir_dtype_name(xt), ir_dtype_name(yt));
	qaxis q;
	qaxis_of(op, in[0].type, in[1].type, &q);
	qaxis_open(g, &q);
	LLVMValueRef s = param_f(g, &in[1], q.c), zp = param_i(g, &in[2], q.c);
	LLVMValueRef i = qaxis_inner(g, &q);
	LLVMValueRef x = to_i32(g, cg_load(g, xt, in[0].ptr, i));
	cg_store(g, yt, out[0].ptr, i, dequantize_val(g, xt, x, zp, s));
	qaxis_close(g, &q);
	return 0;
}

/* [min(x, 0), max(x, 0)] over x's n f32 elements; NaNs are skipped. */
static void f32_range(cg *g, LLVMValueRef x, int64_t n, LLVMValueRef *lo, LLVMValueRef *hi)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef vlo = cg_var(g, g->t_f32, "lo"), vhi = cg_var(g, g->t_f32, "hi");
	LLVMBuildStore(b, cg_f32(g, 0), vlo);
	LLVMBuildStore(b, cg_f32(g, 0), vhi);
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, n, 1);
	LLVMValueRef v = cg_load(g, IR_F32, x, i);
	LLVMValueRef a = LLVMBuildLoad2(b, g->t_f32, vlo, ""), z = LLVMBuildLoad2(b, g->t_f32, vhi, "");
	LLVMBuildStore(b, LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, v, a, ""), v, a, ""), vlo);
	LLVMBuildStore(b, LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, v, z, ""), v, z, ""), vhi);
	cg_endfor(g, &l);
	*lo = LLVMBuildLoad2(b, g->t_f32, vlo, "");
	*hi = LLVMBuildLoad2(b, g->t_f32, vhi, "");
}

/*
** u8 y, f32 scale (hi - lo) / 255 (1 when the range is empty) and u8
** zero point round(clamp(0 - lo / scale, 0, 255)) (NaN: 0), all in f32.
*/
static int emit_dynquantize(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	LLVMBuilderRef b = g->b;
	if (in[0].type->dtype != IR_F32 || out[0].type->dtype != IR_U8 || out[1].type->dtype != IR_F32 ||
	    out[2].type->dtype != IR_U8)
		return cg_unsupported(g, op, "these element types");
	int64_t n = cg_numel(in[0].type);
	LLVMValueRef lo, hi;
	f32_range(g, in[0].ptr, n, &lo, &hi);
	LLVMValueRef s = LLVMBuildFDiv(b, LLVMBuildFSub(b, hi, lo, ""), cg_f32(g, 255.0f), "");
	s = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOEQ, hi, lo, ""), cg_f32(g, 1.0f), s, "");
	LLVMValueRef zf = LLVMBuildFSub(b, cg_f32(g, 0.0f), LLVMBuildFDiv(b, lo, s, ""), "");
	LLVMValueRef zp = round_f32(g, zf, 0.0f, 255.0f);
	cg_store(g, IR_F32, out[1].ptr, cg_i64(g, 0), s);
	store_i32(g, IR_U8, out[2].ptr, cg_i64(g, 0), zp);
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, n, 1);
	LLVMValueRef t = LLVMBuildFDiv(b, cg_load(g, IR_F32, in[0].ptr, i), s, "");
	store_i32(g, IR_U8, out[0].ptr, i, quantize_val(g, t, zp, 0, 255));
	cg_endfor(g, &l);
	return 0;
}

int cg_k_quant(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	switch (op->kind) {
	case IR_OP_QUANTIZE: return emit_quantize(g, op, in, out);
	case IR_OP_DEQUANTIZE: return emit_dequantize(g, op, in, out);
	case IR_OP_DYNQUANTIZE: return emit_dynquantize(g, op, in, out);
	default: return cg_unsupported(g, op, "this op in the quant family");
	}
}

/* ---- integer MatMul ------------------------------------------------------------ */

/* numpy matmul [batch..., m, k] x [batch..., k, n]; 1-D operands count as [1, k], [k, 1]. */
typedef struct mmgeo {
	int64_t m, k, n;
	int nb;                         /* batch rank of the result */
	int64_t bt[IR_MAX_RANK];        /* broadcast batch dims */
	int64_t as[IR_MAX_RANK];        /* a's stride per batch dim, in matrices; 0 if broadcast */
	int64_t bs[IR_MAX_RANK];
} mmgeo;

/* Right-align an operand's na batch dims in nb: matrix strides and dims. */
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

static void mm_geo(const ir_type *a, const ir_type *b, mmgeo *m)
{
	int ra = a->rank, rb = b->rank, na = ra > 2 ? ra - 2 : 0, nbb = rb > 2 ? rb - 2 : 0;
	*m = (mmgeo){.m = ra > 1 ? a->dims[ra - 2] : 1, .k = a->dims[ra - 1],
		     .n = rb > 1 ? b->dims[rb - 1] : 1, .nb = na > nbb ? na : nbb};
	for (int i = 0; i < m->nb; i++)
		m->bt[i] = 1;
	batch_strides(a->dims, na, m->nb, m->as, m->bt);
	batch_strides(b->dims, nbb, m->nb, m->bs, m->bt);
}

/* The operands of an integer matmul as the emitter addresses them. */
typedef struct mmop {
	const cg_buf *a, *azp, *b, *bzp;
	LLVMValueRef bp;                /* b, or its matrices transposed when packed */
	bool packed;                    /* bp[mat][j][k] instead of b[mat][k][j] */
} mmop;

/*
** A constant b is re-laid out column-major per matrix at compile time, so
** the dot products read both operands contiguously (raw bytes: no
** endianness, no zero point baked in).
*/
static void mm_pack(cg *g, const mmgeo *m, mmop *o)
{
	o->bp = o->b->ptr;
	o->packed = o->b->konst != NULL && m->n > 1;
	if (!o->packed)
		return;
	int64_t kn = m->k * m->n, mats = kn ? cg_numel(o->b->type) / kn : 0;
	const uint8_t *src = o->b->konst->data;
	uint8_t *dst = ir_alloc_array(g->c, (size_t)(mats * kn) + 1, 1);
	for (int64_t t = 0; t < mats; t++)
		for (int64_t k = 0; k < m->k; k++)
			for (int64_t j = 0; j < m->n; j++)
				dst[t * kn + j * m->k + k] = src[t * kn + k * m->n + j];
	o->bp = cg_const_bytes(g, dst, mats * kn, "wq");
}

/* sum over k of (a[arow + k] - azp) * (b[k, j] - bzp) in wrapping i32. */
static LLVMValueRef mm_dot(cg *g, const mmgeo *m, const mmop *o, LLVMValueRef arow, LLVMValueRef bcol,
			   LLVMValueRef azp, LLVMValueRef bzp)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef acc = cg_var(g, g->t_i32, "acc");
	LLVMBuildStore(b, cg_i32(g, 0), acc);
	cg_loop l;
	LLVMValueRef k = cg_fori(g, &l, 0, m->k, 1);
	LLVMValueRef bi = LLVMBuildAdd(b, bcol, o->packed ? k : LLVMBuildMul(b, k, cg_i64(g, m->n), ""), "");
	LLVMValueRef av = LLVMBuildSub(b, load_i32(g, o->a, LLVMBuildAdd(b, arow, k, "")), azp, "");
	LLVMValueRef bv = LLVMBuildSub(b, to_i32(g, cg_load(g, o->b->type->dtype, o->bp, bi)), bzp, "");
	add_to(g, acc, LLVMBuildMul(b, av, bv, ""));
	cg_endfor(g, &l);
	return LLVMBuildLoad2(b, g->t_i32, acc, "");
}

/* One loop per broadcast batch dim; *ao, *bo, *yo: the matrix indices of a, b, y. */
typedef struct bloops {
	cg_loop l[IR_MAX_RANK];
	bool open[IR_MAX_RANK];
	int nb;
} bloops;

static void batch_open(cg *g, const mmgeo *m, bloops *bl, LLVMValueRef *ao, LLVMValueRef *bo,
		       LLVMValueRef *yo)
{
	LLVMBuilderRef b = g->b;
	int64_t ys = 1;
	*ao = *bo = *yo = cg_i64(g, 0);
	bl->nb = m->nb;
	for (int i = m->nb - 1; i >= 0; i--) {
		bl->open[i] = m->bt[i] > 1;
		if (!bl->open[i])
			continue;
		LLVMValueRef iv = cg_fori(g, &bl->l[i], 0, m->bt[i], 1);
		*ao = LLVMBuildAdd(b, *ao, LLVMBuildMul(b, iv, cg_i64(g, m->as[i]), ""), "");
		*bo = LLVMBuildAdd(b, *bo, LLVMBuildMul(b, iv, cg_i64(g, m->bs[i]), ""), "");
		*yo = LLVMBuildAdd(b, *yo, LLVMBuildMul(b, iv, cg_i64(g, ys), ""), "");
		ys *= m->bt[i];
	}
}

static void batch_close(cg *g, bloops *bl)
{
	for (int i = 0; i < bl->nb; i++)
		if (bl->open[i])
			cg_endfor(g, &bl->l[i]);
}

/* Operand i, or an absent one past the op's operands. */
static const cg_buf *opt_buf(const ir_op *op, const cg_buf *in, int i)
{
	static const cg_buf none;
	return i < op->n_in ? &in[i] : &none;
}

/*
** The rows of one batch: y[yo][i][j] from the dot products of a[ao]'s rows
** and b[bo]'s columns, stored as i32 (MatMulInteger) or requantized with
** QLinearMatMul's a_scale (per row), b_scale (per column), y_scale and y_zp.
*/
static void mm_rows(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out, const mmgeo *m,
		    const mmop *o, const LLVMValueRef *off)
{
	LLVMBuilderRef b = g->b;
	int32_t lo = 0, hi = 0;
	q_range(out[0].type->dtype, &lo, &hi);
	cg_loop li, lj;
	LLVMValueRef i = cg_fori(g, &li, 0, m->m, 1);
	LLVMValueRef azp = param_i(g, o->azp, i);
	LLVMValueRef arow = LLVMBuildMul(b, mad(g, off[0], m->m, i), cg_i64(g, m->k), "");
	LLVMValueRef yrow = LLVMBuildMul(b, mad(g, off[2], m->m, i), cg_i64(g, m->n), "");
	LLVMValueRef j = cg_fori(g, &lj, 0, m->n, 1);
	LLVMValueRef bcol = o->packed ? LLVMBuildMul(b, j, cg_i64(g, m->k), "") : j;
	bcol = mad(g, off[1], m->k * m->n, bcol);
	LLVMValueRef acc = mm_dot(g, m, o, arow, bcol, azp, param_i(g, o->bzp, j));
	if (op->kind == IR_OP_QLINEARMATMUL) {
		LLVMValueRef ab = LLVMBuildFMul(b, param_f(g, &in[1], i), param_f(g, &in[4], j), "");
		LLVMValueRef mult = LLVMBuildFDiv(b, ab, param_f(g, &in[6], i), "");
		acc = requantize(g, acc, mult, param_i(g, &in[7], i), lo, hi);
	}
	store_i32(g, out[0].type->dtype, out[0].ptr, LLVMBuildAdd(b, yrow, j, ""), acc);
	cg_endfor(g, &lj);
	cg_endfor(g, &li);
}

/*
** MatMulInteger (a, b, a_zp?, b_zp?) and QLinearMatMul (a, a_scale, a_zp,
** b, b_scale, b_zp, y_scale, y_zp): a's parameters per row, b's per
** column, y's scalar.
*/
static int emit_qmatmul(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	int rc = i8_try(g, op, in, out);
	if (rc != I8_DECLINE)
		return rc;
	bool ql = op->kind == IR_OP_QLINEARMATMUL;
	mmop o = {.a = &in[0], .azp = opt_buf(op, in, 2), .b = &in[ql ? 3 : 1],
		  .bzp = opt_buf(op, in, ql ? 5 : 3)};
	ir_dtype yt = out[0].type->dtype;
	int32_t lo, hi;
	if (!is_q8(o.a) || !is_q8(o.b) || (ql ? yt == IR_I4 || yt == IR_I16 || q_range(yt, &lo, &hi) < 0
					     : yt != IR_I32))
		return cg_unsupported(g, op, "these element types");
	mmgeo m;
	mm_geo(o.a->type, o.b->type, &m);
	mm_pack(g, &m, &o);
	bloops bl;
	LLVMValueRef off[3];
	batch_open(g, &m, &bl, &off[0], &off[1], &off[2]);
	int64_t batches = 1;
	for (int d = 0; d < m.nb; d++)
		batches *= m.bt[d];
	g->macs += batches * m.m * m.n * m.k;
	mm_rows(g, op, in, out, &m, &o, off);
	batch_close(g, &bl);
	return 0;
}

/* ---- integer Conv ---------------------------------------------------------------- */

typedef i8_cgeo cgeo;

/* The first n values of ints attribute name, dflt where absent or short. */
static void ints_or(const ir_op *op, const char *name, int n, int64_t dflt, int64_t *dst)
{
	const ir_attr *a = ir_op_attr(op, name);
	for (int i = 0; i < n; i++)
		dst[i] = a && a->kind == IR_ATTR_INTS && i < a->n ? a->u.ints[i] : dflt;
}

/* Begin pads: explicit, none (VALID), or SAME_* (odd one at the end for UPPER). */
static int64_t begin_pad(const char *ap, const cgeo *c, int i, int64_t explicit_pad)
{
	int64_t total = (c->out[i] - 1) * c->s[i] + (c->k[i] - 1) * c->d[i] + 1 - c->in[i];
	total = total < 0 ? 0 : total;
	if (!strcmp(ap, "VALID"))
		return 0;
	if (!strcmp(ap, "SAME_UPPER"))
		return total / 2;
	if (!strcmp(ap, "SAME_LOWER"))
		return total - total / 2;
	return explicit_pad;
}

void i8_conv_geo(const ir_op *op, const ir_type *x, const ir_type *w, const ir_type *y, i8_cgeo *c)
{
	int64_t pads[2 * IR_MAX_RANK];
	const char *ap = ir_op_str(op, "auto_pad", "NOTSET");
	*c = (cgeo){.n = x->rank - 2, .batch = x->dims[0], .c = x->dims[1], .m = y->dims[1],
		    .group = ir_op_int(op, "group", 1), .in_sz = 1, .out_sz = 1, .k_sz = 1};
	c->cg = c->c / c->group;
	c->mg = c->m / c->group;
	ints_or(op, "strides", c->n, 1, c->s);
	ints_or(op, "dilations", c->n, 1, c->d);
	ints_or(op, "pads", 2 * c->n, 0, pads);
	for (int i = 0; i < c->n; i++) {
		c->in[i] = x->dims[2 + i];
		c->out[i] = y->dims[2 + i];
		c->k[i] = w->dims[2 + i];
		c->in_sz *= c->in[i];
		c->out_sz *= c->out[i];
		c->k_sz *= c->k[i];
		c->pb[i] = begin_pad(ap, c, i, pads[i]);
		int64_t last = (c->out[i] - 1) * c->s[i] + (c->k[i] - 1) * c->d[i] - c->pb[i];
		c->check[i] = c->pb[i] > 0 || last >= c->in[i];
	}
}

/*
** The conv is computed one output row (along the last spatial dim) at a
** time, in tiles of up to CONV_TILE columns summed in an i32 array on the
** stack: per input channel and kernel row whose input row exists, and per
** kernel column kx (unrolled), the output columns whose input column
** exists form a range known at compile time, and the innermost loop adds
** w * (x - x_zp) over that range, contiguous in x for unit stride.
*/
enum { CONV_TILE = 256 };

/* The operands of an integer conv and the values fixed per output channel. */
typedef struct cvop {
	const cg_buf *x, *xzp, *w, *wzp;
	LLVMValueRef xzpv, wzpv;        /* i32 */
	LLVMValueRef xbase, wbase;      /* element index of channel 0 of the group's x, of w[m] */
	LLVMValueRef acc, t0;           /* the tile's sums ([tile x i32]) and first column */
	int64_t tile;
} cvop;

/* One loop per dim over extents ext[0..n); the flat index (strides of ext) in *flat. */
static void nest_open(cg *g, cg_loop *l, int n, const int64_t *ext, LLVMValueRef *iv, LLVMValueRef *flat)
{
	*flat = cg_i64(g, 0);
	for (int i = 0; i < n; i++) {
		iv[i] = cg_fori(g, &l[i], 0, ext[i], 1);
		*flat = LLVMBuildAdd(g->b, LLVMBuildMul(g->b, *flat, cg_i64(g, ext[i]), ""), iv[i], "");
	}
}

static void nest_close(cg *g, cg_loop *l, int n)
{
	for (int i = n - 1; i >= 0; i--)
		cg_endfor(g, &l[i]);
}

/* The output columns [*lo, *hi) whose input column ox*s + off lies in the input. */
static void col_span(const cgeo *c, int64_t off, int64_t *lo, int64_t *hi)
{
	int l = c->n - 1;
	int64_t s = c->s[l], last = c->in[l] - 1 - off;
	*lo = off >= 0 ? 0 : (-off + s - 1) / s;
	*hi = last < 0 ? 0 : last / s + 1;
	*hi = *hi > c->out[l] ? c->out[l] : *hi;
	*lo = *lo > *hi ? *hi : *lo;
}

/* acc[ox - t0] += wv * (x[xrow + ox*s + kx*d - pb] - x_zp) over the tile's valid columns. */
static void conv_cols(cg *g, const cgeo *c, const cvop *o, LLVMValueRef xrow, LLVMValueRef wv, int64_t kx)
{
	LLVMBuilderRef b = g->b;
	int l = c->n - 1;
	int64_t off = kx * c->d[l] - c->pb[l], slo, shi;
	col_span(c, off, &slo, &shi);
	LLVMValueRef lo = cg_smax(g, cg_i64(g, slo), o->t0);
	LLVMValueRef hi = cg_smin(g, cg_i64(g, shi), LLVMBuildAdd(b, o->t0, cg_i64(g, o->tile), ""));
	cg_loop lx;
	LLVMValueRef ox = cg_for(g, &lx, lo, hi, 1);
	LLVMValueRef xi = LLVMBuildAdd(b, xrow, mad(g, ox, c->s[l], cg_i64(g, off)), "");
	LLVMValueRef xv = LLVMBuildSub(b, load_i32(g, o->x, xi), o->xzpv, "");
	add_to(g, cg_gep(g, IR_I32, o->acc, LLVMBuildSub(b, ox, o->t0, "")), LLVMBuildMul(b, wv, xv, ""));
	cg_endfor(g, &lx);
}

/*
** The tile's sums over input channel ci: per kernel row (kernel position
** over all but the last dim) whose input row exists for output row od.
*/
static void conv_rows(cg *g, const cgeo *c, const cvop *o, LLVMValueRef ci, const LLVMValueRef *od)
{
	LLVMBuilderRef b = g->b;
	int l = c->n - 1;
	cg_loop lk[IR_MAX_RANK];
	LLVMValueRef kd[IR_MAX_RANK], kflat, xi = cg_i64(g, 0), inb = LLVMConstInt(g->t_i1, 1, 0);
	nest_open(g, lk, l, c->k, kd, &kflat);
	for (int i = 0; i < l; i++) {
		LLVMValueRef p = LLVMBuildAdd(b, LLVMBuildMul(b, od[i], cg_i64(g, c->s[i]), ""),
					      LLVMBuildMul(b, kd[i], cg_i64(g, c->d[i]), ""), "");
		p = LLVMBuildSub(b, p, cg_i64(g, c->pb[i]), "");
		LLVMValueRef ok = LLVMBuildICmp(b, LLVMIntULT, p, cg_i64(g, c->in[i]), "");
		if (c->check[i])
			inb = LLVMBuildAnd(b, inb, ok, "");
		xi = mad(g, xi, c->in[i], p);
	}
	cg_if_t in_row;
	cg_if(g, &in_row, inb);
	LLVMValueRef xrow = mad(g, xi, c->in[l], mad(g, ci, c->in_sz, o->xbase));
	LLVMValueRef wrow = mad(g, kflat, c->k[l], mad(g, ci, c->k_sz, o->wbase));
	for (int64_t kx = 0; kx < c->k[l]; kx++) {
		LLVMValueRef wi = LLVMBuildAdd(b, wrow, cg_i64(g, kx), "");
		LLVMValueRef wv = LLVMBuildSub(b, load_i32(g, o->w, wi), o->wzpv, "");
		conv_cols(g, c, o, xrow, wv, kx);
	}
	cg_endif(g, &in_row);
	nest_close(g, lk, l);
}

/* What QLinearConv adds per output channel m: bias, multiplier, y's zero point. */
typedef struct qout {
	LLVMValueRef bias, mult, zp;    /* i32, f32, i32 */
	int32_t lo, hi;
} qout;

static void qout_of(cg *g, const ir_op *op, const cg_buf *in, LLVMValueRef m, qout *q)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef zero = cg_i64(g, 0);
	const cg_buf *bias = op->n_in > 8 ? &in[8] : NULL;
	q->bias = bias && bias->ptr ? to_i32(g, cg_load(g, IR_I32, bias->ptr, m)) : cg_i32(g, 0);
	LLVMValueRef xw = LLVMBuildFMul(b, param_f(g, &in[1], zero), param_f(g, &in[4], m), "");
	q->mult = LLVMBuildFDiv(b, xw, param_f(g, &in[6], zero), "");
	q->zp = param_i(g, &in[7], zero);
}

/*
** One tile of output row od of channel m: zero the sums, add every input
** channel, then store them from y element yi on, as i32 (ConvInteger) or
** requantized (QLinearConv, when q is non-NULL).
*/
static void conv_tile(cg *g, const cgeo *c, const cvop *o, const LLVMValueRef *od, const qout *q,
		      const cg_buf *y, LLVMValueRef yi)
{
	LLVMBuilderRef b = g->b;
	cg_memset(g, o->acc, 0, o->tile * 4);
	cg_loop lc, lj;
	LLVMValueRef ci = cg_fori(g, &lc, 0, c->cg, 1);
	conv_rows(g, c, o, ci, od);
	cg_endfor(g, &lc);
	LLVMValueRef left = LLVMBuildSub(b, cg_i64(g, c->out[c->n - 1]), o->t0, "");
	LLVMValueRef n = cg_smin(g, cg_i64(g, o->tile), left);
	LLVMValueRef j = cg_for(g, &lj, cg_i64(g, 0), n, 1);
	LLVMValueRef v = LLVMBuildLoad2(b, g->t_i32, cg_gep(g, IR_I32, o->acc, j), "");
	if (q)
		v = requantize(g, LLVMBuildAdd(b, v, q->bias, ""), q->mult, q->zp, q->lo, q->hi);
	store_i32(g, y->type->dtype, y->ptr, LLVMBuildAdd(b, yi, j, ""), v);
	cg_endfor(g, &lj);
}

/* Every output row and tile of output channel m (set up in o) of batch bn. */
static void conv_channel(cg *g, const cgeo *c, cvop *o, const qout *q, const cg_buf *y, LLVMValueRef yplane)
{
	LLVMBuilderRef b = g->b;
	int l = c->n - 1;
	int64_t ow = c->out[l];
	cg_loop lr[IR_MAX_RANK], lt;
	LLVMValueRef od[IR_MAX_RANK], rflat;
	nest_open(g, lr, l, c->out, od, &rflat);
	o->t0 = cg_fori(g, &lt, 0, ow, o->tile);
	LLVMValueRef yi = LLVMBuildAdd(b, yplane, LLVMBuildAdd(b, LLVMBuildMul(b, rflat, cg_i64(g, ow), ""),
							       o->t0, ""), "");
	conv_tile(g, c, o, od, q, y, yi);
	cg_endfor(g, &lt);
	nest_close(g, lr, l);
}

/*
** ConvInteger (x, w, x_zp?, w_zp?) and QLinearConv (x, x_scale, x_zp, w,
** w_scale, w_zp, y_scale, y_zp, bias?): w's parameters per output channel.
*/
static int emit_qconv(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	int rc = i8_try(g, op, in, out);
	if (rc != I8_DECLINE)
		return rc;
	LLVMBuilderRef b = g->b;
	bool ql = op->kind == IR_OP_QLINEARCONV;
	cvop o = {.x = &in[0], .xzp = opt_buf(op, in, 2), .w = &in[ql ? 3 : 1],
		  .wzp = opt_buf(op, in, ql ? 5 : 3)};
	ir_dtype yt = out[0].type->dtype;
	qout q = {0};
	if (!is_q8(o.x) || !is_q8(o.w) ||
	    (ql ? yt == IR_I4 || yt == IR_I16 || q_range(yt, &q.lo, &q.hi) < 0 : yt != IR_I32))
		return cg_unsupported(g, op, "these element types");
	cgeo c;
	i8_conv_geo(op, o.x->type, o.w->type, out[0].type, &c);
	g->macs += c.batch * c.m * c.out_sz * c.cg * c.k_sz;
	o.tile = c.out[c.n - 1] < CONV_TILE ? c.out[c.n - 1] : CONV_TILE;
	o.acc = cg_var(g, LLVMArrayType2(g->t_i32, (uint64_t)o.tile), "acc");
	cg_loop lb, lg, lm;
	LLVMValueRef bn = cg_fori(g, &lb, 0, c.batch, 1), gi = cg_fori(g, &lg, 0, c.group, 1);
	o.xzpv = param_i(g, o.xzp, cg_i64(g, 0));
	LLVMValueRef c0 = LLVMBuildMul(b, gi, cg_i64(g, c.cg), "");
	o.xbase = LLVMBuildMul(b, mad(g, bn, c.c, c0), cg_i64(g, c.in_sz), "");
	LLVMValueRef m = mad(g, gi, c.mg, cg_fori(g, &lm, 0, c.mg, 1));
	o.wzpv = param_i(g, o.wzp, m);
	o.wbase = LLVMBuildMul(b, m, cg_i64(g, c.cg * c.k_sz), "");
	if (ql)
		qout_of(g, op, in, m, &q);
	LLVMValueRef yplane = LLVMBuildMul(b, mad(g, bn, c.m, m), cg_i64(g, c.out_sz), "");
	conv_channel(g, &c, &o, ql ? &q : NULL, &out[0], yplane);
	cg_endfor(g, &lm);
	cg_endfor(g, &lg);
	cg_endfor(g, &lb);
	return 0;
}

int cg_k_qlinear(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	switch (op->kind) {
	case IR_OP_QLINEARCONV:
	case IR_OP_CONVINTEGER:
		return emit_qconv(g, op, in, out);
	case IR_OP_QLINEARMATMUL:
	case IR_OP_MATMULINTEGER:
		return emit_qmatmul(g, op, in, out);
	default:
		return cg_unsupported(g, op, "this op as an integer linear op");
	}
}
