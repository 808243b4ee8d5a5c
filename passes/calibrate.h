/*
** calibrate.h - calibration for int8 post-training quantization: run the
** float graph on sample inputs and choose, for every float activation, the
** range [lo, hi] that quantization turns into a scale and zero point.
**
** The graph calibrated must be the graph quantization sees: the compile
** pipeline (codegen/codegen.h CG_PIPELINE) already run, so fused
** activations make a Conv's range the post-activation range and the value
** labels of the ranges file (passes/quant_ranges.h) match.
**
** Pieces, one file each:
**   calib_data.c     DATA (.npy file or directory) -> samples of the inputs
**   calib_hist.c     one growing 2048-bin histogram per value
**   calib_methods.c  minmax, percentile, entropy, mse on the statistics;
**                    the int8 quantize-dequantize model they share
**   calibrate.c      the sample runs, auto, the ranges, the -v table
**
** Who owns zero: calibration.  Every range this module produces satisfies
** lo <= 0 <= hi (int8 zero must be representable, for zero padding and
** ReLU), so a quantizer can use the ranges as they are.  lo == hi == 0 is
** possible (a value that is zero on every sample); the quantizer must give
** it some positive scale.
**
** The quantizer modelled (calib_qdq, and the error mse and auto minimize)
** is the TFLite int8 activation scheme: asymmetric per tensor,
**   s = (hi - lo) / 255,  z = clamp(round(-128 - lo / s), -128, 127),
**   q = clamp(round(x / s) + z, -128, 127),  x' = (q - z) * s,
** rounding half to even as ONNX QuantizeLinear does.
*/
#ifndef CONDENSE_CALIBRATE_H
#define CONDENSE_CALIBRATE_H

#include <stdint.h>
#include <stdio.h>

#include "interp/interp.h"
#include "ir/ir.h"
#include "passes/quant_ranges.h"

/* ---- methods ------------------------------------------------------------- */

/* M(ID, name); the order is the order of the -v table's columns. */
#define CALIB_METHODS(M)            \
	M(MINMAX, "minmax")         \
	M(PERCENTILE, "percentile") \
	M(ENTROPY, "entropy")       \
	M(MSE, "mse")               \
	M(AUTO, "auto")

typedef enum calib_method {
#define M(id, name) CALIB_##id,
	CALIB_METHODS(M)
#undef M
	CALIB_NMETHODS
} calib_method;

/* The methods auto chooses among: every one before CALIB_AUTO. */
#define CALIB_NCANDIDATES ((int)CALIB_AUTO)

/*
** The default method, measured (scripts/calib_digits.py; numbers in
** docs/quantization.md): on the digits example the accuracies are too
** close to separate the methods (one image is 0.22 points), and mse gives
** the int8 logits closest to float (38.0 dB SQNR on the held-out split;
** percentile 36.5, auto 36.8, entropy 24.6, minmax 16.7), for one
** statistics pass like the others.
*/
#define CALIB_DEFAULT_METHOD CALIB_MSE
#define CALIB_DEFAULT_PERCENTILE 99.99
#define CALIB_DEFAULT_AUTO_SAMPLES 8

const char *calib_method_name(calib_method m);
/* The method called s, or -1. */
int calib_method_from_name(const char *s);

typedef struct calib_options {
	calib_method method;
	double percentile;      /* two-sided: (100 - p) / 2 percent cut at each end; 0 < p <= 100 */
	int64_t max_samples;    /* use the first max_samples samples; 0: all */
	int32_t auto_samples;   /* samples auto runs consumers on (spread evenly); >= 1 */
	FILE *table;            /* when not NULL, the per-value table goes here */
} calib_options;

/* Defaults: CALIB_DEFAULT_METHOD, 99.99, all samples, 8 auto samples. */
calib_options calib_default_options(void);

/* ---- statistics of one value --------------------------------------------- */

#define CALIB_BINS 2048

/*
** A histogram whose range grows as values arrive, staying exact.  Bins lie
** on a grid anchored at zero: bins[k] counts the nonzero values in
** [(origin + k) * width, (origin + k + 1) * width), width a power of two.
** When a value falls outside the window, the window moves or the width
** doubles (as often as needed); doubling merges bins 2j and 2j+1 of the
** grid, so every count stays the exact count of its interval - nothing is
** approximated.  What growth costs is resolution: once the window has
** grown, the nonzero values span more than half of it (over 1024 bins),
** and the first sample's span sets the finest width ever used.  Exact
** zeros are counted apart (they are exact in int8, and ReLU makes many).
*/
typedef struct calib_hist {
	double width;           /* 0 until the first nonzero value */
	int64_t origin;         /* grid index of bins[0] */
	uint64_t bins[CALIB_BINS];
	uint64_t zeros;         /* values equal to 0 (either sign) */
	uint64_t count;         /* all values, zeros included */
	double min, max;        /* of all values; +inf / -inf while empty */
	double nz_min, nz_max;  /* of the nonzero values */
} calib_hist;

typedef struct calib_stats {
	calib_hist hist;
	double sum_min, sum_max; /* sums over samples of the sample's min and max */
	int64_t samples;
} calib_stats;

void calib_stats_init(calib_stats *s);
/* Add one sample's n values.  A NaN or infinity is refused (-1, nothing
** added): ranges must be finite. */
int calib_stats_add(calib_stats *s, const float *x, int64_t n);

/* ---- ranges -------------------------------------------------------------- */

/*
** The range method m (not CALIB_AUTO) chooses from s, widened to include
** zero.  s must hold at least one sample.
**   minmax      mean over samples of the sample min, and of the sample max
**   percentile  the p-th two-sided percentile (values spread evenly in
**               their bin), clipped to the observed [min, max]
**   entropy     TensorRT's KL-divergence search on the histogram of |x|;
**               see calib_methods.c for the one- vs two-sided choice
**   mse         the range whose expected quantize-dequantize squared error
**               under the histogram is least (coordinate search)
*/
quant_range calib_range(const calib_stats *s, calib_method m, double percentile);

/* Expected (x - qdq(x))^2 per value of the histogram for range r, values
** spread evenly within their bin, zeros exact. */
double calib_hist_qdq_mse(const calib_hist *h, quant_range r);

/* The int8 quantize-dequantize of x under range r (lo <= 0 <= hi). */
float calib_qdq(float x, quant_range r);

/* ---- calibration data ---------------------------------------------------- */

/*
** DATA is one of (documented with examples in docs/quantization.md):
**   FILE.npy      for a model with one input: N samples
**   DIR of files  one input: every .npy file in name order, each holding
**                 one sample or a stack; several inputs: DIR/NAME.npy for
**                 every input NAME, all with the same number of samples
**   DIR of dirs   any number of inputs: one subdirectory per sample group
**                 (in name order) holding NAME.npy for every input
** A file holds samples of input x (type T = dtype[d0, d1, ...]) when its
** dtype is x's (float32 for f32; integer inputs take their own integer
** type) and its shape is T's shape (one sample), (N, d0, d1, ...) (N
** samples) or, when d0 == 1, (N, d1, ...).  NAME.npy matches the input
** called NAME, or NAME with every byte outside [A-Za-z0-9_.-] (and a
** leading '.') replaced by '_'.  Names starting with '.' and files not
** ending in .npy are ignored.
*/
typedef struct calib_data calib_data;

/*
** Open DATA for g and check every file (read once, then released); with
** max_samples > 0 only as many files as the first max_samples samples need
** are read and used.  NULL after a diagnostic naming the file and what is
** wrong.  Sample data is malloc'd, one file group at a time; only
** calib_data_close frees it, and must come before g's context is freed
** (the file names live in its arena).
*/
calib_data *calib_data_open(ir_graph *g, const char *path, int64_t max_samples);
int64_t calib_data_count(const calib_data *d);
/* Bind sample s (0 <= s < count) to in[0..g->n_inputs), whose data stay
** valid until the next call or the close.  -1 after a diagnostic. */
int calib_data_get(calib_data *d, int64_t s, interp_tensor *in);
/* The file (or sample directory) sample s comes from, for diagnostics. */
const char *calib_data_source(const calib_data *d, int64_t s);
void calib_data_close(calib_data *d);

/* ---- calibration ---------------------------------------------------------- */

/*
** Run g on every sample of d and choose the range of every float value that
** is not a constant (graph inputs included) with o->method.  Memory per
** sample is freed after it (a scratch context per sample), so the number
** of samples does not grow it.  Returns the ranges in g's context, or NULL
** after a diagnostic (an interpreter error, a NaN or infinity in a value).
*/
quant_ranges *calib_run(ir_graph *g, calib_data *d, const calib_options *o);

#endif
