/*
** test_calibrate.c - unit tests of calibration's statistics and range
** methods (passes/calib_hist.c, passes/calib_methods.c) on synthetic data,
** against expectations computed here independently: brute-force bin counts
** for the growing histogram, numerical integration for the expected
** quantize-dequantize error, and analytic cases (uniform data; Gaussian
** data with a few huge outliers, which percentile, entropy and mse must
** clip and minmax must follow; constants; zeros).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "passes/calibrate.h"

/* ---- deterministic data ------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static double uniform01(void)
{
	rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

static float gaussian(void)
{
	double u = uniform01(), v = uniform01();
	return (float)(sqrt(-2 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v));
}

/* ---- histogram exactness ---------------------------------------------------------- */

/* Every bin equals the count of the values seen so far in its interval. */
static void check_bins(const calib_hist *h, const float *seen, int64_t n)
{
	static uint64_t want[CALIB_BINS];
	uint64_t zeros = 0, outside = 0, total = 0;
	memset(want, 0, sizeof want);
	for (int64_t i = 0; i < n; i++) {
		if (seen[i] == 0) {
			zeros++;
			continue;
		}
		int64_t k = (int64_t)floor(seen[i] / h->width) - h->origin;
		if (k < 0 || k >= CALIB_BINS)
			outside++;
		else
			want[k]++;
	}
	CHECK(outside == 0);
	CHECK(zeros == h->zeros);
	CHECK(memcmp(want, h->bins, sizeof want) == 0);
	for (int k = 0; k < CALIB_BINS; k++)
		total += h->bins[k];
	CHECK(total + h->zeros == h->count && h->count == (uint64_t)n);
	int e;
	CHECK(frexp(h->width, &e) == 0.5); /* a power of two */
}

static void histogram_grows_exactly(void)
{
	static float seen[40000];
	calib_stats s;
	int64_t n = 0;
	float mn = INFINITY;
	calib_stats_init(&s);
	/* a narrow first sample, then wider ones on both sides, zeros among them */
	float lo[] = {0.1f, -5, 1e-3f, -300}, hi[] = {0.2f, 3, 40, 2};
	for (int t = 0; t < 4; t++) {
		float *x = &seen[n];
		for (int i = 0; i < 10000; i++)
			x[i] = i % 7 == 3 ? 0 : lo[t] + (hi[t] - lo[t]) * (float)uniform01();
		CHECK(calib_stats_add(&s, x, 10000) == 0);
		for (int i = 0; i < 10000; i++)
			mn = fminf(mn, x[i]);
		n += 10000;
		check_bins(&s.hist, seen, n);
		if (t > 0) { /* grown: the nonzero values span more than half the window */
			const calib_hist *h = &s.hist;
			CHECK(floor(h->nz_max / h->width) - floor(h->nz_min / h->width) + 1 > CALIB_BINS / 2);
		}
	}
	CHECK(s.hist.min == mn && s.samples == 4);
	CHECK(s.hist.zeros == 4 * 1429);
}

static void refuses_non_finite(void)
{
	calib_stats s;
	float ok[] = {1, 2}, bad[] = {1, NAN, 3}, inf[] = {INFINITY};
	calib_stats_init(&s);
	CHECK(calib_stats_add(&s, ok, 2) == 0);
	CHECK(calib_stats_add(&s, bad, 3) < 0);
	CHECK(calib_stats_add(&s, inf, 1) < 0);
	CHECK(s.hist.count == 2 && s.samples == 1 && s.hist.max == 2);
}

/* ---- the quantizer and its expected error --------------------------------------- */

static void qdq_model(void)
{
	quant_range r = {0, 2.55f}; /* s = 0.01, z = -128 */
	CHECK(fabsf(calib_qdq(1.234f, r) - 1.23f) < 1e-6f);
	CHECK(calib_qdq(-1, r) == 0);
	CHECK(fabsf(calib_qdq(3, r) - 2.55f) < 1e-6f);
	quant_range sym = {-1.275f, 1.275f}; /* s = 0.01, z = round(-128 + 127.5) = 0 (half to even) */
	CHECK(fabsf(calib_qdq(-1.3f, sym) + 1.28f) < 1e-6f);
	CHECK(fabsf(calib_qdq(1.3f, sym) - 1.27f) < 1e-6f);
	CHECK(calib_qdq(0, sym) == 0);
	CHECK(calib_qdq(5, (quant_range){0, 0}) == 0);
}

/* The expected error by the midpoint rule, 2048 points per bin. */
static double integrate_mse(const calib_hist *h, quant_range r)
{
	double sum = 0;
	for (int k = 0; k < CALIB_BINS; k++) {
		if (!h->bins[k])
			continue;
		double a = (double)(h->origin + k) * h->width, part = 0;
		for (int j = 0; j < 2048; j++) {
			double x = a + (j + 0.5) / 2048 * h->width;
			double e = x - (double)calib_qdq((float)x, r);
			part += e * e;
		}
		sum += part / 2048 * (double)h->bins[k];
	}
	return sum / (double)h->count;
}

static void expected_error(void)
{
	static float x[20000];
	calib_stats s;
	calib_stats_init(&s);
	for (int i = 0; i < 20000; i++)
		x[i] = i % 5 == 0 ? 0 : 2 * gaussian() + 0.5f;
	calib_stats_add(&s, x, 20000);
	quant_range rs[] = {{-3, 5}, {-8, 9}, {0, 2}, {-1, 0}, {-0.01f, 0.02f}};
	for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
		double a = calib_hist_qdq_mse(&s.hist, rs[i]), b = integrate_mse(&s.hist, rs[i]);
		CHECK(fabs(a - b) <= 2e-3 * b);
	}
	/* uniform data over the whole range: granular noise s^2 / 12 */
	calib_stats u;
	calib_stats_init(&u);
	for (int i = 0; i < 20000; i++)
		x[i] = (float)((i + 0.5) / 20000);
	calib_stats_add(&u, x, 20000);
	double s12 = pow(1.0 / 255, 2) / 12;
	CHECK(fabs(calib_hist_qdq_mse(&u.hist, (quant_range){0, 1}) - s12) < 0.02 * s12);
}

/* ---- the methods ------------------------------------------------------------------ */

static void uniform_data(void)
{
	static float x[100000];
	calib_stats s;
	calib_stats_init(&s);
	for (int i = 0; i < 100000; i++)
		x[i] = (float)((i + 0.5) / 100000);
	calib_stats_add(&s, x, 100000);
	double w = s.hist.width, top = x[99999];
	quant_range mm = calib_range(&s, CALIB_MINMAX, 99.99);
	CHECK(mm.lo == 0 && mm.hi == (float)top);
	/* 0.005% at each end: lo 5e-5 (widened to 0), hi 1 - 5e-5, within a bin */
	quant_range p = calib_range(&s, CALIB_PERCENTILE, 99.99);
	CHECK(p.lo == 0 && fabs(p.hi - (1 - 5e-5)) <= w);
	quant_range p100 = calib_range(&s, CALIB_PERCENTILE, 100);
	CHECK(p100.lo == 0 && p100.hi == (float)top);
	/* uniform data loses nothing to binning, so KL is least with no clipping */
	quant_range e = calib_range(&s, CALIB_ENTROPY, 99.99);
	CHECK(e.lo == 0 && e.hi == (float)top);
	/* the optimum of granular (T/255)^2/12 * T against clipping (1-T)^3/3:
	** 1 - T = T / 510, T = 0.998; the search grid is 1/512 */
	quant_range m = calib_range(&s, CALIB_MSE, 99.99);
	CHECK(m.lo == 0 && fabs(m.hi - 0.998) <= 2.0 / 512);
}

/* Gaussian data with one outlier at +40 (10 sigma) in every sample. */
static void outliers(void)
{
	static float x[10][10000];
	calib_stats s;
	double sum_min = 0;
	calib_stats_init(&s);
	for (int t = 0; t < 10; t++) {
		float mn = INFINITY;
		for (int i = 0; i < 10000; i++) {
			x[t][i] = i == 17 ? 40 : gaussian();
			mn = fminf(mn, x[t][i]);
		}
		sum_min += mn;
		CHECK(calib_stats_add(&s, x[t], 10000) == 0);
	}
	/* minmax does not clip: every sample's max is the outlier */
	quant_range mm = calib_range(&s, CALIB_MINMAX, 99.99);
	CHECK(mm.hi == 40 && mm.lo == (float)(sum_min / 10));
	/* 10 outliers are fewer than the 50 values of a 0.05% tail: the
	** 99.95% Gaussian quantile, 3.29, at each end */
	quant_range p = calib_range(&s, CALIB_PERCENTILE, 99.9);
	CHECK(p.hi > 3.1f && p.hi < 3.5f && p.lo < -3.1f && p.lo > -3.5f);
	/* entropy clips, with one threshold for both sides */
	quant_range e = calib_range(&s, CALIB_ENTROPY, 99.99);
	CHECK(e.hi > 2 && e.hi < 20);
	CHECK(e.lo == -e.hi);
	/* mse need not clip outliers (their squared error is large), but no
	** other method's range has less expected error */
	quant_range m = calib_range(&s, CALIB_MSE, 99.99);
	double em = calib_hist_qdq_mse(&s.hist, m);
	CHECK(em <= calib_hist_qdq_mse(&s.hist, mm) && em <= calib_hist_qdq_mse(&s.hist, p));
	CHECK(em <= calib_hist_qdq_mse(&s.hist, e));
	CHECK(em <= calib_hist_qdq_mse(&s.hist, (quant_range){(float)s.hist.min, 40}));
}

static void one_sided_entropy(void)
{
	static float x[50000];
	calib_stats s;
	calib_stats_init(&s);
	for (int i = 0; i < 50000; i++)
		x[i] = fmaxf(gaussian(), 0); /* ReLU: half the values exactly zero */
	calib_stats_add(&s, x, 50000);
	quant_range e = calib_range(&s, CALIB_ENTROPY, 99.99);
	CHECK(s.hist.zeros > 20000);
	CHECK(e.lo == 0 && e.hi > 2 && e.hi <= s.hist.max);
}

static void degenerate(void)
{
	float zeros[100] = {0}, fives[100];
	for (int i = 0; i < 100; i++)
		fives[i] = 5;
	for (int m = 0; m < CALIB_NCANDIDATES; m++) {
		calib_stats z, f;
		calib_stats_init(&z), calib_stats_init(&f);
		calib_stats_add(&z, zeros, 100);
		calib_stats_add(&f, fives, 100);
		quant_range rz = calib_range(&z, (calib_method)m, 99.99);
		quant_range rf = calib_range(&f, (calib_method)m, 99.99);
		CHECK(rz.lo == 0 && rz.hi == 0);
		CHECK(rf.lo == 0 && rf.hi == 5);
	}
}

static void names(void)
{
	for (int m = 0; m < CALIB_NMETHODS; m++)
		CHECK(calib_method_from_name(calib_method_name((calib_method)m)) == m);
	CHECK(calib_method_from_name("kl") == -1);
	CHECK(calib_default_options().method == CALIB_DEFAULT_METHOD);
}

int main(void)
{
	histogram_grows_exactly();
	refuses_non_finite();
	qdq_model();
	expected_error();
	uniform_data();
	outliers();
	one_sided_entropy();
	degenerate();
	names();
	return check_done("test_calibrate");
}
