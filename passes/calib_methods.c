/*
** calib_methods.c - the range methods on a value's statistics, and the int8
** quantize-dequantize model they share (calibrate.h states it).
**
** The histogram is read as "counts spread evenly within their bin", plus a
** point mass of exact zeros at 0.  Conventions per method:
**
** entropy  TensorRT's search (pytorch-quantization _compute_amax_entropy):
**          on the histogram of |x| (bins of the zero-anchored grid fold onto
**          it exactly; merged 2^k-fold so at most 2048 bins remain), for
**          every candidate edge i >= Q: P = bins[0, i) with everything
**          beyond added to its last bin; Q = bins[0, i) merged into Q equal
**          groups and spread back evenly over the group's nonempty bins;
**          KL(P || Q), infinite where Q is 0 and P is not; the last i of
**          least KL gives the threshold T = i * width.  Q, the number of
**          quantized bins, is 255 when the value is one-sided (all values
**          >= 0, or all <= 0: an asymmetric int8 range [0, T] has 255 steps)
**          and 128 when it is two-sided ([-T, T] gets 255 steps, about 128
**          per side).  The two sides of a two-sided value share T: a skewed
**          value is clipped symmetrically around zero, then to its observed
**          [min, max].  Exact zeros are left out of P and Q - they are exact
**          in int8 - which plays the role of TensorRT's bins[0] = bins[1].
** mse      minimizes calib_hist_qdq_mse, an exact integral of the squared
**          error under the "evenly within bins" reading: first both bounds
**          scaled together by k/512 (k = 1..512) from the observed range,
**          then the upper and the lower bound alone in turn, same grid, for
**          up to MSE_ROUNDS rounds.  A coordinate search: a local optimum of
**          a two-dimensional problem, not a proven global one.
*/
#include <float.h>
#include <math.h>
#include <string.h>

#include "passes/calibrate.h"

#define MSE_STEPS 512
#define MSE_ROUNDS 3

static const char *const method_names[CALIB_NMETHODS] = {
#define M(id, name) [CALIB_##id] = name,
	CALIB_METHODS(M)
#undef M
};

const char *calib_method_name(calib_method m)
{
	return (unsigned)m < CALIB_NMETHODS ? method_names[m] : "unknown";
}

int calib_method_from_name(const char *s)
{
	for (int m = 0; m < CALIB_NMETHODS; m++)
		if (strcmp(s, method_names[m]) == 0)
			return m;
	return -1;
}

calib_options calib_default_options(void)
{
	return (calib_options){CALIB_DEFAULT_METHOD, CALIB_DEFAULT_PERCENTILE, 0,
			       CALIB_DEFAULT_AUTO_SAMPLES, NULL};
}

/* ---- the quantizer ------------------------------------------------------- */

typedef struct qparams {
	double s, z;            /* scale, zero point (an integer in [-128, 127]) */
} qparams;

/* As QDQ insertion computes them: the scale rounded to f32, the zero point
** from it in double. */
static qparams qparams_of(quant_range r)
{
	double s = (float)(((double)r.hi - (double)r.lo) / 255.0);
	if (!(s >= FLT_MIN))
		return (qparams){0, 0};
	double z = nearbyint(-128.0 - r.lo / s);
	return (qparams){s, fmin(fmax(z, -128), 127)};
}

float calib_qdq(float x, quant_range r)
{
	qparams p = qparams_of(r);
	if (p.s == 0)
		return 0;
	double q = fmin(fmax(nearbyint(x / p.s) + p.z, -128), 127);
	return (float)((q - p.z) * p.s);
}

/* An antiderivative of e(u)^2, e(u) = u - clamp(round(u), -128, 127): the
** periodic part gives 1/12 per unit cell, beyond the ends (u - end)^2. */
static double err_antideriv(double u)
{
	if (u > 127.5) {
		double d = u - 127;
		return err_antideriv(127.5) + (d * d * d - 0.125) / 3;
	}
	if (u < -128.5) {
		double d = u + 128;
		return err_antideriv(-128.5) + (d * d * d + 0.125) / 3;
	}
	double m = floor(u + 0.5), f = u - m;
	return m / 12 + (f * f * f + 0.125) / 3;
}

/* The nonempty bins of a histogram: left edges and counts. */
typedef struct bin_list {
	int n;
	double width, total;
	double a[CALIB_BINS], c[CALIB_BINS];
} bin_list;

static void list_bins(const calib_hist *h, bin_list *l)
{
	l->n = 0, l->width = h->width, l->total = (double)h->count;
	for (int k = 0; k < CALIB_BINS; k++)
		if (h->bins[k]) {
			l->a[l->n] = (double)(h->origin + k) * h->width;
			l->c[l->n++] = (double)h->bins[k];
		}
}

static double list_qdq_mse(const bin_list *l, quant_range r)
{
	qparams p = qparams_of(r);
	double sum = 0;
	if (l->total == 0)
		return 0;
	for (int k = 0; k < l->n; k++) {
		double a = l->a[k], b = a + l->width;
		if (p.s == 0) {
			sum += l->c[k] * (a * a + a * b + b * b) / 3;
			continue;
		}
		double ua = a / p.s + p.z, ub = b / p.s + p.z;
		sum += l->c[k] * (err_antideriv(ub) - err_antideriv(ua)) / (ub - ua) * p.s * p.s;
	}
	return sum / l->total;
}

double calib_hist_qdq_mse(const calib_hist *h, quant_range r)
{
	bin_list l;
	list_bins(h, &l);
	return list_qdq_mse(&l, r);
}

/* ---- minmax and percentile ------------------------------------------------ */

/* The value below which t of the h->count values lie. */
static double quantile(const calib_hist *h, double t)
{
	double cum = 0;
	bool zeros_seen = false;
	if (t <= 0)
		return h->min;
	if (t >= (double)h->count)
		return h->max;
	for (int k = 0; k <= CALIB_BINS; k++) {
		/* exact zeros sort between the negative and the positive bins */
		if (!zeros_seen && (k == CALIB_BINS || h->origin + k >= 0)) {
			zeros_seen = true;
			if ((cum += (double)h->zeros) >= t)
				return 0;
		}
		double c = k < CALIB_BINS ? (double)h->bins[k] : 0;
		if (c && cum + c >= t) {
			double a = (double)(h->origin + k) * h->width;
			return fmin(fmax(a + (t - cum) / c * h->width, h->min), h->max);
		}
		cum += c;
	}
	return h->max;
}

static quant_range range_percentile(const calib_hist *h, double p)
{
	double tail = (double)h->count * (100.0 - p) / 200.0;
	return (quant_range){(float)quantile(h, tail), (float)quantile(h, (double)h->count - tail)};
}

/* ---- entropy --------------------------------------------------------------- */

/* The histogram of |x| without zeros: f[0..*n) on width *fw.  A negative
** grid cell j holds |x| in (-(j+1), -j] widths: folded cell -j-1. */
static void fold(const calib_hist *h, double *f, int *n, double *fw)
{
	int64_t top = 0;
	int sh = 0;
	memset(f, 0, sizeof(double) * CALIB_BINS);
	*n = 0, *fw = h->width;
	for (int k = 0; k < CALIB_BINS; k++) {
		int64_t j = h->origin + k, a = j < 0 ? -j - 1 : j;
		if (h->bins[k] && a + 1 > top)
			top = a + 1;
	}
	if (top == 0)
		return;
	while (((top - 1) >> sh) + 1 > CALIB_BINS)
		sh++;
	for (int k = 0; k < CALIB_BINS; k++) {
		int64_t j = h->origin + k;
		if (h->bins[k])
			f[(j < 0 ? -j - 1 : j) >> sh] += (double)h->bins[k];
	}
	*n = (int)(((top - 1) >> sh) + 1);
	*fw = ldexp(h->width, sh);
}

/* KL(P || Q) for the candidate edge i (module comment); tail[i] is the sum
** of b[i..n), total the sum of b. */
static double kl_at(const double *b, const double *tail, double total, int i, int nq)
{
	double gsum[256] = {0}, gcnt[256] = {0}, qsum = 0, kl = 0;
	for (int j = 0; j < i; j++)
		if (b[j]) {
			int g = (int)((int64_t)j * nq / i);
			gsum[g] += b[j], gcnt[g] += 1;
		}
	for (int g = 0; g < nq; g++)
		qsum += gsum[g];
	for (int j = 0; j < i; j++) {
		double p = (b[j] + (j == i - 1 ? tail[i] : 0)) / total;
		if (p == 0)
			continue;
		if (!b[j])
			return INFINITY;
		int g = (int)((int64_t)j * nq / i);
		kl += p * log(p / (gsum[g] / gcnt[g] / qsum));
	}
	return kl;
}

static quant_range range_entropy(const calib_hist *h)
{
	double b[CALIB_BINS], tail[CALIB_BINS + 1], fw, best = INFINITY;
	int n, nq = h->min >= 0 || h->max <= 0 ? 255 : 128, best_i = 0;
	fold(h, b, &n, &fw);
	if (n <= nq)
		return (quant_range){(float)h->min, (float)h->max};
	tail[n] = 0;
	for (int j = n - 1; j >= 0; j--)
		tail[j] = tail[j + 1] + b[j];
	for (int i = nq; i <= n; i++) {
		double kl = kl_at(b, tail, tail[0], i, nq);
		if (kl <= best)
			best = kl, best_i = i;
	}
	if (best_i == 0)
		return (quant_range){(float)h->min, (float)h->max};
	double t = best_i * fw;
	return (quant_range){(float)fmax(-t, h->min), (float)fmin(t, h->max)};
}

/* ---- mse ---------------------------------------------------------------------- */

/* Scan bound `which` (0 lo, 1 hi) over from * k / MSE_STEPS with the other
** bound of *best fixed (both with which == 2); true when *best changed. */
static bool mse_scan(const bin_list *l, quant_range from, int which, quant_range *best, double *err)
{
	bool changed = false;
	for (int k = 1; k <= MSE_STEPS; k++) {
		double f = (double)k / MSE_STEPS;
		quant_range r = *best;
		if (which != 1)
			r.lo = (float)(from.lo * f);
		if (which != 0)
			r.hi = (float)(from.hi * f);
		if (r.lo == best->lo && r.hi == best->hi)
			continue;
		double e = list_qdq_mse(l, r);
		if (e < *err || (e == *err && r.hi - r.lo > best->hi - best->lo)) {
			*best = r, *err = e;
			changed = true;
		}
	}
	return changed;
}

static quant_range range_mse(const calib_hist *h)
{
	bin_list l;
	quant_range from = {(float)fmin(h->min, 0), (float)fmax(h->max, 0)}, best = from;
	if (from.lo == from.hi)
		return from;
	list_bins(h, &l);
	double err = list_qdq_mse(&l, best);
	mse_scan(&l, from, 2, &best, &err);
	for (int round = 0; round < MSE_ROUNDS; round++) {
		bool changed = from.hi > 0 && mse_scan(&l, from, 1, &best, &err);
		changed |= from.lo < 0 && mse_scan(&l, from, 0, &best, &err);
		if (!changed)
			break;
	}
	return best;
}

/* ---- dispatch ------------------------------------------------------------------ */

quant_range calib_range(const calib_stats *s, calib_method m, double percentile)
{
	const calib_hist *h = &s->hist;
	quant_range r = {0, 0};
	switch (m) {
	case CALIB_MINMAX:
		r = (quant_range){(float)(s->sum_min / (double)s->samples),
				  (float)(s->sum_max / (double)s->samples)};
		break;
	case CALIB_PERCENTILE: r = range_percentile(h, percentile); break;
	case CALIB_ENTROPY: r = range_entropy(h); break;
	case CALIB_MSE: r = range_mse(h); break;
	default: break;
	}
	return (quant_range){fminf(r.lo, 0), fmaxf(r.hi, 0)};
}
