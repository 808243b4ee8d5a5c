/*
** k_int8.c - the integer GEMM engine (see k_int8.h): the tile per target,
** the requantization rule at compile time and in emitted code, weight
** packing, the micro-kernel and the loops around it.
**
** Loop order, outside in: blocks of rows (their packed activations, about
** I8_BLOCK_BYTES, stay in L1/L2 while every panel of weights passes over
** them); panels of nr channels; tiles of mr rows; taps; steps of kg.  The
** sums of a tile live in allocas that LLVM promotes to registers.  Full
** tiles run in loops; the last rows (fewer than mr) and the last channels
** (fewer than nr: the panel is zero padded, only the valid lanes are
** stored) are separate instances of the tile.
*/
#include <math.h>
#include <string.h>

#include "codegen/k_int8.h"

/* Activation bytes of a block of rows. */
#define I8_BLOCK_BYTES (32 * 1024)
/* Steps per trip of the innermost loop. */
#define I8_UNROLL 2

/* ---- small IR helpers ------------------------------------------------------ */

LLVMValueRef i8_splat(cg *g, LLVMValueRef s, int n)
{
	LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(s), (unsigned)n);
	LLVMValueRef v = LLVMBuildInsertElement(g->b, LLVMGetPoison(vt), s, cg_i32(g, 0), "");
	LLVMValueRef mask = LLVMConstNull(LLVMVectorType(g->t_i32, (unsigned)n));
	return LLVMBuildShuffleVector(g->b, v, LLVMGetPoison(vt), mask, "");
}

LLVMValueRef i8_gep(cg *g, LLVMTypeRef t, LLVMValueRef p, LLVMValueRef i)
{
	return LLVMBuildInBoundsGEP2(g->b, t, p, &i, 1, "");
}

LLVMValueRef i8_gepc(cg *g, LLVMTypeRef t, LLVMValueRef p, int64_t i)
{
	return i ? i8_gep(g, t, p, cg_i64(g, i)) : p;
}

LLVMValueRef i8_load(cg *g, LLVMTypeRef t, LLVMValueRef p)
{
	LLVMValueRef v = LLVMBuildLoad2(g->b, t, p, "");
	LLVMSetAlignment(v, 1);
	return v;
}

void i8_store(cg *g, LLVMValueRef v, LLVMValueRef p)
{
	LLVMSetAlignment(LLVMBuildStore(g->b, v, p), 1);
}

LLVMValueRef i8_mul(cg *g, LLVMValueRef i, int64_t c)
{
	return c == 1 ? i : LLVMBuildNSWMul(g->b, i, cg_i64(g, c), "");
}

LLVMValueRef i8_add(cg *g, LLVMValueRef i, int64_t c)
{
	return c ? LLVMBuildNSWAdd(g->b, i, cg_i64(g, c), "") : i;
}

static LLVMTypeRef vec(LLVMTypeRef t, int n)
{
	return LLVMVectorType(t, (unsigned)n);
}

/* The integer constant v of type ty (a scalar or vector type). */
static LLVMValueRef iconst(LLVMTypeRef ty, int64_t v)
{
	if (LLVMGetTypeKind(ty) != LLVMVectorTypeKind)
		return LLVMConstInt(ty, (unsigned long long)v, 1);
	unsigned n = LLVMGetVectorSize(ty);
	LLVMValueRef e = LLVMConstInt(LLVMGetElementType(ty), (unsigned long long)v, 1);
	LLVMValueRef buf[64];
	for (unsigned i = 0; i < n && i < 64; i++)
		buf[i] = e;
	return LLVMConstVector(buf, n);
}

static LLVMValueRef call_intr(cg *g, const char *name, LLVMTypeRef *tys, unsigned ntys, LLVMValueRef *args,
			      unsigned nargs)
{
	unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
	LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, tys, ntys);
	return LLVMBuildCall2(g->b, LLVMIntrinsicGetType(g->lc, id, tys, ntys), fn, args, nargs, "");
}

LLVMValueRef i8_pmaddwd(cg *g, const i8_tile *t, LLVMValueRef x, LLVMValueRef w)
{
	LLVMValueRef args[2] = {x, w};
	return call_intr(g, t->isa == I8_AVX2 ? "llvm.x86.avx2.pmadd.wd" : "llvm.x86.sse2.pmadd.wd", NULL, 0,
			 args, 2);
}

static LLVMValueRef ismin(cg *g, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, a, b, ""), a, b, "");
}

static LLVMValueRef ismax(cg *g, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, a, b, ""), a, b, "");
}

void i8_store_lanes(cg *g, LLVMValueRef v, ir_dtype dt, LLVMValueRef p, int64_t stride, int lanes)
{
	int n = (int)LLVMGetVectorSize(LLVMTypeOf(v));
	LLVMTypeRef et = dt == IR_I32 ? g->t_i32 : g->t_i8;
	if (dt != IR_I32)
		v = LLVMBuildTrunc(g->b, v, vec(g->t_i8, n), "");
	if (stride == 1 && lanes == n) {
		i8_store(g, v, p);
		return;
	}
	for (int l = 0; l < lanes; l++)
		i8_store(g, LLVMBuildExtractElement(g->b, v, cg_i32(g, l), ""), i8_gepc(g, et, p, l * stride));
}

/* ---- the tile per target ------------------------------------------------------ */

/* +1 or -1 when the comma-separated features turn name on or off (the
** last mention wins), 0 when they do not mention it. */
static int feature(const char *features, const char *name)
{
	int on = 0;
	size_t n = strlen(name);
	for (const char *f = features; f && *f;) {
		const char *end = strchr(f, ',');
		size_t len = end ? (size_t)(end - f) : strlen(f);
		if (len == n + 1 && !strncmp(f + 1, name, n))
			on = f[0] == '+' ? 1 : -1;
		f += len + (end != NULL);
	}
	return on;
}

/* AArch64 CPUs whose LLVM definition includes the dot product. */
static bool cpu_has_dot(const char *cpu)
{
	static const char *const cpus[] = {"cortex-a55", "cortex-a65", "cortex-a75", "cortex-a76",
		"cortex-a77", "cortex-a78", "cortex-a710", "cortex-x1", "cortex-x2", "neoverse-n1",
		"neoverse-n2", "neoverse-v1", "neoverse-v2", "apple-m1", "apple-m2", "apple-a13",
		"apple-a14", "apple-a15", "apple-a16", NULL};
	for (int i = 0; cpus[i]; i++)
		if (!strcmp(cpu, cpus[i]))
			return true;
	return false;
}

/* The instructions the target has, from its CPU and features: an
** intrinsic the target lacks would stop LLVM, so a feature turned off
** explicitly wins over the CPU.  x86-64 without SSE2 cannot lower the
** kernels' vector types at all. */
static i8_isa isa_for(cg *g)
{
	const char *triple = LLVMGetTarget(g->mod);
	char *feat = LLVMGetTargetMachineFeatureString(g->tm);
	char *cpu = LLVMGetTargetMachineCPU(g->tm);
	i8_isa isa = I8_WIDE;
	if (!strncmp(triple, "x86_64", 6)) {
		/* Turning off an extension turns off those built on it. */
		static const char *const chain[] = {"sse", "sse2", "sse3", "ssse3", "sse4.1", "sse4.2", "avx",
						    "avx2"};
		int off = 8;
		for (int i = 7; i >= 0; i--)
			off = feature(feat, chain[i]) < 0 ? i : off;
		bool avx2 = off == 8 && (feature(feat, "avx2") > 0 || g->vec_bytes >= 32);
		isa = avx2 ? I8_AVX2 : off >= 2 ? I8_SSE2 : I8_NONE;
	} else if (!strncmp(triple, "aarch64", 7) && feature(feat, "neon") >= 0) {
		int dot = feature(feat, "dotprod");
		isa = dot > 0 || (dot == 0 && cpu_has_dot(cpu)) ? I8_DOT : I8_WIDE;
	}
	LLVMDisposeMessage(feat);
	LLVMDisposeMessage(cpu);
	return isa;
}

/* x86-64 has 16 vector registers: 4 rows x 2 vectors of accumulators
** leave room for the weights and a broadcast.  AArch64 and RISC-V V have
** 32: 4 x 16 channels.  Without vectors, 2 x 4 scalars. */
int i8_tile_for(cg *g, i8_tile *t)
{
	switch (isa_for(g)) {
	case I8_NONE:
		return -1;
	case I8_AVX2:
		*t = (i8_tile){.isa = I8_AVX2, .kg = 2, .vl = 8, .nv = 2, .mr = 4, .esz = 2};
		break;
	case I8_SSE2:
		*t = (i8_tile){.isa = I8_SSE2, .kg = 2, .vl = 4, .nv = 2, .mr = 4, .esz = 2};
		break;
	case I8_DOT:
		*t = (i8_tile){.isa = I8_DOT, .kg = 4, .vl = 4, .nv = 4, .mr = 4, .esz = 1};
		break;
	default:
		if (g->vec_bytes >= 16)
			*t = (i8_tile){.isa = I8_WIDE, .kg = 1, .vl = 16, .nv = 1, .mr = 4, .esz = 2};
		else
			*t = (i8_tile){.isa = I8_WIDE, .kg = 1, .vl = 4, .nv = 1, .mr = 2, .esz = 2};
	}
	t->nr = t->nv * t->vl;
	return 0;
}

/* ---- requantization at compile time ------------------------------------------------------- */

/* floor(a / 2^s) for s in [0, 62] (C's >> of a negative value is not portable). */
static int64_t floor_shift(int64_t a, int s)
{
	int64_t d = (int64_t)1 << s;
	int64_t q = a / d;
	return q - (a % d != 0 && a < 0);
}

int64_t i8_rq_eval(const i8_rq *r, int32_t zero, bool ties_even, int64_t acc)
{
	int64_t t = acc * r->mult + ((int64_t)1 << (r->shift - 1));
	int64_t q = floor_shift(t, r->shift) + zero;
	bool tie = (t & (((int64_t)1 << r->shift) - 1)) == 0;
	if (ties_even && tie && (q & 1))
		q -= 1;
	return q;
}

/*
** Why i8_rq_qlinear is exact.  The interpreter computes R = rne(fl64(fl64(v
** m) + z)) saturated to an 8-bit range, v an i32 sum, m an f32 and z an
** integer zero point in that range (rne: to nearest, ties to even; fl64:
** rounding to double).  Write m = M 2^-S with M < 2^24 an integer (its
** significand) and 1 <= S <= 43.
**  - While |v m| < 2^9: |v M| < 2^(9+S) <= 2^52, so v m is a double and
**    fl64(v m) = v m exactly; T = v M + z 2^S has |T| < 2^(10+S) <= 2^53,
**    so fl64(v m + z) = T 2^-S exactly and R = rne(T 2^-S), what
**    i8_rq_eval computes with ties_even.
**  - Once |v m| >= 2^9, fl64(v m) is at least as large in magnitude (2^9
**    is a double, rounding is monotone) and so is the exact value: both
**    lie beyond the 8-bit range from any zero point in it, and both
**    saturate to the same end.
** m >= 2^24 (S would be negative) saturates every v != 0: M = 2^11, S = 1
** does the same.
*/
int i8_rq_qlinear(float m, i8_rq *r)
{
	if (isnan(m) || isinf(m) || m < 0)
		return -1;
	if (m == 0) {
		*r = (i8_rq){0, 1};
		return 0;
	}
	int e;
	float f = frexpf(m, &e);        /* m = f 2^e, f in [0.5, 1): f 2^24 is an integer */
	int64_t mm = (int64_t)ldexpf(f, 24);
	int s = 24 - e;
	while (s > 1 && (mm & 1) == 0) {
		mm >>= 1;
		s--;
	}
	if (s < 1) {
		*r = (i8_rq){1 << 11, 1};
		return 0;
	}
	if (s > 43)
		return -1;
	*r = (i8_rq){(int32_t)mm, s};
	return 0;
}

/* With M = M_odd 2^j, a tie v M = (n + 1/2) 2^S needs v to be an odd
** multiple of 2^(S-1-j); below saturation |v M| < 2^(9+S), which leaves
** room for one only when M_odd < 2^10. */
bool i8_rq_has_ties(const i8_rq *r)
{
	int64_t m = r->mult;
	if (m == 0)
		return false;
	while ((m & 1) == 0)
		m >>= 1;
	return m < 1024;
}

bool i8_rq_common_shift(i8_rq *rq, int64_t n)
{
	int smax = 1;
	for (int64_t i = 0; i < n; i++)
		smax = rq[i].shift > smax ? rq[i].shift : smax;
	for (int64_t i = 0; i < n; i++)
		if (((int64_t)rq[i].mult << (smax - rq[i].shift)) > INT32_MAX)
			return false;
	for (int64_t i = 0; i < n; i++) {
		rq[i].mult = (int32_t)((int64_t)rq[i].mult << (smax - rq[i].shift));
		rq[i].shift = smax;
	}
	return true;
}

int64_t i8_rq_acc_bound(const i8_rq *rq, int64_t n)
{
	double mmax = 0;
	for (int64_t i = 0; i < n; i++) {
		double m = ldexp((double)rq[i].mult, -rq[i].shift);   /* exact */
		mmax = m > mmax ? m : mmax;
	}
	if (mmax < 0.5)
		return 0;
	int64_t bound = (int64_t)floor(0x1p29 / mmax);
	bound = bound < 1 ? 1 : bound;
	for (int64_t i = 0; i < n; i++) {
		if (rq[i].mult == 0)
			continue;
		if (rq[i].shift + 9 >= 62 || bound * (int64_t)rq[i].mult < ((int64_t)1 << (rq[i].shift + 9)))
			return -1;
	}
	return bound;
}

LLVMValueRef i8_rq_tables(cg *g, const i8_rq *rq, int64_t n, int64_t np)
{
	int32_t *t = ir_alloc_array(g->c, (size_t)(2 * np) + 1, sizeof *t);
	for (int64_t i = 0; i < np; i++) {
		t[i] = i < n ? rq[i].mult : 0;
		t[np + i] = i < n ? rq[i].shift : 1;
	}
	return cg_const_bytes(g, t, 2 * np * 4, "rq");
}

/*
** The high-word form of the rule, for S >= 33.  With P = v M (|P| < 2^62),
** h = floor(P / 2^32) (the high word of P as an i64) and k = S - 33:
**     zero + floor((P + 2^(S-1)) / 2^S) = floor((floor(h / 2^k) + 1 + 2 zero) / 2)
** exactly: 2^(S-1) is a multiple of 2^32, floors of divisions by powers of
** two compose, and 2 zero is even.  h is in [-2^30, 2^30), so every step
** is i32 arithmetic, and a layer's tables are M (i32) and k (one byte) per
** channel.  No tie correction: it would need the low word.  A rule with
** M = 0 gives zero for any S: it takes S = 33.
*/
static int hi_k(const i8_rq *r)
{
	return (r->mult == 0 && r->shift < 33 ? 33 : r->shift) - 33;
}

bool i8_rq_hi_word(const i8_rq *rq, int64_t n, bool ties_even)
{
	if (ties_even)
		return false;
	for (int64_t i = 0; i < n; i++)
		if (hi_k(&rq[i]) < 0 || hi_k(&rq[i]) > 29)
			return false;
	return true;
}

int64_t i8_rq_hi_eval(const i8_rq *r, int32_t zero, int32_t v, int64_t *sum)
{
	*sum = floor_shift(floor_shift((int64_t)v * r->mult, 32), hi_k(r)) + 1 + 2 * (int64_t)zero;
	return floor_shift(*sum, 1);
}

LLVMValueRef i8_rq_hi_tables(cg *g, const i8_rq *rq, int64_t n, int64_t np)
{
	uint8_t *t = ir_alloc_array(g->c, (size_t)(5 * np) + 1, 1);
	for (int64_t i = 0; i < np; i++) {
		i8_rq r = i < n ? rq[i] : (i8_rq){0, 33};
		memcpy(t + 4 * i, &r.mult, 4);
		t[4 * np + i] = (uint8_t)hi_k(&r);
	}
	return cg_const_bytes(g, t, 5 * np, "rq.hi");
}

/* ---- requantization in emitted code ---------------------------------------------------------- */

/* n lanes of an i32 table from element c on, or (one) element c in every lane. */
static LLVMValueRef tab_vec(cg *g, LLVMValueRef tab, LLVMValueRef c, int n, bool one)
{
	LLVMValueRef p = i8_gep(g, g->t_i32, tab, c);
	if (one)
		return i8_splat(g, i8_load(g, g->t_i32, p), n);
	return i8_load(g, vec(g->t_i32, n), p);
}

/* The rule of the lanes as vectors: M (i32) and S (i64). */
static void rq_vectors(cg *g, const i8_epi *e, LLVMValueRef c, int n, bool one, LLVMValueRef *m,
		       LLVMValueRef *s)
{
	LLVMTypeRef v64 = vec(g->t_i64, n);
	if (e->mult_uniform)
		*m = iconst(vec(g->t_i32, n), e->rq[0].mult);
	else
		*m = tab_vec(g, e->rq_tab, c, n, one);
	if (e->shift_uniform)
		*s = iconst(v64, e->rq[0].shift);
	else
		*s = LLVMBuildZExt(g->b, tab_vec(g, e->rq_tab, i8_add(g, c, e->rq_np), n, one), v64, "");
}

/*
** v: <n x i32> sums with |v M 2^-S| < 2^30 (see i8_rq_acc_bound).
**   u = v M + 2^(S-1) + 2^62      (no overflow as u64, never negative)
**   u >> S = floor((v M + 2^(S-1)) 2^-S) + 2^(62-S)
** and the result fits i32, so 2^(62-S) can go after truncation:
**   q = trunc32(u >> S) + (zero - trunc32(2^(62-S))).
** A tie is u = 0 modulo 2^S; rounding it to even subtracts q's low bit.
*/
static LLVMValueRef rq_apply(cg *g, const i8_epi *e, LLVMValueRef v, LLVMValueRef m, LLVMValueRef s)
{
	LLVMBuilderRef b = g->b;
	int n = (int)LLVMGetVectorSize(LLVMTypeOf(v));
	LLVMTypeRef v32 = vec(g->t_i32, n), v64 = vec(g->t_i64, n);
	LLVMValueRef one = iconst(v64, 1), big = iconst(v64, (int64_t)1 << 62);
	LLVMValueRef half = LLVMBuildShl(b, one, LLVMBuildSub(b, s, one, ""), "");
	LLVMValueRef t = LLVMBuildMul(b, LLVMBuildSExt(b, v, v64, ""), LLVMBuildSExt(b, m, v64, ""), "");
	LLVMValueRef u = LLVMBuildAdd(b, t, LLVMBuildAdd(b, half, big, ""), "");
	LLVMValueRef hi = LLVMBuildTrunc(b, LLVMBuildLShr(b, u, s, ""), v32, "");
	LLVMValueRef off = LLVMBuildTrunc(b, LLVMBuildLShr(b, big, s, ""), v32, "");
	LLVMValueRef q = LLVMBuildAdd(b, hi, LLVMBuildSub(b, iconst(v32, e->zero), off, ""), "");
	if (e->ties_even) {
		LLVMValueRef mask = LLVMBuildSub(b, LLVMBuildShl(b, one, s, ""), one, "");
		LLVMValueRef tie = LLVMBuildICmp(b, LLVMIntEQ, LLVMBuildAnd(b, u, mask, ""), LLVMConstNull(v64), "");
		LLVMValueRef odd = LLVMBuildAnd(b, q, iconst(v32, 1), "");
		q = LLVMBuildSub(b, q, LLVMBuildAnd(b, odd, LLVMBuildZExt(b, tie, v32, ""), ""), "");
	}
	return ismax(g, ismin(g, q, iconst(v32, e->hi)), iconst(v32, e->lo));
}

/* The even lanes of x (<n x i32>, odd lanes first when odd) as n/2 i64
** lanes, sign-extended in the form x86 selects pmuldq for (an
** arithmetic shift of i64 lanes is no instruction on AVX2: LLVM expands
** it before it can see the multiply's operands are 32-bit). */
static LLVMValueRef lanes_i64(cg *g, LLVMValueRef x, int n, bool odd)
{
	LLVMBuilderRef b = g->b;
	LLVMTypeRef h64 = vec(g->t_i64, n / 2);
	if (odd) {
		LLVMValueRef idx[16];
		for (int i = 0; i < n; i++)
			idx[i] = cg_i32(g, i | 1);
		x = LLVMBuildShuffleVector(b, x, LLVMGetPoison(LLVMTypeOf(x)), LLVMConstVector(idx, (unsigned)n), "");
	}
	LLVMValueRef k32 = iconst(h64, 32);
	return LLVMBuildAShr(b, LLVMBuildShl(b, LLVMBuildBitCast(b, x, h64, ""), k32, ""), k32, "");
}

/* The high word of v M (i32 lanes).  On x86 the even and odd lanes go
** through one 32 x 32 -> 64 multiply each (pmuldq) and a blend, all
** within 128-bit halves; elsewhere widening multiplies and a narrowing. */
static LLVMValueRef mul_hi(cg *g, LLVMValueRef v, LLVMValueRef m, int n)
{
	LLVMBuilderRef b = g->b;
	LLVMTypeRef v32 = vec(g->t_i32, n), v64 = vec(g->t_i64, n);
	if (strncmp(LLVMGetTarget(g->mod), "x86_64", 6) || n % 2) {
		LLVMValueRef p = LLVMBuildMul(b, LLVMBuildSExt(b, v, v64, ""), LLVMBuildSExt(b, m, v64, ""), "");
		return LLVMBuildTrunc(b, LLVMBuildAShr(b, p, iconst(v64, 32), ""), v32, "");
	}
	LLVMValueRef pe = LLVMBuildMul(b, lanes_i64(g, v, n, false), lanes_i64(g, m, n, false), "");
	LLVMValueRef po = LLVMBuildMul(b, lanes_i64(g, v, n, true), lanes_i64(g, m, n, true), "");
	LLVMValueRef idx[16];
	for (int i = 0; i < n; i++)
		idx[i] = cg_i32(g, (i & ~1) + 1 + (i & 1) * n);
	return LLVMBuildShuffleVector(b, LLVMBuildBitCast(b, pe, v32, ""), LLVMBuildBitCast(b, po, v32, ""),
				      LLVMConstVector(idx, (unsigned)n), "");
}

/* rq_apply in the high-word form (i8_rq_hi_word). */
static LLVMValueRef rq_apply_hi(cg *g, const i8_epi *e, LLVMValueRef v, LLVMValueRef c, bool one)
{
	LLVMBuilderRef b = g->b;
	int n = (int)LLVMGetVectorSize(LLVMTypeOf(v));
	LLVMTypeRef v32 = vec(g->t_i32, n);
	LLVMValueRef m, k;
	if (!e->hi_tab) {
		m = iconst(v32, e->rq[0].mult);
		k = iconst(v32, hi_k(&e->rq[0]));
	} else {
		m = tab_vec(g, e->hi_tab, c, n, one);
		LLVMValueRef kp = i8_gep(g, g->t_i8, e->hi_tab, i8_add(g, c, 4 * e->rq_np));
		k = one ? i8_splat(g, LLVMBuildZExt(b, i8_load(g, g->t_i8, kp), g->t_i32, ""), n)
			: LLVMBuildZExt(b, i8_load(g, vec(g->t_i8, n), kp), v32, "");
	}
	LLVMValueRef q = LLVMBuildAShr(b, mul_hi(g, v, m, n), k, "");
	q = LLVMBuildAShr(b, LLVMBuildAdd(b, q, iconst(v32, 1 + 2 * (int64_t)e->zero), ""), iconst(v32, 1), "");
	return ismax(g, ismin(g, q, iconst(v32, e->hi)), iconst(v32, e->lo));
}

LLVMValueRef i8_epi_vec(cg *g, const i8_epi *e, LLVMValueRef acc, LLVMValueRef r, LLVMValueRef c,
			bool one_channel)
{
	LLVMBuilderRef b = g->b;
	int n = (int)LLVMGetVectorSize(LLVMTypeOf(acc));
	LLVMTypeRef v32 = vec(g->t_i32, n);
	LLVMValueRef v = acc;
	if (e->corr)
		v = LLVMBuildAdd(b, v, tab_vec(g, e->corr, c, n, one_channel), "");
	if (e->rz) {
		LLVMValueRef cs = tab_vec(g, e->colsum, r, n, !one_channel);
		v = LLVMBuildSub(b, v, LLVMBuildMul(b, tab_vec(g, e->rz, c, n, one_channel), cs, ""), "");
	}
	if (!e->rq)
		return v;
	if (e->hi_word)
		return rq_apply_hi(g, e, v, c, one_channel);
	if (e->acc_bound > 0)
		v = ismax(g, ismin(g, v, iconst(v32, e->acc_bound)), iconst(v32, -e->acc_bound));
	LLVMValueRef m, s;
	rq_vectors(g, e, c, n, one_channel, &m, &s);
	return rq_apply(g, e, v, m, s);
}

/* ---- packing ---------------------------------------------------------------------------- */

LLVMValueRef i8_pack_weights(cg *g, const i8_tile *t, int64_t nmat, int64_t taps, int64_t depth,
			     int64_t n, i8_getw *get, const void *ud, int64_t *per)
{
	int64_t nr = t->nr, kg = t->kg, steps = (depth + kg - 1) / kg;
	int64_t npan = (n + nr - 1) / nr, panel = taps * steps * nr * kg;
	*per = npan * panel;
	int8_t *buf = ir_alloc_array(g->c, (size_t)(nmat * *per) + 1, 1);
	memset(buf, 0, (size_t)(nmat * *per));
	for (int64_t q = 0; q < nmat; q++)
		for (int64_t tp = 0; tp < taps; tp++)
			for (int64_t d = 0; d < depth; d++)
				for (int64_t c = 0; c < n; c++) {
					int64_t at = q * *per + (c / nr) * panel + ((tp * steps + d / kg) * nr + c % nr) * kg
						     + d % kg;
					buf[at] = get(ud, q, tp, d, c);
				}
	return cg_const_bytes(g, buf, nmat * *per, "wq");
}

/* ---- the micro-kernel ------------------------------------------------------------------- */

typedef struct tile_ctx {
	const i8_tile *t;
	const i8_rows *a;
	const i8_epi *e;
	LLVMTypeRef et;           /* packed activation element type */
	LLVMValueRef wpan;        /* the panel's first byte */
	LLVMValueRef ch;          /* its first channel (i64, counted as in i8_epi) */
	int lanes;                /* valid channels of the panel */
} tile_ctx;

/* Element offset of row r (i64) in the packed activations. */
static LLVMValueRef row_offset(cg *g, const i8_rows *a, LLVMValueRef r)
{
	if (a->w >= a->n)
		return i8_mul(g, r, a->cs);
	LLVMValueRef w = cg_i64(g, a->w);
	LLVMValueRef y = LLVMBuildUDiv(g->b, r, w, ""), x = LLVMBuildURem(g->b, r, w, "");
	return LLVMBuildNSWAdd(g->b, i8_mul(g, y, a->rs), i8_mul(g, x, a->cs), "");
}

static LLVMValueRef load_acc(cg *g, LLVMValueRef p)
{
	return LLVMBuildLoad2(g->b, LLVMGetAllocatedType(p), p, "");
}

/* acc[r][v] += the products of one step: weights at wp, activations at
** element xo of every row's base. */
static void step(cg *g, const tile_ctx *x, int mr, const LLVMValueRef *base, LLVMValueRef xo, LLVMValueRef wp,
		 const LLVMValueRef *acc)
{
	const i8_tile *t = x->t;
	LLVMBuilderRef b = g->b;
	LLVMValueRef wv[I8_MAX_NV];
	int wb = t->vl * t->kg;                  /* weight bytes per vector */
	LLVMTypeRef wt = t->isa == I8_DOT ? vec(g->t_i8, wb) : t->isa == I8_WIDE ? vec(g->t_i32, wb)
							    : vec(g->t_i16, wb);
	for (int v = 0; v < t->nv; v++) {
		LLVMValueRef w = i8_load(g, vec(g->t_i8, wb), i8_gepc(g, g->t_i8, wp, (int64_t)v * wb));
		wv[v] = t->isa == I8_DOT ? w : LLVMBuildSExt(b, w, wt, "");
	}
	for (int r = 0; r < mr; r++) {
		LLVMValueRef xp = i8_gep(g, x->et, base[r], xo), xv;
		if (t->isa == I8_WIDE) {
			xv = i8_splat(g, i8_load(g, g->t_i16, xp), t->vl);
			xv = LLVMBuildSExt(b, xv, vec(g->t_i32, t->vl), "");
		} else {
			xv = i8_splat(g, i8_load(g, g->t_i32, xp), t->vl);
			xv = LLVMBuildBitCast(b, xv, t->isa == I8_DOT ? vec(g->t_i8, wb) : wt, "");
		}
		for (int v = 0; v < t->nv; v++) {
			LLVMValueRef ap = acc[r * t->nv + v], a = load_acc(g, ap), p;
			if (t->isa == I8_WIDE) {
				p = LLVMBuildAdd(b, a, LLVMBuildMul(b, wv[v], xv, ""), "");
			} else if (t->isa == I8_DOT) {
				LLVMTypeRef tys[2] = {LLVMTypeOf(a), vec(g->t_i8, wb)};
				LLVMValueRef args[3] = {a, wv[v], xv};
				p = call_intr(g, "llvm.aarch64.neon.sdot", tys, 2, args, 3);
			} else {
				LLVMValueRef args[2] = {xv, wv[v]};
				const char *nm = t->isa == I8_AVX2 ? "llvm.x86.avx2.pmadd.wd" : "llvm.x86.sse2.pmadd.wd";
				p = LLVMBuildAdd(b, a, call_intr(g, nm, NULL, 0, args, 2), "");
			}
			LLVMBuildStore(b, p, ap);
		}
	}
}

/* The k loop of one tile: taps, then steps (unrolled). */
static void tile_k(cg *g, const tile_ctx *x, int mr, const LLVMValueRef *base, const LLVMValueRef *acc)
{
	const i8_tile *t = x->t;
	const i8_rows *a = x->a;
	int64_t sbytes = (int64_t)t->nr * t->kg, trips = a->steps / I8_UNROLL;
	cg_loop ly, lx, ls;
	LLVMValueRef ky = a->kh > 1 ? cg_fori(g, &ly, 0, a->kh, 1) : cg_i64(g, 0);
	LLVMValueRef kx = a->kw > 1 ? cg_fori(g, &lx, 0, a->kw, 1) : cg_i64(g, 0);
	LLVMValueRef toff = LLVMBuildNSWAdd(g->b, i8_mul(g, ky, a->ty), i8_mul(g, kx, a->tx), "");
	LLVMValueRef tap = LLVMBuildNSWAdd(g->b, i8_mul(g, ky, a->kw), kx, "");
	LLVMValueRef wtap = i8_gep(g, g->t_i8, x->wpan, i8_mul(g, tap, a->steps * sbytes));
	if (trips > 0) {
		LLVMValueRef s0 = i8_mul(g, trips > 1 ? cg_fori(g, &ls, 0, trips, 1) : cg_i64(g, 0), I8_UNROLL);
		for (int u = 0; u < I8_UNROLL; u++) {
			LLVMValueRef s = i8_add(g, s0, u);
			LLVMValueRef xo = LLVMBuildNSWAdd(g->b, toff, i8_mul(g, s, t->kg), "");
			step(g, x, mr, base, xo, i8_gep(g, g->t_i8, wtap, i8_mul(g, s, sbytes)), acc);
		}
		if (trips > 1)
			cg_endfor(g, &ls);
	}
	for (int64_t s = trips * I8_UNROLL; s < a->steps; s++) {
		LLVMValueRef xo = i8_add(g, toff, s * t->kg);
		step(g, x, mr, base, xo, i8_gepc(g, g->t_i8, wtap, s * sbytes), acc);
	}
	if (a->kw > 1)
		cg_endfor(g, &lx);
	if (a->kh > 1)
		cg_endfor(g, &ly);
}

/* 4 rows of 8-bit results to channel-major order in one shuffle of their
** bytes, then one 4-byte store per channel. */
static void store_bytes_transposed(cg *g, const tile_ctx *x, LLVMValueRef r0, LLVMValueRef *res, LLVMValueRef c,
				   int lanes)
{
	const i8_epi *e = x->e;
	int vl = x->t->vl;
	LLVMValueRef b[4], idx[64];
	for (int r = 0; r < 4; r++)
		b[r] = LLVMBuildTrunc(g->b, res[r], vec(g->t_i8, vl), "");
	for (int i = 0; i < 2 * vl; i++)
		idx[i] = cg_i32(g, i);
	LLVMValueRef ab = LLVMBuildShuffleVector(g->b, b[0], b[1], LLVMConstVector(idx, (unsigned)(2 * vl)), "");
	LLVMValueRef cd = LLVMBuildShuffleVector(g->b, b[2], b[3], LLVMConstVector(idx, (unsigned)(2 * vl)), "");
	for (int l = 0; l < vl; l++)
		for (int r = 0; r < 4; r++)
			idx[l * 4 + r] = cg_i32(g, r * vl + l);
	LLVMValueRef all = LLVMBuildShuffleVector(g->b, ab, cd, LLVMConstVector(idx, (unsigned)(4 * vl)), "");
	all = LLVMBuildBitCast(g->b, all, vec(g->t_i32, vl), "");
	for (int l = 0; l < lanes; l++) {
		LLVMValueRef yi = LLVMBuildNSWAdd(g->b, i8_mul(g, r0, e->y_rs), i8_mul(g, i8_add(g, c, l), e->y_cs), "");
		i8_store(g, LLVMBuildExtractElement(g->b, all, cg_i32(g, l), ""), i8_gep(g, g->t_i8, e->y, yi));
	}
}

/* Store a tile's results: lanes of v are channels; rows r0.. */
static void tile_store(cg *g, const tile_ctx *x, int mr, LLVMValueRef r0, LLVMValueRef *res, int v)
{
	const i8_epi *e = x->e;
	const i8_tile *t = x->t;
	int lanes = x->lanes - v * t->vl;
	lanes = lanes > t->vl ? t->vl : lanes;
	if (lanes <= 0)
		return;
	LLVMValueRef c = i8_add(g, x->ch, (int64_t)v * t->vl);
	LLVMTypeRef et = e->yt == IR_I32 ? g->t_i32 : g->t_i8;
	if (e->y_cs == 1 || mr == 1) {
		for (int r = 0; r < mr; r++) {
			LLVMValueRef yi = LLVMBuildNSWAdd(g->b, i8_mul(g, i8_add(g, r0, r), e->y_rs),
							  i8_mul(g, c, e->y_cs), "");
			i8_store_lanes(g, res[r], e->yt, i8_gep(g, et, e->y, yi), e->y_cs, lanes);
		}
		return;
	}
	/* Rows are contiguous in y (y_rs == 1): mr rows per channel. */
	if (e->yt != IR_I32 && mr == 4) {
		store_bytes_transposed(g, x, r0, res, c, lanes);
		return;
	}
	for (int l = 0; l < lanes; l++) {
		LLVMValueRef col = LLVMGetPoison(vec(g->t_i32, mr));
		for (int r = 0; r < mr; r++)
			col = LLVMBuildInsertElement(g->b, col, LLVMBuildExtractElement(g->b, res[r], cg_i32(g, l), ""),
						     cg_i32(g, r), "");
		LLVMValueRef yi = LLVMBuildNSWAdd(g->b, i8_mul(g, r0, e->y_rs), i8_mul(g, i8_add(g, c, l), e->y_cs), "");
		i8_store_lanes(g, col, e->yt, i8_gep(g, et, e->y, yi), 1, mr);
	}
}

/* One tile: rows [r0, r0+mr) by the panel's channels. */
static void tile(cg *g, const tile_ctx *x, LLVMValueRef r0, int mr)
{
	const i8_tile *t = x->t;
	LLVMValueRef base[I8_MAX_MR], acc[I8_MAX_MR * I8_MAX_NV];
	LLVMTypeRef at = vec(g->t_i32, t->vl);
	for (int r = 0; r < mr; r++)
		base[r] = i8_gep(g, x->et, x->a->p, row_offset(g, x->a, i8_add(g, r0, r)));
	/* The sums start from the channels' constant terms (i32 sums wrap,
	** so the order of the additions does not matter). */
	i8_epi e = *x->e;
	for (int i = 0; i < mr * t->nv; i++) {
		LLVMValueRef init = LLVMConstNull(at);
		if (e.corr && e.swap)
			init = tab_vec(g, e.corr, i8_add(g, r0, i / t->nv), t->vl, true);
		else if (e.corr)
			init = tab_vec(g, e.corr, i8_add(g, x->ch, (int64_t)(i % t->nv) * t->vl), t->vl, false);
		acc[i] = cg_var(g, at, "acc");
		LLVMBuildStore(g->b, init, acc[i]);
	}
	e.corr = NULL;
	tile_k(g, x, mr, base, acc);
	for (int v = 0; v < t->nv; v++) {
		LLVMValueRef res[I8_MAX_MR];
		LLVMValueRef c = i8_add(g, x->ch, (int64_t)v * t->vl);
		for (int r = 0; r < mr; r++) {
			LLVMValueRef a = load_acc(g, acc[r * t->nv + v]), row = i8_add(g, r0, r);
			res[r] = e.swap ? i8_epi_vec(g, &e, a, c, row, true) : i8_epi_vec(g, &e, a, row, c, false);
		}
		tile_store(g, x, mr, r0, res, v);
	}
}

/* ---- the loops around it ----------------------------------------------------------------------- */

typedef struct gemm_ctx {
	const i8_tile *t;
	const i8_rows *a;
	const i8_wts *w;
	const i8_epi *e;
	LLVMValueRef c0;
} gemm_ctx;

/* Full tiles of rows [lo, hi) (i64 values, multiples of mr apart) for the
** panels [p0, p0+np), or one tail tile of mr rows at lo. */
static void panels(cg *g, const gemm_ctx *x, int64_t p0, int64_t np, int lanes, LLVMValueRef lo,
		   LLVMValueRef hi, int mr)
{
	const i8_tile *t = x->t;
	tile_ctx c = {t, x->a, x->e, x->t->esz == 2 ? g->t_i16 : g->t_i8, NULL, NULL, lanes};
	cg_loop lp, lr;
	LLVMValueRef j = np > 1 ? cg_fori(g, &lp, p0, p0 + np, 1) : cg_i64(g, p0);
	c.wpan = i8_gep(g, g->t_i8, x->w->p, i8_mul(g, j, x->w->panel));
	c.ch = LLVMBuildNSWAdd(g->b, x->c0, i8_mul(g, j, t->nr), "");
	if (hi) {
		LLVMValueRef r0 = cg_for(g, &lr, lo, hi, t->mr);
		tile(g, &c, r0, mr);
		cg_endfor(g, &lr);
	} else {
		tile(g, &c, lo, mr);
	}
	if (np > 1)
		cg_endfor(g, &lp);
}

/* Every panel for rows [lo, hi) (full tiles), or a tail tile (hi NULL). */
static void all_panels(cg *g, const gemm_ctx *x, LLVMValueRef lo, LLVMValueRef hi, int mr)
{
	int64_t nr = x->t->nr, full = x->w->n / nr, rem = x->w->n % nr;
	if (full > 0)
		panels(g, x, 0, full, (int)nr, lo, hi, mr);
	if (rem > 0)
		panels(g, x, full, 1, (int)rem, lo, hi, mr);
}

/* Rows per block: about I8_BLOCK_BYTES of packed activations, whole tiles. */
static int64_t block_rows(const i8_tile *t, const i8_rows *a, int64_t rows)
{
	int64_t bytes = a->kh * a->kw * a->steps * t->kg * t->esz;
	int64_t nb = I8_BLOCK_BYTES / (bytes > 0 ? bytes : 1) / t->mr * t->mr;
	nb = nb < t->mr ? t->mr : nb;
	return nb > rows ? rows : nb;
}

void i8_gemm(cg *g, const i8_tile *t, const i8_rows *a, const i8_wts *w, const i8_epi *e, LLVMValueRef c0)
{
	if (a->n <= 0 || w->n <= 0)
		return;
	gemm_ctx x = {t, a, w, e, c0};
	int64_t full = a->n / t->mr * t->mr, rem = a->n - full;
	if (full > 0) {
		int64_t nb = block_rows(t, a, full), blocks = (full + nb - 1) / nb;
		cg_loop lb;
		LLVMValueRef bi = blocks > 1 ? cg_fori(g, &lb, 0, blocks, 1) : cg_i64(g, 0);
		LLVMValueRef lo = i8_mul(g, bi, nb);
		LLVMValueRef hi = ismin(g, i8_add(g, lo, nb), cg_i64(g, full));
		all_panels(g, &x, lo, hi, t->mr);
		if (blocks > 1)
			cg_endfor(g, &lb);
	}
	if (rem > 0)
		all_panels(g, &x, cg_i64(g, full), NULL, (int)rem);
}
