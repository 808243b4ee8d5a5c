/*
** cg_math.c - inline math: f32 floor, exp, log, tanh, erf, sin, pow, ...
** built from plain LLVM instructions, for scalars or vectors of f32.
**
** Each function becomes an internal `alwaysinline` LLVM function, created
** once per module and type ("cg.exp.f32", "cg.exp.v8f32") and called where
** it is used; after inlining a loop over it vectorizes.  Bodies are
** branch-free (selects, not blocks) for the same reason, and use no
** intrinsic but fabs, sqrt, copysign and fmuladd, so no target lowers them
** to a library call, and no float-to-int conversion (integer parts come
** from the bits of x + 1.5*2^23 instead).
**
** Accuracy (docs/codegen-math.md, checked by test/unit/test_cg_math.c):
** a few ulp over the whole f32 range, with special values (NaN, infinities,
** signed zeros, subnormals) as C99 Annex F has them.  Polynomial
** coefficients are minimax fits rounded to f32 (Lawson's iteration).
** llvm.fmuladd may or may not fuse, so the stated bounds hold either way;
** where exactness matters (argument reduction, the extended-precision
** steps of pow) products are plain fmul on operands short enough to be
** exact.
*/
#include <string.h>

#include "codegen/cg.h"

/* ---- building blocks (scalars or vectors alike) -------------------------- */

static LLVMValueRef fadd(cg *g, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFAdd(g->b, a, b, ""); }
static LLVMValueRef fsub(cg *g, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFSub(g->b, a, b, ""); }
static LLVMValueRef fmul(cg *g, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFMul(g->b, a, b, ""); }
static LLVMValueRef fdiv(cg *g, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFDiv(g->b, a, b, ""); }
static LLVMValueRef fcmp(cg *g, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildFCmp(g->b, p, a, b, "");
}
static LLVMValueRef icmp(cg *g, LLVMIntPredicate p, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildICmp(g->b, p, a, b, "");
}
static LLVMValueRef sel(cg *g, LLVMValueRef c, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(g->b, c, a, b, "");
}
static LLVMValueRef and1(cg *g, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildAnd(g->b, a, b, ""); }
static LLVMValueRef or1(cg *g, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildOr(g->b, a, b, ""); }

/* The i32 type shaped like the f32 type of x (scalar or vector). */
static LLVMTypeRef int_like(cg *g, LLVMValueRef x)
{
	LLVMTypeRef t = LLVMTypeOf(x);
	if (LLVMGetTypeKind(t) == LLVMVectorTypeKind)
		return LLVMVectorType(g->t_i32, LLVMGetVectorSize(t));
	return g->t_i32;
}

static LLVMTypeRef flt_like(cg *g, LLVMValueRef x)
{
	LLVMTypeRef t = LLVMTypeOf(x);
	if (LLVMGetTypeKind(t) == LLVMVectorTypeKind)
		return LLVMVectorType(g->t_f32, LLVMGetVectorSize(t));
	return g->t_f32;
}

static LLVMValueRef splat(LLVMTypeRef t, LLVMValueRef s)
{
	if (LLVMGetTypeKind(t) != LLVMVectorTypeKind)
		return s;
	unsigned n = LLVMGetVectorSize(t);
	LLVMValueRef e[64];
	for (unsigned i = 0; i < n && i < 64; i++)
		e[i] = s;
	return LLVMConstVector(e, n);
}

/* The constant v in the (f32-shaped) type of x. */
static LLVMValueRef kf(cg *g, LLVMValueRef x, float v)
{
	return splat(flt_like(g, x), LLVMConstReal(g->t_f32, v));
}

/* The i32 constant v shaped like x (f32- or i32-shaped). */
static LLVMValueRef ki(cg *g, LLVMValueRef x, int32_t v)
{
	return splat(int_like(g, x), LLVMConstInt(g->t_i32, (unsigned long long)(int64_t)v, 1));
}

static LLVMValueRef bits(cg *g, LLVMValueRef x) { return LLVMBuildBitCast(g->b, x, int_like(g, x), ""); }
static LLVMValueRef flt(cg *g, LLVMValueRef i) { return LLVMBuildBitCast(g->b, i, flt_like(g, i), ""); }

static LLVMValueRef intrinsic(cg *g, const char *name, LLVMValueRef *args, unsigned n)
{
	unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
	LLVMTypeRef ty = LLVMTypeOf(args[0]);
	LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, &ty, 1);
	return LLVMBuildCall2(g->b, LLVMIntrinsicGetType(g->lc, id, &ty, 1), fn, args, n, "");
}

/* Magnitude of mag with the sign of sgn. */
static LLVMValueRef fcopysign(cg *g, LLVMValueRef mag, LLVMValueRef sgn)
{
	LLVMValueRef a[2] = {mag, sgn};
	return intrinsic(g, "llvm.copysign", a, 2);
}

/* Flip the sign of x where the i1 flag is set. */
static LLVMValueRef negate_if(cg *g, LLVMValueRef flag, LLVMValueRef x)
{
	LLVMValueRef m = sel(g, flag, ki(g, x, INT32_MIN), ki(g, x, 0));
	return flt(g, LLVMBuildXor(g->b, bits(g, x), m, ""));
}

/* c[0] + x*(c[1] + x*(... + x*c[n-1])). */
static LLVMValueRef poly(cg *g, LLVMValueRef x, const float *c, int n)
{
	LLVMValueRef r = kf(g, x, c[n - 1]);
	for (int i = n - 2; i >= 0; i--)
		r = cg_fma(g, r, x, kf(g, x, c[i]));
	return r;
}

/* 2^n for an i32-shaped n in [-126, 127]. */
static LLVMValueRef pow2i(cg *g, LLVMValueRef n)
{
	LLVMValueRef e = LLVMBuildAdd(g->b, n, ki(g, n, 127), "");
	return flt(g, LLVMBuildShl(g->b, e, ki(g, n, 23), ""));
}

/* x * 2^n for n in [-252, 254] in two exact steps, so a result that
** overflows becomes infinity and one that underflows rounds once. */
static LLVMValueRef scale2(cg *g, LLVMValueRef x, LLVMValueRef n)
{
	LLVMValueRef n1 = LLVMBuildAShr(g->b, n, ki(g, n, 1), "");
	LLVMValueRef n2 = LLVMBuildSub(g->b, n, n1, "");
	return fmul(g, fmul(g, x, pow2i(g, n1)), pow2i(g, n2));
}

/* x clamped to [lo, hi]; NaN stays NaN. */
static LLVMValueRef clampf(cg *g, LLVMValueRef x, float lo, float hi)
{
	x = sel(g, fcmp(g, LLVMRealOGT, x, kf(g, x, hi)), kf(g, x, hi), x);
	return sel(g, fcmp(g, LLVMRealOLT, x, kf(g, x, lo)), kf(g, x, lo), x);
}

/*
** The nearest integer to x (|x| < 2^22) both as a float and as an i32:
** adding 1.5*2^23 leaves the rounded value in the low mantissa bits.
*/
static LLVMValueRef round_magic(cg *g, LLVMValueRef x, LLVMValueRef *ni)
{
	LLVMValueRef magic = kf(g, x, 12582912.0f);
	LLVMValueRef t = fadd(g, x, magic);
	*ni = LLVMBuildSub(g->b, bits(g, t), bits(g, magic), "");
	return fsub(g, t, magic);
}

/* ---- per-module functions -------------------------------------------------- */

typedef LLVMValueRef (*math_body)(cg *g, LLVMValueRef *args);

static void add_attr(cg *g, LLVMValueRef fn, const char *name, uint64_t val)
{
	unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
	LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(g->lc, kind, val));
}

/*
** A call of the module's function "cg.NAME.TYPE" (args of one type, result
** of that type), its body built by body on first use.  Building switches
** g->b and g->fn to the new function and back, so bodies may use the cg_*
** helpers and call other math functions.
*/
static LLVMValueRef math_call(cg *g, const char *name, math_body body, LLVMValueRef *args, unsigned n)
{
	LLVMTypeRef t = LLVMTypeOf(args[0]);
	LLVMTypeRef params[2] = {t, t};
	LLVMTypeRef fty = LLVMFunctionType(t, params, n, 0);
	char full[64];
	if (LLVMGetTypeKind(t) == LLVMVectorTypeKind)
		snprintf(full, sizeof full, "cg.%s.v%uf32", name, LLVMGetVectorSize(t));
	else
		snprintf(full, sizeof full, "cg.%s.f32", name);
	LLVMValueRef fn = LLVMGetNamedFunction(g->mod, full);
	if (!fn) {
		fn = LLVMAddFunction(g->mod, full, fty);
		LLVMSetLinkage(fn, LLVMInternalLinkage);
		add_attr(g, fn, "alwaysinline", 0);
		add_attr(g, fn, "nounwind", 0);
		add_attr(g, fn, "willreturn", 0);
		add_attr(g, fn, "nosync", 0);
		add_attr(g, fn, "nofree", 0);
		add_attr(g, fn, "memory", 0);  /* memory(none) */
		LLVMBuilderRef outer_b = g->b;
		LLVMValueRef outer_fn = g->fn;
		g->b = LLVMCreateBuilderInContext(g->lc);
		g->fn = fn;
		LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->lc, fn, "entry"));
		LLVMValueRef p[2];
		for (unsigned i = 0; i < n; i++)
			p[i] = LLVMGetParam(fn, i);
		LLVMBuildRet(g->b, body(g, p));
		LLVMDisposeBuilder(g->b);
		g->b = outer_b;
		g->fn = outer_fn;
	}
	return LLVMBuildCall2(g->b, fty, fn, args, n, "");
}

/* ---- rounding: exact, by the 2^23 trick --------------------------------------- */

enum { R_EVEN, R_TRUNC, R_FLOOR, R_CEIL };

/*
** Adding and removing 2^23 rounds |x| < 2^23 to an integer in the current
** (nearest, ties to even) rounding mode; one step of 1 corrects that to
** the direction asked for.  Larger magnitudes, infinities and NaN are
** integers already (or NaN).  The result has x's sign, as trunc(-0.5),
** ceil(-0.5) and floor(-0) have.  No float-to-int conversion: it would
** cost as much, and qemu 7.2 mistranslates some RISC-V vector forms.
*/
static LLVMValueRef round_int(cg *g, LLVMValueRef x, int mode)
{
	LLVMValueRef ax = cg_fabs(g, x), two23 = kf(g, x, 8388608.0f), one = kf(g, x, 1);
	LLVMValueRef r = fcopysign(g, fsub(g, fadd(g, ax, two23), two23), x);
	if (mode == R_TRUNC)
		r = sel(g, fcmp(g, LLVMRealOGT, cg_fabs(g, r), ax), fsub(g, r, fcopysign(g, one, x)), r);
	else if (mode == R_FLOOR)
		r = sel(g, fcmp(g, LLVMRealOGT, r, x), fsub(g, r, one), r);
	else if (mode == R_CEIL)
		r = sel(g, fcmp(g, LLVMRealOLT, r, x), fadd(g, r, one), r);
	return sel(g, fcmp(g, LLVMRealOLT, ax, two23), fcopysign(g, r, x), x);
}

static LLVMValueRef b_trunc(cg *g, LLVMValueRef *a) { return round_int(g, a[0], R_TRUNC); }
static LLVMValueRef b_floor(cg *g, LLVMValueRef *a) { return round_int(g, a[0], R_FLOOR); }
static LLVMValueRef b_ceil(cg *g, LLVMValueRef *a) { return round_int(g, a[0], R_CEIL); }
static LLVMValueRef b_round(cg *g, LLVMValueRef *a) { return round_int(g, a[0], R_EVEN); }

LLVMValueRef cg_trunc(cg *g, LLVMValueRef x) { return math_call(g, "trunc", b_trunc, &x, 1); }
LLVMValueRef cg_floor(cg *g, LLVMValueRef x) { return math_call(g, "floor", b_floor, &x, 1); }
LLVMValueRef cg_ceil(cg *g, LLVMValueRef x) { return math_call(g, "ceil", b_ceil, &x, 1); }
LLVMValueRef cg_round_even(cg *g, LLVMValueRef x) { return math_call(g, "round", b_round, &x, 1); }

/* ---- exp, expm1 ------------------------------------------------------------------ */

/* ln 2 = LN2_HI + LN2_LO, LN2_HI with 9 significant bits so n*LN2_HI is exact. */
#define LN2_HI 0.693359375f
#define LN2_LO -2.121944401e-04f
#define LOG2E 1.442695022f

/* x = n*ln2 + r, |r| <= ln2/2 (plus rounding), for |x| < 2^14. */
static LLVMValueRef reduce_ln2(cg *g, LLVMValueRef x, LLVMValueRef *n)
{
	LLVMValueRef nf = round_magic(g, fmul(g, x, kf(g, x, LOG2E)), n);
	LLVMValueRef r = fsub(g, x, fmul(g, nf, kf(g, x, LN2_HI)));
	return fsub(g, r, fmul(g, nf, kf(g, x, LN2_LO)));
}

/* e^r = 1 + r + r^2*P(r) on |r| <= ln2/2: relative error 2^-28.2. */
static const float exp_p[] = {4.999999404e-01f, 1.666652262e-01f, 4.166829214e-02f,
			      8.368533105e-03f, 1.381830545e-03f};

/* Beyond [-104, 89] exp is 0 or infinity in f32; the clamp keeps the
** reduction in range and lets scale2 produce those. */
static LLVMValueRef b_exp(cg *g, LLVMValueRef *a)
{
	LLVMValueRef n, x = clampf(g, a[0], -104.0f, 89.0f);
	LLVMValueRef r = reduce_ln2(g, x, &n);
	LLVMValueRef p = cg_fma(g, fmul(g, r, r), poly(g, r, exp_p, 5), r);
	return scale2(g, fadd(g, p, kf(g, x, 1)), n);
}

LLVMValueRef cg_exp(cg *g, LLVMValueRef x) { return math_call(g, "exp", b_exp, &x, 1); }

/* e^r - 1 = r + r^2*P(r) on |r| <= ln2/2: relative error 2^-26.1. */
static const float expm1_p[] = {4.999999702e-01f, 1.666654646e-01f, 4.166743904e-02f,
				8.366252296e-03f, 1.387027791e-03f};

/*
** e^x - 1 without cancellation near 0, for x <= 30 (larger x gives
** e^30 - 1: the callers never need more).  With x = n*ln2 + r,
** e^x - 1 = 2^n*(e^r - 1) + (2^n - 1), both terms exact but the last sum.
*/
static LLVMValueRef b_expm1(cg *g, LLVMValueRef *a)
{
	LLVMValueRef n, x = clampf(g, a[0], -26.0f, 30.0f);
	LLVMValueRef r = reduce_ln2(g, x, &n);
	LLVMValueRef q = cg_fma(g, fmul(g, r, r), poly(g, r, expm1_p, 5), r);
	LLVMValueRef s = pow2i(g, n);
	return cg_fma(g, s, q, fsub(g, s, kf(g, x, 1)));
}

/* Declared in k_elementwise.c until cg.h lists it. */
LLVMValueRef cg_expm1(cg *g, LLVMValueRef x);
LLVMValueRef cg_expm1(cg *g, LLVMValueRef x) { return math_call(g, "expm1", b_expm1, &x, 1); }

/* ---- log ---------------------------------------------------------------------------- */

/* R(z) of log(1+f) = f - f^2/2 + s*(f^2/2 + R(s^2)), s = f/(2+f), |s| <= 0.1716:
** error 2^-30 relative to the result. */
static const float log_r[] = {6.666677594e-01f, 3.997757435e-01f, 2.987123728e-01f};

/* ln 2 split so that k*LOG_LN2_HI is exact for |k| < 256. */
#define LOG_LN2_HI 0.693145751953125f
#define LOG_LN2_LO 1.428606820e-06f
#define SQRT_HALF_BITS 0x3f3504f3

/*
** Split a positive finite x (subnormals included) into k and m with
** x = 2^k * m, m in [sqrt(1/2), sqrt(2)).  Returns m; k as an i32.
*/
static LLVMValueRef split_exp(cg *g, LLVMValueRef x, LLVMValueRef *k)
{
	LLVMValueRef sub = fcmp(g, LLVMRealOLT, x, kf(g, x, 0x1p-126f));
	x = sel(g, sub, fmul(g, x, kf(g, x, 0x1p24f)), x);
	LLVMValueRef adj = sel(g, sub, ki(g, x, -24), ki(g, x, 0));
	/* Offsetting the bits moves the exponent step from 1 to sqrt(1/2). */
	LLVMValueRef ix = LLVMBuildAdd(g->b, bits(g, x), ki(g, x, 0x3f800000 - SQRT_HALF_BITS), "");
	LLVMValueRef e = LLVMBuildSub(g->b, LLVMBuildAShr(g->b, ix, ki(g, x, 23), ""), ki(g, x, 127), "");
	*k = LLVMBuildAdd(g->b, e, adj, "");
	LLVMValueRef mb = LLVMBuildAdd(g->b, and1(g, ix, ki(g, x, 0x007fffff)), ki(g, x, SQRT_HALF_BITS), "");
	return flt(g, mb);
}

static LLVMValueRef b_log(cg *g, LLVMValueRef *a)
{
	LLVMValueRef x = a[0], k;
	LLVMValueRef m = split_exp(g, x, &k);
	LLVMValueRef f = fsub(g, m, kf(g, x, 1));
	LLVMValueRef s = fdiv(g, f, fadd(g, f, kf(g, x, 2)));
	LLVMValueRef z = fmul(g, s, s);
	LLVMValueRef R = fmul(g, z, poly(g, z, log_r, 3));
	LLVMValueRef hfsq = fmul(g, fmul(g, f, f), kf(g, x, 0.5f));
	LLVMValueRef kf_ = LLVMBuildSIToFP(g->b, k, flt_like(g, x), "");
	/* Small terms first; f and k*ln2_hi, both exact, last. */
	LLVMValueRef r = cg_fma(g, s, fadd(g, hfsq, R), fmul(g, kf_, kf(g, x, LOG_LN2_LO)));
	r = fadd(g, fsub(g, r, hfsq), f);
	r = fadd(g, r, fmul(g, kf_, kf(g, x, LOG_LN2_HI)));
	/* log(+inf) = +inf, log(+-0) = -inf, log(x < 0) = NaN, NaN stays. */
	r = sel(g, fcmp(g, LLVMRealOEQ, x, kf(g, x, __builtin_inff())), x, r);
	r = sel(g, fcmp(g, LLVMRealOEQ, x, kf(g, x, 0)), kf(g, x, -__builtin_inff()), r);
	return sel(g, fcmp(g, LLVMRealULT, x, kf(g, x, 0)), kf(g, x, __builtin_nanf("")), r);
}

LLVMValueRef cg_log(cg *g, LLVMValueRef x) { return math_call(g, "log", b_log, &x, 1); }

/* log(1 + e) for e >= 0: u = 1 + e rounds, c = e - (u - 1) is exactly what
** was lost, and log(u + c) = log(u) + c/u to first order. */
static LLVMValueRef log1p_pos(cg *g, LLVMValueRef e)
{
	LLVMValueRef one = kf(g, e, 1), u = fadd(g, e, one);
	LLVMValueRef c = fsub(g, e, fsub(g, u, one));
	return fadd(g, cg_log(g, u), fdiv(g, c, u));
}

/* ---- sigmoid, tanh, softplus ----------------------------------------------------- */

/* 1/(1 + e) for x >= 0, e/(1 + e) below, with e = exp(-|x|), which never
** overflows; one division either way. */
static LLVMValueRef b_sigmoid(cg *g, LLVMValueRef *a)
{
	LLVMValueRef x = a[0], one = kf(g, x, 1);
	LLVMValueRef e = cg_exp(g, LLVMBuildFNeg(g->b, cg_fabs(g, x), ""));
	LLVMValueRef num = sel(g, fcmp(g, LLVMRealOGE, x, kf(g, x, 0)), one, e);
	return fdiv(g, num, fadd(g, one, e));
}

LLVMValueRef cg_sigmoid(cg *g, LLVMValueRef x) { return math_call(g, "sigmoid", b_sigmoid, &x, 1); }

/* tanh(x) = x + x^3*T(x^2) on |x| < 0.625: relative error 2^-27.7. */
#define TANH_SMALL 0.625f
static const float tanh_t[] = {-3.333328068e-01f, 1.333140582e-01f, -5.373651534e-02f,
			       2.062816732e-02f, -5.692296196e-03f};

/* Larger |x|: tanh = e/(e + 2) with e = expm1(2|x|); 1 beyond 9.1. */
static LLVMValueRef b_tanh(cg *g, LLVMValueRef *a)
{
	LLVMValueRef x = a[0], ax = cg_fabs(g, x), z = fmul(g, x, x);
	LLVMValueRef small = cg_fma(g, fmul(g, x, z), poly(g, z, tanh_t, 5), x);
	LLVMValueRef ac = sel(g, fcmp(g, LLVMRealOGT, ax, kf(g, x, 9.1f)), kf(g, x, 9.1f), ax);
	LLVMValueRef e = cg_expm1(g, fadd(g, ac, ac));
	LLVMValueRef big = fcopysign(g, fdiv(g, e, fadd(g, e, kf(g, x, 2))), x);
	return sel(g, fcmp(g, LLVMRealOLT, ax, kf(g, x, TANH_SMALL)), small, big);
}

LLVMValueRef cg_tanh(cg *g, LLVMValueRef x) { return math_call(g, "tanh", b_tanh, &x, 1); }

/* log(1 + e^x) = max(x, 0) + log1p(e^-|x|): never overflows, and exact to
** the last bit where e^-|x| vanishes against x. */
static LLVMValueRef b_softplus(cg *g, LLVMValueRef *a)
{
	LLVMValueRef x = a[0];
	LLVMValueRef e = cg_exp(g, LLVMBuildFNeg(g->b, cg_fabs(g, x), ""));
	LLVMValueRef pos = sel(g, fcmp(g, LLVMRealOGT, x, kf(g, x, 0)), x, kf(g, x, 0));
	return fadd(g, pos, log1p_pos(g, e));
}

LLVMValueRef cg_softplus(cg *g, LLVMValueRef x) { return math_call(g, "softplus", b_softplus, &x, 1); }

/* ---- erf -------------------------------------------------------------------------------- */

/* erf(x) = x + x*E(x^2) on |x| < 1 (the leading 2/sqrt(pi) split as
** 1 + 0.128... keeps its rounding out of the result): error 2^-29.4. */
static const float erf_e[] = {1.283791661e-01f, -3.761262596e-01f, 1.128357872e-01f,
			      -2.685334720e-02f, 5.187162198e-03f, -7.997853099e-04f,
			      7.806903159e-05f};
/* erfc(x) = exp(-x^2)*Q(1/x) on [1, 3.92]: error 2^-27.8 relative to erf. */
static const float erfc_q[] = {-1.698686625e-03f, 5.781940222e-01f, -3.505815566e-02f,
			       -3.079201281e-01f, 3.065671325e-01f, -1.376318634e-01f,
			       2.513126470e-02f};
#define ERF_ONE 3.92f  /* erf(x) rounds to 1 in f32 from 3.8325 on */

static LLVMValueRef b_erf(cg *g, LLVMValueRef *a)
{
	LLVMValueRef x = a[0], ax = cg_fabs(g, x);
	LLVMValueRef small = cg_fma(g, x, poly(g, fmul(g, x, x), erf_e, 7), x);
	LLVMValueRef ac = clampf(g, ax, 1.0f, ERF_ONE);
	LLVMValueRef q = poly(g, fdiv(g, kf(g, x, 1), ac), erfc_q, 7);
	LLVMValueRef e = fmul(g, cg_exp(g, LLVMBuildFNeg(g->b, fmul(g, ac, ac), "")), q);
	LLVMValueRef big = fcopysign(g, fsub(g, kf(g, x, 1), e), x);
	big = sel(g, fcmp(g, LLVMRealOGE, ax, kf(g, x, ERF_ONE)), fcopysign(g, kf(g, x, 1), x), big);
	return sel(g, fcmp(g, LLVMRealOLT, ax, kf(g, x, 1)), small, big);
}

LLVMValueRef cg_erf(cg *g, LLVMValueRef x) { return math_call(g, "erf", b_erf, &x, 1); }

/* ---- double-f32 arithmetic (value = hi + lo) ----------------------------------------- */

typedef struct dd {
	LLVMValueRef hi, lo;
} dd;

/* a + b exactly, |a| >= |b| (or a == 0). */
static dd fast_two_sum(cg *g, LLVMValueRef a, LLVMValueRef b)
{
	LLVMValueRef s = fadd(g, a, b);
	return (dd){s, fsub(g, b, fsub(g, s, a))};
}

/* a + b exactly, any order (Knuth). */
static dd two_sum(cg *g, LLVMValueRef a, LLVMValueRef b)
{
	LLVMValueRef s = fadd(g, a, b), bb = fsub(g, s, a);
	LLVMValueRef e = fadd(g, fsub(g, a, fsub(g, s, bb)), fsub(g, b, bb));
	return (dd){s, e};
}

/* ---- sin, cos ---------------------------------------------------------------------------- */

/* sin(r) = r + r^3*S(r^2), cos(r) = 1 - r^2/2 + r^4*C(r^2) on |r| <= 0.8
** (pi/4 and the slack of rounding x*2/pi): errors 2^-27.7 and 2^-32.6. */
static const float sin_s[] = {-1.666665375e-01f, 8.332095109e-03f, -1.950553997e-04f};
static const float cos_c[] = {4.166664183e-02f, -1.388713019e-03f, 2.441208017e-05f};
#define R_MAX 0.8f

/* pi/2 as a sum of parts; all but the last have 8 significant bits, so
** j*PIO2[k] is exact for |j| < 2^16. */
static const float pio2[] = {1.570312500e+00f, 4.844665527e-04f, -6.407499313e-07f, 9.895302355e-10f,
			     2.557953849e-12f, 5.390302953e-15f};

/*
** x = j*pi/2 + r with |r| <= pi/4 (a little more: j rounds x*2/pi, itself
** rounded); returns r and j mod 4 (as an i32).  The first two subtractions
** are exact (Cody and Waite); the next three keep their rounding errors
** (two_sum) in lo, so r is accurate both when it is large and when x is
** close to a multiple of pi/2.  Accurate while |x| < about 1e5
** (docs/codegen-math.md); beyond, r stays clamped to the polynomials'
** interval so results stay in [-1, 1].
*/
static LLVMValueRef reduce_pio2(cg *g, LLVMValueRef x, LLVMValueRef *q)
{
	LLVMValueRef n, j = round_magic(g, fmul(g, x, kf(g, x, 6.366197467e-01f)), &n);
	*q = and1(g, n, ki(g, x, 3));
	LLVMValueRef nj = LLVMBuildFNeg(g->b, j, "");
	LLVMValueRef r = fsub(g, x, fmul(g, j, kf(g, x, pio2[0])));
	r = fsub(g, r, fmul(g, j, kf(g, x, pio2[1])));
	LLVMValueRef lo = kf(g, x, 0);
	for (int k = 2; k < 5; k++) {
		dd s = two_sum(g, r, fmul(g, nj, kf(g, x, pio2[k])));
		r = s.hi;
		lo = fadd(g, lo, s.lo);
	}
	lo = fsub(g, lo, fmul(g, j, kf(g, x, pio2[5])));
	return clampf(g, fadd(g, r, lo), -R_MAX, R_MAX);
}

/* sin (cos_ = 0) or cos (cos_ = 1) of x. */
static LLVMValueRef sincos(cg *g, LLVMValueRef x, int cos_)
{
	LLVMValueRef q;
	LLVMValueRef r = reduce_pio2(g, x, &q);
	LLVMValueRef z = fmul(g, r, r);
	LLVMValueRef s = cg_fma(g, fmul(g, r, z), poly(g, z, sin_s, 3), r);
	LLVMValueRef c = cg_fma(g, fmul(g, z, z), poly(g, z, cos_c, 3),
				fsub(g, kf(g, x, 1), fmul(g, z, kf(g, x, 0.5f))));
	if (cos_)
		q = LLVMBuildAdd(g->b, q, ki(g, x, 1), "");
	LLVMValueRef odd = icmp(g, LLVMIntNE, and1(g, q, ki(g, x, 1)), ki(g, x, 0));
	LLVMValueRef neg = icmp(g, LLVMIntNE, and1(g, q, ki(g, x, 2)), ki(g, x, 0));
	LLVMValueRef y = negate_if(g, neg, sel(g, odd, c, s));
	/* NaN and infinities give NaN (the clamp above hid them). */
	LLVMValueRef fin = fcmp(g, LLVMRealOLT, cg_fabs(g, x), kf(g, x, __builtin_inff()));
	return sel(g, fin, y, kf(g, x, __builtin_nanf("")));
}

static LLVMValueRef b_sin(cg *g, LLVMValueRef *a) { return sincos(g, a[0], 0); }
static LLVMValueRef b_cos(cg *g, LLVMValueRef *a) { return sincos(g, a[0], 1); }

LLVMValueRef cg_sin(cg *g, LLVMValueRef x) { return math_call(g, "sin", b_sin, &x, 1); }
LLVMValueRef cg_cos(cg *g, LLVMValueRef x) { return math_call(g, "cos", b_cos, &x, 1); }

/* ---- pow ------------------------------------------------------------------------------------ */

/*
** pow computes 2^(y*log2|x|) with log2|x| and the product in double-f32
** (value = hi + lo), so that the result keeps nearly full precision even
** where y*log2|x| is near +-126.  Products are split (Veltkamp, Dekker)
** rather than fused: llvm.fmuladd is not fused on every target.
*/
/* a = hi + lo with 12-bit halves (|a| < 2^115). */
static dd split(cg *g, LLVMValueRef a)
{
	LLVMValueRef c = fmul(g, a, kf(g, a, 4097.0f));
	LLVMValueRef hi = fsub(g, c, fsub(g, c, a));
	return (dd){hi, fsub(g, a, hi)};
}

/* a * b exactly (barring over- and underflow). */
static dd two_prod(cg *g, LLVMValueRef a, LLVMValueRef b)
{
	dd x = split(g, a), y = split(g, b);
	LLVMValueRef p = fmul(g, a, b);
	LLVMValueRef e = fsub(g, fmul(g, x.hi, y.hi), p);
	e = fadd(g, e, fmul(g, x.hi, y.lo));
	e = fadd(g, e, fmul(g, x.lo, y.hi));
	e = fadd(g, e, fmul(g, x.lo, y.lo));
	return (dd){p, e};
}

/* log2(m) = K*t*(1 + W(t^2)), t = (m-1)/(m+1), K = 2/ln2: W's error 2^-35. */
static const float pow_w[] = {3.333333135e-01f, 2.000048608e-01f, 1.424938887e-01f, 1.213973984e-01f};
#define K_HI 2.885390043f
#define K_LO 3.851926067e-08f

/* log2 of a positive finite |x| as hi + lo, relative error about 2^-30. */
static dd log2_dd(cg *g, LLVMValueRef ax)
{
	LLVMValueRef k;
	LLVMValueRef m = split_exp(g, ax, &k), one = kf(g, ax, 1);
	LLVMValueRef u = fsub(g, m, one);
	dd v = two_sum(g, m, one);
	LLVMValueRef th = fdiv(g, u, v.hi);
	dd p = two_prod(g, th, v.hi);
	LLVMValueRef rr = fsub(g, fsub(g, fsub(g, u, p.hi), p.lo), fmul(g, th, v.lo));
	LLVMValueRef tl = fdiv(g, rr, v.hi);
	LLVMValueRef z = fmul(g, th, th);
	LLVMValueRef w = fmul(g, z, poly(g, z, pow_w, 4));
	dd a = two_prod(g, kf(g, ax, K_HI), th);
	a.lo = fadd(g, a.lo, fadd(g, fmul(g, kf(g, ax, K_HI), tl), fmul(g, kf(g, ax, K_LO), th)));
	LLVMValueRef tail = fadd(g, a.lo, fmul(g, a.hi, w));
	dd l = fast_two_sum(g, LLVMBuildSIToFP(g->b, k, flt_like(g, ax), ""), a.hi);
	return fast_two_sum(g, l.hi, fadd(g, l.lo, tail));
}

/* 2^f = 1 + f*Q(f) on |f| <= 1/2: relative error 2^-32.5. */
static const float exp2_q[] = {6.931471825e-01f, 2.402265072e-01f, 5.550405011e-02f,
			       9.618086740e-03f, 1.333796652e-03f, 1.545211417e-04f,
			       1.432289719e-05f};

/* 2^(hi + lo), overflowing to infinity and underflowing to 0. */
static LLVMValueRef exp2_dd(cg *g, dd y)
{
	LLVMValueRef in = fcmp(g, LLVMRealOLE, cg_fabs(g, y.hi), kf(g, y.hi, 200.0f));
	LLVMValueRef hi = clampf(g, y.hi, -200.0f, 200.0f);
	LLVMValueRef lo = sel(g, in, y.lo, kf(g, y.hi, 0));
	LLVMValueRef n, nf = round_magic(g, hi, &n);
	LLVMValueRef f = fadd(g, fsub(g, hi, nf), lo);
	LLVMValueRef p = cg_fma(g, f, poly(g, f, exp2_q, 7), kf(g, f, 1));
	return scale2(g, p, n);
}

/* |x|^y for finite positive |x|, y clamped so the split cannot overflow. */
static LLVMValueRef pow_core(cg *g, LLVMValueRef ax, LLVMValueRef y)
{
	dd l = log2_dd(g, ax);
	LLVMValueRef yc = clampf(g, y, -0x1p60f, 0x1p60f);
	dd p = two_prod(g, yc, l.hi);
	p.lo = fadd(g, p.lo, fmul(g, yc, l.lo));
	return exp2_dd(g, p);
}

/* The special cases of C99 F.9.4.4 over the core result r. */
static LLVMValueRef pow_special(cg *g, LLVMValueRef x, LLVMValueRef y, LLVMValueRef r)
{
	LLVMValueRef ax = cg_fabs(g, x), ay = cg_fabs(g, y);
	LLVMValueRef zero = kf(g, x, 0), one = kf(g, x, 1), inf = kf(g, x, __builtin_inff());
	LLVMValueRef yint = fcmp(g, LLVMRealOEQ, cg_trunc(g, y), y);
	/* An integer y is odd by its last mantissa bit (with 2^23 added below
	** 2^23, where the last bit is worth less than 1); from 2^24 on it is even. */
	LLVMValueRef two23 = kf(g, x, 0x1p23f);
	LLVMValueRef t = sel(g, fcmp(g, LLVMRealOLT, ay, two23), fadd(g, ay, two23), ay);
	LLVMValueRef lsb = icmp(g, LLVMIntNE, and1(g, bits(g, t), ki(g, x, 1)), ki(g, x, 0));
	LLVMValueRef yodd = and1(g, and1(g, yint, fcmp(g, LLVMRealOLT, ay, kf(g, x, 0x1p24f))), lsb);
	LLVMValueRef yneg = fcmp(g, LLVMRealOLT, y, zero);
	LLVMValueRef big = fcmp(g, LLVMRealOGT, ax, one);
	/* y = +-inf: 1 for |x| = 1, else 0 or inf by whether |x| > 1 agrees with y > 0. */
	LLVMValueRef yinf = fcmp(g, LLVMRealOEQ, ay, inf);
	LLVMValueRef rinf = sel(g, LLVMBuildICmp(g->b, LLVMIntEQ, big, yneg, ""), zero, inf);
	rinf = sel(g, fcmp(g, LLVMRealOEQ, ax, one), one, rinf);
	r = sel(g, yinf, rinf, r);
	r = sel(g, fcmp(g, LLVMRealOEQ, ax, zero), sel(g, yneg, inf, zero), r);
	r = sel(g, fcmp(g, LLVMRealOEQ, ax, inf), sel(g, yneg, zero, inf), r);
	LLVMValueRef xneg = icmp(g, LLVMIntSLT, bits(g, x), ki(g, x, 0));
	r = negate_if(g, and1(g, xneg, yodd), r);
	/* A finite negative x to a non-integer power. */
	LLVMValueRef fneg = and1(g, fcmp(g, LLVMRealOLT, x, zero), fcmp(g, LLVMRealOLT, ax, inf));
	LLVMValueRef bad = and1(g, fneg, LLVMBuildNot(g->b, yint, ""));
	bad = or1(g, bad, fcmp(g, LLVMRealUNO, x, y));
	r = sel(g, bad, kf(g, x, __builtin_nanf("")), r);
	LLVMValueRef unit = or1(g, fcmp(g, LLVMRealOEQ, y, zero), fcmp(g, LLVMRealOEQ, x, one));
	return sel(g, unit, one, r);
}

static LLVMValueRef b_pow(cg *g, LLVMValueRef *a)
{
	LLVMValueRef x = a[0], y = a[1];
	LLVMValueRef ax = cg_fabs(g, x);
	/* Keep the core's input ordinary; pow_special replaces those results. */
	LLVMValueRef ok = and1(g, fcmp(g, LLVMRealOGT, ax, kf(g, x, 0)),
			       fcmp(g, LLVMRealOLT, ax, kf(g, x, __builtin_inff())));
	LLVMValueRef r = pow_core(g, sel(g, ok, ax, kf(g, x, 1)), y);
	return pow_special(g, x, y, r);
}

LLVMValueRef cg_pow(cg *g, LLVMValueRef x, LLVMValueRef y)
{
	LLVMValueRef a[2] = {x, y};
	return math_call(g, "pow", b_pow, a, 2);
}
