/*
** calib_hist.c - per-value statistics: sample min/max sums and the growing
** exact histogram described in calibrate.h.
**
** Grid arithmetic: a nonzero x lies in grid cell floor(x / width).  Width
** is a power of two, so x / width is exact (no rounding can move x across
** a cell edge), and doubling the width maps cell j to floor(j / 2): the new
** cell is exactly the union of two old ones.  Width is kept at least
** max|x| * 2^-40 so that cell indices stay far inside int64_t.
*/
#include <math.h>
#include <string.h>

#include "passes/calibrate.h"

#define INDEX_BOUND_LOG2 40

void calib_stats_init(calib_stats *s)
{
	memset(s, 0, sizeof *s);
	s->hist.min = s->hist.nz_min = INFINITY;
	s->hist.max = s->hist.nz_max = -INFINITY;
}

/* floor(a / 2^sh) for any sign of a. */
static int64_t floor_shift(int64_t a, int sh)
{
	if (sh > 62)
		return a >= 0 ? 0 : -1;
	return a >= 0 ? a >> sh : -(((-a) - 1) >> sh) - 1;
}

static int64_t cell(double x, double width)
{
	return (int64_t)floor(x / width);
}

/* Cells the nonzero values in [lo, hi] need at this width. */
static bool fits(double width, double lo, double hi)
{
	return cell(hi, width) - cell(lo, width) + 1 <= CALIB_BINS;
}

/* The least power of two >= from (or, with from == 0, any start) at which
** [lo, hi] fits and cell indices stay bounded. */
static double width_for(double from, double lo, double hi)
{
	double m = fmax(fabs(lo), fabs(hi));
	double floor_w = ldexp(m, -INDEX_BOUND_LOG2);
	double w = from;
	if (w == 0) {
		int e;
		frexp(fmax((hi - lo) / CALIB_BINS, floor_w), &e);
		w = ldexp(1.0, e - 2);
	}
	while (w < floor_w || !fits(w, lo, hi))
		w *= 2;
	return w;
}

/* Move the window to width w (>= the current one) centred on the nonzero
** values in [lo, hi], merging the old cells into it. */
static void regrid(calib_hist *h, double w, double lo, double hi)
{
	int64_t first = cell(lo, w), last = cell(hi, w);
	int64_t origin = first - (CALIB_BINS - (last - first + 1)) / 2;
	if (h->width == 0) {
		h->width = w, h->origin = origin;
		return;
	}
	int sh = 0;
	while (ldexp(h->width, sh) < w)
		sh++;
	uint64_t old[CALIB_BINS];
	memcpy(old, h->bins, sizeof old);
	memset(h->bins, 0, sizeof h->bins);
	for (int k = 0; k < CALIB_BINS; k++)
		if (old[k])
			h->bins[floor_shift(h->origin + k, sh) - origin] += old[k];
	h->width = w, h->origin = origin;
}

/* Make the window cover the nonzero values seen so far and [lo, hi]. */
static void cover(calib_hist *h, double lo, double hi)
{
	lo = fmin(lo, h->nz_min), hi = fmax(hi, h->nz_max);
	if (h->width != 0 && cell(lo, h->width) >= h->origin &&
	    cell(hi, h->width) < h->origin + CALIB_BINS)
		return;
	regrid(h, width_for(h->width, lo, hi), lo, hi);
}

/* The sample's min and max, and of its nonzero values; false on a NaN or
** an infinity. */
static bool scan(const float *x, int64_t n, double mm[4])
{
	float lo = INFINITY, hi = -INFINITY, nzlo = INFINITY, nzhi = -INFINITY;
	for (int64_t i = 0; i < n; i++) {
		float v = x[i];
		if (!isfinite(v))
			return false;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		if (v != 0) {
			nzlo = v < nzlo ? v : nzlo;
			nzhi = v > nzhi ? v : nzhi;
		}
	}
	mm[0] = lo, mm[1] = hi, mm[2] = nzlo, mm[3] = nzhi;
	return true;
}

int calib_stats_add(calib_stats *s, const float *x, int64_t n)
{
	double mm[4];
	calib_hist *h = &s->hist;
	if (!scan(x, n, mm))
		return -1;
	if (n == 0)
		return 0;
	if (mm[2] <= mm[3]) {
		cover(h, mm[2], mm[3]);
		h->nz_min = fmin(h->nz_min, mm[2]), h->nz_max = fmax(h->nz_max, mm[3]);
	}
	double inv = 1.0 / h->width;
	for (int64_t i = 0; i < n; i++) {
		if (x[i] == 0)
			h->zeros++;
		else
			h->bins[(int64_t)floor((double)x[i] * inv) - h->origin]++;
	}
	h->count += (uint64_t)n;
	h->min = fmin(h->min, mm[0]), h->max = fmax(h->max, mm[1]);
	s->sum_min += mm[0], s->sum_max += mm[1];
	s->samples++;
	return 0;
}
