/*
** test_int8_rq.c - the requantization rule of the int8 kernels
** (codegen/k_int8.h) against the interpreter's QLinearConv /
** QLinearMatMul formula
**     y = clamp(nearbyint((double)acc * m + z), lo, hi)
** (interp/k_conv.c sink_quant): for every multiplier m that
** i8_rq_qlinear accepts, its (M, S) evaluated by i8_rq_eval (ties to even
** exactly when i8_rq_has_ties says so) and clamped must give the same y
** for every i32 accumulator and every zero point of an 8-bit result.
** Checked at accumulators next to every rounding boundary of the 8-bit
** range, at extremes and at seeded random ones, for edge multipliers
** (powers of two, few significant bits, the smallest accepted, above 1/2,
** huge) and seeded random ones.  Then the two rewrites the kernels apply
** to a layer's rules: one shared shift, and the accumulator clamp.
*/
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "codegen/k_int8.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int64_t clampi(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The interpreter's result (its NaN case cannot arise for accepted m). */
static int64_t interp(int64_t acc, float m, int32_t z, int64_t lo, int64_t hi)
{
	double r = nearbyint((double)(int32_t)acc * m + (double)z);
	return (int64_t)(r < lo ? lo : r > hi ? hi : r);
}

static int64_t kernel(const i8_rq *r, int64_t acc, int32_t z, int64_t lo, int64_t hi)
{
	return clampi(i8_rq_eval(r, z, i8_rq_has_ties(r), acc), lo, hi);
}

static int mismatches;

/* acc and its neighbours; at most a few failures are printed. */
static void check_around(const i8_rq *r, float m, int64_t acc, int32_t z, int64_t lo, int64_t hi)
{
	for (int64_t d = -2; d <= 2; d++) {
		int64_t a = acc + d;
		if (a < INT32_MIN || a > INT32_MAX)
			continue;
		int64_t want = interp(a, m, z, lo, hi), got = kernel(r, a, z, lo, hi);
		CHECK(want == got);
		if (want != got && ++mismatches <= 5)
			fprintf(stderr, "m=%a z=%d acc=%lld: interpreter %lld, kernel %lld (M=%d S=%d)\n", m, z,
				(long long)a, (long long)want, (long long)got, r->mult, r->shift);
	}
}

/* Every boundary (n + 1/2 - z) / m of the 8-bit range, extremes, randoms. */
static void check_multiplier(float m)
{
	i8_rq r;
	if (i8_rq_qlinear(m, &r) < 0) {
		CHECK(!(m >= 0x1p-19f && m < 0x1p30f));     /* only tiny (or huge S) ones are refused */
		return;
	}
	CHECK(r.mult >= 0 && r.shift >= 1 && r.shift <= 43);
	static const int32_t zs[][3] = {{0, 0, 255}, {128, 0, 255}, {255, 0, 255}, {-128, -128, 127},
					{0, -128, 127}, {127, -128, 127}, {37, 0, 255}, {-5, -128, 127}};
	for (size_t i = 0; i < sizeof zs / sizeof zs[0]; i++) {
		int32_t z = zs[i][0];
		int64_t lo = zs[i][1], hi = zs[i][2];
		static const int64_t fixed[] = {0, 1, -1, INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1};
		for (size_t j = 0; j < sizeof fixed / sizeof fixed[0]; j++)
			check_around(&r, m, fixed[j], z, lo, hi);
		for (int64_t n = lo - 1; n <= hi + 1 && m > 0; n++) {
			double b = ((double)n + 0.5 - z) / m;
			if (fabs(b) < 2147483000.0)
				check_around(&r, m, (int64_t)floor(b), z, lo, hi);
		}
		for (int k = 0; k < 64; k++)
			check_around(&r, m, (int32_t)next(), z, lo, hi);
	}
}

static void test_edge_multipliers(void)
{
	for (int e = -24; e <= 12; e++)
		check_multiplier(ldexpf(1.0f, e));
	for (int k = 1; k < 64; k += 2)
		for (int e = -22; e <= 3; e += 5)
			check_multiplier(ldexpf((float)k, e));
	static const float ms[] = {0.0f, 0.5f, 0.75f, 1.0f, 1.5f, 3.0f, 255.0f, 1e7f, 1e9f, 3e38f,
				   0x1p-20f, 0x1.fffffep-21f, 0x1.000002p-20f, 0.0023f, 1.0f / 3.0f,
				   0x1.fffffep-1f, 0x1.000002p-1f};
	for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
		check_multiplier(ms[i]);
	i8_rq r = {7, 7};
	CHECK(i8_rq_qlinear(NAN, &r) < 0);
	CHECK(i8_rq_qlinear(INFINITY, &r) < 0);
	CHECK(i8_rq_qlinear(-0.5f, &r) < 0);
	CHECK(i8_rq_qlinear(0x1.fffffep-22f, &r) < 0);   /* 24 significant bits below 2^-20 */
	CHECK(i8_rq_qlinear(0x1p-30f, &r) == 0 && r.mult == 1 && r.shift == 30);  /* few bits: exact */
}

/* Log-uniform in [2^-20, 2^4], as x_scale * w_scale / y_scale are. */
static void test_random_multipliers(void)
{
	for (int i = 0; i < 3000; i++) {
		double u = (double)(next() >> 11) / 9007199254740992.0;
		check_multiplier((float)exp2(-20.0 + 24.0 * u));
	}
}

/* Ties: a multiplier with few significant bits lands exactly on halves;
** one with many cannot below saturation. */
static void test_ties(void)
{
	i8_rq r;
	CHECK(i8_rq_qlinear(0.125f, &r) == 0 && i8_rq_has_ties(&r));
	CHECK(i8_rq_eval(&r, 0, true, 4) == 0);     /* 0.5 to even */
	CHECK(i8_rq_eval(&r, 0, true, 12) == 2);    /* 1.5 */
	CHECK(i8_rq_eval(&r, 1, true, 4) == 2);     /* 0.5 + 1 = 1.5: z counts for the parity */
	CHECK(i8_rq_eval(&r, 0, true, -4) == 0);    /* -0.5 */
	CHECK(i8_rq_eval(&r, 0, false, 4) == 1);    /* ties up without the flag */
	CHECK(i8_rq_qlinear(0.0023f, &r) == 0 && !i8_rq_has_ties(&r));
}

/* A layer's rules share one shift when possible, computing the same. */
static void test_common_shift(void)
{
	for (int t = 0; t < 200; t++) {
		i8_rq rq[8], orig[8];
		int n = 1 + (int)(next() % 8);
		for (int i = 0; i < n; i++) {
			double u = (double)(next() >> 11) / 9007199254740992.0;
			CHECK(i8_rq_qlinear((float)exp2(-14.0 + 6.0 * u), &rq[i]) == 0);
		}
		memcpy(orig, rq, sizeof rq);
		if (!i8_rq_common_shift(rq, n))
			continue;
		for (int i = 0; i < n; i++) {
			CHECK(rq[i].shift == rq[0].shift);
			for (int k = 0; k < 50; k++) {
				int64_t acc = (int32_t)next() >> (next() % 31);
				CHECK(i8_rq_eval(&rq[i], 3, true, acc) == i8_rq_eval(&orig[i], 3, true, acc));
			}
		}
	}
}

/* The clamp to +-B keeps every result and keeps it within 32 bits. */
static void test_acc_bound(void)
{
	for (int t = 0; t < 300; t++) {
		i8_rq rq[6];
		int n = 1 + (int)(next() % 6);
		double base = -10.0 + 16.0 * (double)(next() >> 11) / 9007199254740992.0;
		for (int i = 0; i < n; i++)
			CHECK(i8_rq_qlinear((float)exp2(base + (double)(next() % 4)), &rq[i]) == 0);
		int64_t b = i8_rq_acc_bound(rq, n);
		CHECK(b >= 0);
		for (int i = 0; i < n && b > 0; i++)
			for (int k = 0; k < 200; k++) {
				int64_t acc = (int32_t)next() >> (next() % 32), ca = clampi(acc, -b, b);
				int64_t q = i8_rq_eval(&rq[i], 100, true, ca);
				CHECK(q > INT32_MIN && q < INT32_MAX);
				CHECK(clampi(q, 0, 255) == clampi(i8_rq_eval(&rq[i], 100, true, acc), 0, 255));
			}
	}
	i8_rq far[2];
	CHECK(i8_rq_qlinear(4.0f, &far[0]) == 0 && i8_rq_qlinear(0x1p-19f, &far[1]) == 0);
	CHECK(i8_rq_acc_bound(far, 2) < 0);      /* no one bound saturates both */
}

/* The high-word form the kernels emit when every S >= 33 (no ties to
** even) computes i8_rq_eval's ties-up value for every i32 sum, its last
** intermediate inside i32, for every 8-bit zero point. */
static void check_hi_word(const i8_rq *r, int n, int32_t z)
{
	if (!i8_rq_hi_word(r, n, false))
		return;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 300; k++) {
			int64_t sum;
			int32_t v = k == 0 ? INT32_MIN : k == 1 ? INT32_MAX : (int32_t)next() >> (next() % 32);
			int64_t q = i8_rq_hi_eval(&r[i], z, v, &sum);
			CHECK(sum >= INT32_MIN && sum <= INT32_MAX);
			CHECK(q == i8_rq_eval(&r[i], z, false, v));
		}
}

static void test_hi_word(void)
{
	int used = 0;
	for (int t = 0; t < 400; t++) {
		i8_rq rq[6];
		int n = 1 + (int)(next() % 6);
		int s0 = 28 + (int)(next() % 32);
		for (int i = 0; i < n; i++) {
			int32_t m = (int32_t)(next() % 0x7fffffffu);
			rq[i] = (i8_rq){next() % 4 ? m | 0x40000000 : m >> (next() % 31), s0 + (int)(next() % 4)};
		}
		if (next() % 2)
			i8_rq_common_shift(rq, n);
		int32_t z = (int32_t)(next() % 384) - 128;
		used += i8_rq_hi_word(rq, n, false);
		check_hi_word(rq, n, z);
	}
	CHECK(used > 100 && used < 400);
	i8_rq edge[3] = {{INT32_MAX, 62}, {1 << 30, 33}, {0, 1}};
	check_hi_word(edge, 3, 127);
	check_hi_word(edge, 3, -128);
	check_hi_word(edge, 3, 255);
	i8_rq low = {1 << 30, 32};
	CHECK(!i8_rq_hi_word(&low, 1, false));
	CHECK(!i8_rq_hi_word(&edge[1], 1, true));
}

int main(void)
{
	test_hi_word();
	test_edge_multipliers();
	test_random_multipliers();
	test_ties();
	test_common_shift();
	test_acc_bound();
	return check_done("test_int8_rq");
}
