/*
** test_requant.c - requantization by integer multiplier and shift
** (ir/requant.h): the derivation of (M, S) from a real multiplier, the
** rounding rule, and the constants ir_qop_params gathers for a kernel.
**
** The rounding is checked against exact arithmetic: floor((acc*M +
** 2^(S-1)) / 2^S) in __int128 for edge cases and many seeded random ones,
** and against the real product acc*m (to within half a unit plus the
** multiplier's own rounding).  Ties must go toward +infinity.
*/
#include <math.h>
#include <string.h>

#include "check.h"
#include "ir/requant.h"

#define TWO30 ((int64_t)1 << 30)
#define TWO31 ((int64_t)1 << 31)

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* floor(a / 2^s) for __int128, without relying on >> of negatives. */
static __int128 floor_pow2(__int128 a, int s)
{
	__int128 d = (__int128)1 << s;
	__int128 q = a / d;
	return q * d > a ? q - 1 : q;
}

static int64_t exact_requant(int64_t acc, int32_t m, int s)
{
	return (int64_t)floor_pow2((__int128)acc * m + ((__int128)1 << (s - 1)), s);
}

static bool derives(double m, int32_t want_m, int want_s)
{
	ir_requant r = {0, 0};
	return ir_requant_derive(m, &r) == 0 && r.mult == want_m && r.shift == want_s;
}

static bool rejects(double m)
{
	ir_requant r = {7, 7};
	return ir_requant_derive(m, &r) < 0 && r.mult == 7 && r.shift == 7;
}

static void test_derive_edges(void)
{
	CHECK(derives(1.0, (int32_t)TWO30, 30));
	CHECK(derives(0.5, (int32_t)TWO30, 31));
	CHECK(derives(0.75, (int32_t)(3 * (TWO31 / 4)), 31));
	CHECK(derives(0.0023, 1264438372, 39)); /* TFLite's worked example: shift -8 is S = 39 */
	/* the largest valid: f = 1 - 2^-31 at e = 30 gives M = 2^31 - 1, S = 1 */
	CHECK(derives(ldexp(1.0 - ldexp(1, -31), 30), (int32_t)(TWO31 - 1), 1));
	/* just below 2^30, M rounds up to 2^31 and renormalizes to S = 0: out of range */
	CHECK(rejects(ldexp(1.0 - ldexp(1, -40), 30)));
	CHECK(rejects(ldexp(1, 30)));
	CHECK(rejects(1e12));
	/* the smallest valid: 2^-32 is S = 62; slightly less rounds up to it */
	CHECK(derives(ldexp(1, -32), (int32_t)TWO30, 62));
	CHECK(derives(ldexp(1.0 - ldexp(1, -40), -32), (int32_t)TWO30, 62));
	CHECK(rejects(ldexp(1.0 - ldexp(1, -30), -32)));
	CHECK(rejects(3.2e-12));
	CHECK(rejects(0.0));
	CHECK(rejects(-0.5));
	CHECK(rejects(INFINITY));
	CHECK(rejects(NAN));
	CHECK(rejects(ldexp(1, -1074))); /* subnormal */
}

/* Every valid multiplier: M in [2^30, 2^31), and M is m * 2^S rounded. */
static void test_derive_random(void)
{
	int bad = 0;
	for (int i = 0; i < 200000; i++) {
		double m = ldexp(1.0 + (double)(next() >> 11) * 0x1p-53, (int)(next() % 62) - 32);
		ir_requant r;
		if (ir_requant_derive(m, &r) < 0) {
			bad += m < ldexp(1, 30) && m >= ldexp(1, -32);
			continue;
		}
		bad += r.mult < TWO30; /* and below 2^31: it is an int32_t */
		bad += r.shift < IR_REQUANT_MIN_SHIFT || r.shift > IR_REQUANT_MAX_SHIFT;
		bad += fabs((double)r.mult - ldexp(m, r.shift)) > 0.5;
	}
	CHECK(bad == 0);
}

static void test_round_shift_ties(void)
{
	/* v / 2^s with ties toward +infinity */
	CHECK(ir_requant_round_shift(1, 1) == 1);    /* 0.5 */
	CHECK(ir_requant_round_shift(-1, 1) == 0);   /* -0.5 */
	CHECK(ir_requant_round_shift(3, 1) == 2);    /* 1.5 */
	CHECK(ir_requant_round_shift(-3, 1) == -1);  /* -1.5 */
	CHECK(ir_requant_round_shift(-5, 1) == -2);  /* -2.5 */
	CHECK(ir_requant_round_shift(-2, 2) == 0);   /* -0.5 */
	CHECK(ir_requant_round_shift(-6, 2) == -1);  /* -1.5 */
	CHECK(ir_requant_round_shift(-7, 2) == -2);  /* -1.75 */
	CHECK(ir_requant_round_shift(-9, 2) == -2);  /* -2.25 */
	CHECK(ir_requant_round_shift(0, 62) == 0);
	CHECK(ir_requant_round_shift(-((int64_t)1 << 61), 62) == 0);       /* -0.5 */
	CHECK(ir_requant_round_shift(-((int64_t)1 << 61) - 1, 62) == -1);
	CHECK(ir_requant_round_shift((int64_t)1 << 61, 62) == 1);          /* 0.5 */
	CHECK(ir_requant_round_shift(((int64_t)1 << 61) - 1, 62) == 0);
	/* the cheat-sheet cases: x * 0.25 for x = -2, -6 and x * 0.5 for x = -3 */
	ir_requant q = {(int32_t)TWO30, 32}, h = {(int32_t)TWO30, 31};
	CHECK(ir_requant_apply(-2, q) == 0);
	CHECK(ir_requant_apply(-6, q) == -1);
	CHECK(ir_requant_apply(-3, h) == -1);
	CHECK(ir_requant_apply(3, h) == 2);
}

static void test_apply_extremes(void)
{
	static const int32_t accs[] = {INT32_MIN, INT32_MIN + 1, -65536, -1, 0, 1, 65535, INT32_MAX - 1, INT32_MAX};
	static const int32_t mults[] = {(int32_t)TWO30, (int32_t)TWO30 + 1, 1518500250, (int32_t)(TWO31 - 2),
					(int32_t)(TWO31 - 1)};
	int bad = 0;
	for (size_t a = 0; a < sizeof accs / sizeof *accs; a++)
		for (size_t m = 0; m < sizeof mults / sizeof *mults; m++)
			for (int s = IR_REQUANT_MIN_SHIFT; s <= IR_REQUANT_MAX_SHIFT; s++)
				bad += ir_requant_apply(accs[a], (ir_requant){mults[m], s}) !=
				       exact_requant(accs[a], mults[m], s);
	CHECK(bad == 0);
	/* m = 1 (M = 2^30, S = 30) is the identity on every int32 */
	CHECK(ir_requant_apply(INT32_MIN, (ir_requant){(int32_t)TWO30, 30}) == INT32_MIN);
	CHECK(ir_requant_apply(INT32_MAX, (ir_requant){(int32_t)TWO30, 30}) == INT32_MAX);
}

/*
** Random accumulators and multipliers: the exact formula, and the real
** product within 0.5 plus the multiplier's rounding (|acc| * 2^-(S+1)); an
** exact tie rounds up.
*/
static void test_apply_random(void)
{
	int bad_exact = 0, bad_real = 0, ties = 0, bad_ties = 0;
	for (int i = 0; i < 300000; i++) {
		int32_t acc = (int32_t)(uint32_t)next();
		if (i % 3 == 0)
			acc = (int32_t)((int64_t)(next() % 131072) - 65536);
		double m = ldexp(1.0 + (double)(next() >> 11) * 0x1p-53, (int)(next() % 50) - 30);
		ir_requant r;
		if (ir_requant_derive(m, &r) < 0)
			continue;
		int64_t got = ir_requant_apply(acc, r);
		bad_exact += got != exact_requant(acc, r.mult, r.shift);
		long double real = (long double)acc * (long double)m;
		long double slack = 0.5L + fabsl((long double)acc) * ldexpl(1, -r.shift - 1) + 1e-9L;
		bad_real += fabsl((long double)got - real) > slack;
		__int128 num = (__int128)acc * r.mult, den = (__int128)1 << r.shift;
		if (num % den == den / 2 || num % den == -den / 2) {
			ties++;
			bad_ties += (__int128)got * den != num + den / 2;
		}
	}
	CHECK(bad_exact == 0);
	CHECK(bad_real == 0);
	CHECK(bad_ties == 0);
	printf("random cases: %d exact ties, all rounded up\n", ties);
	/* m = 0.5 makes every odd acc a tie: acc / 2 rounds to (acc + 1) / 2 */
	int bad = 0;
	for (int32_t acc = -1001; acc <= 1001; acc += 2)
		bad += ir_requant_apply(acc, (ir_requant){(int32_t)TWO30, 31}) != (acc + 1) / 2;
	CHECK(bad == 0);
}

static void test_derive2(void)
{
	ir_requant a, b;
	CHECK(ir_requant_derive2(0.75, 0.25, &a, &b) == 0);
	CHECK(a.mult == 1610612736 && a.shift == 31 && b.mult == 536870912 && b.shift == 31);
	CHECK(ir_requant_derive2(0.25, 0.75, &a, &b) == 0);
	CHECK(b.mult == 1610612736 && a.mult == 536870912 && a.shift == 31 && b.shift == 31);
	CHECK(ir_requant_derive2(1.0, 1.0, &a, &b) == 0);
	CHECK(a.mult == TWO30 && b.mult == TWO30 && a.shift == 30);
	/* a negligible smaller multiplier rounds to 0 at the larger one's shift */
	CHECK(ir_requant_derive2(1.0, 1e-12, &a, &b) == 0);
	CHECK(a.mult == TWO30 && b.mult == 0 && b.shift == 30);
	/* the smaller one rounds half up: 2^-31 * 1.5 at S = 31 is 1.5 -> 2 */
	CHECK(ir_requant_derive2(0.5, ldexp(1.5, -31), &a, &b) == 0);
	CHECK(b.mult == 2);
	CHECK(ir_requant_derive2(ldexp(1, 30), 0.5, &a, &b) < 0);
	CHECK(ir_requant_derive2(0.5, 0.0, &a, &b) < 0);
	CHECK(ir_requant_derive2(NAN, 0.5, &a, &b) < 0);
}

static void test_quantize_and_clamp(void)
{
	CHECK(ir_requant_quantize(0.5f, 1.0f, 0, -128, 127) == 0);   /* half to even */
	CHECK(ir_requant_quantize(1.5f, 1.0f, 0, -128, 127) == 2);
	CHECK(ir_requant_quantize(2.5f, 1.0f, 0, -128, 127) == 2);
	CHECK(ir_requant_quantize(-0.5f, 1.0f, 3, -128, 127) == 3);
	CHECK(ir_requant_quantize(-2.5f, 1.0f, 0, -128, 127) == -2);
	CHECK(ir_requant_quantize(6.0f, 0.05f, -128, -128, 127) == -8);
	CHECK(ir_requant_quantize(1e30f, 0.05f, 0, -128, 127) == 127);
	CHECK(ir_requant_quantize(-INFINITY, 0.05f, 0, 0, 255) == 0);
	CHECK(ir_requant_quantize(NAN, 0.05f, 7, 0, 255) == 7);
	ir_quant q = {-1, 1, (const float[]){0.05f}, (const int32_t[]){-128}};
	ir_type y = {.dtype = IR_I8, .quant = &q};
	int64_t lo, hi;
	ir_activation none = {IR_ACT_NONE, 0, 0, 0}, relu = {IR_ACT_RELU, 0, 0, 0};
	ir_activation clip = {IR_ACT_CLIP, 0.0f, 6.0f, 0}, leaky = {IR_ACT_LEAKYRELU, 0, 0, 0.1f};
	CHECK(ir_requant_clamp(&y, &none, &lo, &hi) == 0 && lo == -128 && hi == 127);
	CHECK(ir_requant_clamp(&y, &relu, &lo, &hi) == 0 && lo == -128 && hi == 127);
	CHECK(ir_requant_clamp(&y, &clip, &lo, &hi) == 0 && lo == -128 && hi == -8);
	CHECK(ir_requant_clamp(&y, &leaky, &lo, &hi) < 0);
	q.zero = (const int32_t[]){5};
	y.dtype = IR_U8;
	CHECK(ir_requant_clamp(&y, &relu, &lo, &hi) == 0 && lo == 5 && hi == 255);
	clip = (ir_activation){IR_ACT_CLIP, -1e30f, 1e30f, 0};
	CHECK(ir_requant_clamp(&y, &clip, &lo, &hi) == 0 && lo == 0 && hi == 255);
}

/* ir_qop_params on a parsed, verified per-channel Conv with a fused Clip. */
static void test_qop_params(void)
{
	static const char text[] =
		"graph @g {\n"
		"  input %x : u8[1,2,3,3] quant(scale=0.02, zero=128)\n"
		"  %w = const i8[2,2,1,1] quant(axis=0, scale=[0.5, 0.25], zero=[0, 3]) [1, 2, 3, 4]\n"
		"  %b = const i32[2] quant(axis=0, scale=[0.01, 0.005], zero=[0, 0]) [10, -10]\n"
		"  %y = Conv %x, %w, %b {activation = \"Clip\", activation_params = [0.0, 1.0]}"
		" : i8[1,2,3,3] quant(scale=0.1, zero=-20)\n"
		"  output \"y\" = %y\n"
		"}\n";
	ir_ctx *c = ir_ctx_new(1 << 24);
	ir_graph *g = ir_parse(c, "qop.cir", text, sizeof text - 1, 1);
	CHECK(g && ir_verify(g) == 0);
	if (!g)
		return;
	ir_op *conv = g->ops[g->n_ops - 1];
	ir_qop p;
	CHECK(ir_op_is_quantized(g, conv));
	CHECK(!ir_op_is_quantized(g, g->ops[0]));
	CHECK(ir_qop_params(g, conv, &p) == 0);
	CHECK(p.n_in == 1 && p.in_zero[0] == 128 && p.y_zero == -20 && p.n_ch == 2);
	CHECK(p.w_zero[0] == 0 && p.w_zero[1] == 3);
	CHECK(p.lo == -20 && p.hi == -10);
	ir_requant r0, r1;
	ir_requant_derive((double)0.02f * (double)0.5f / (double)0.1f, &r0);
	ir_requant_derive((double)0.02f * (double)0.25f / (double)0.1f, &r1);
	CHECK(p.rq[0].mult == r0.mult && p.rq[0].shift == r0.shift);
	CHECK(p.rq[1].mult == r1.mult && p.rq[1].shift == r1.shift);
	ir_ctx_free(c);
}

/* Through the API, ir_infer meets parameters that do not fit the shape
** (the verifier reports them where the value is defined and never gets
** here): one diagnostic, no out-of-bounds read. */
static void test_infer_misfit(void)
{
	ir_ctx *c = ir_ctx_new(1 << 20);
	ir_graph *g = ir_graph_new(c, "m");
	static const float s[3] = {0.5f, 0.5f, 0.5f};
	static const int32_t z[3] = {0, 0, 0};
	ir_quant bad = {0, 3, s, z};
	ir_type t = {.dtype = IR_I8, .rank = 1, .dims = {2}, .quant = &bad};
	ir_val x = ir_add_input(g, &t, "x");
	ir_op *op = ir_op_append(g, IR_OP_RELU, &x, 1, &t, 1);
	ir_type out;
	c->diag_out = NULL;
	CHECK(ir_infer(g, op, &out) < 0 && c->n_errors == 1);
	CHECK(strstr(c->first_error, "'Relu' op: operand 0 has quantization parameters that do not fit its shape"));
	ir_ctx_free(c);
}

int main(void)
{
	test_derive_edges();
	test_derive_random();
	test_round_shift_ties();
	test_apply_extremes();
	test_apply_random();
	test_derive2();
	test_quantize_and_clamp();
	test_qop_params();
	test_infer_misfit();
	return check_done("test_requant");
}
