/*
** quantize.h - the int8 quantization scheme: a float graph plus calibrated
** ranges (passes/quant_ranges.h) becomes a QDQ graph.
**
** quant_insert_qdq puts QuantizeLinear -> DequantizeLinear pairs on the
** activations of every op with an int8 kernel and turns the weights and
** biases of Conv, ConvTranspose, Gemm and MatMul into integer constants
** behind DequantizeLinear, following the TFLite int8 convention (weights
** int8 symmetric per output channel in [-127, 127], activations int8
** asymmetric per tensor, bias int32 with scale s_in * s_w[c]).  The result
** is still a float graph that the interpreter runs as is ("fake
** quantization"), which is how the error of the scheme is measured; the
** quant-fold pass later turns each DQ -> op -> Q chain into an integer op.
** The formulas, rounding rules and decisions are in passes/quantize.c and
** docs/quantization.md.
*/
#ifndef CONDENSE_QUANTIZE_H
#define CONDENSE_QUANTIZE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ir/ir.h"
#include "passes/quant_ranges.h"

typedef enum quant_rounding {
	QUANT_ROUND_NEAREST,    /* f32 quotient rounded half to even (default) */
	QUANT_ROUND_STOCHASTIC, /* floor(w/s + u), u uniform in [0, 1): E[q] = w/s */
} quant_rounding;

typedef struct quant_options {
	quant_rounding rounding;        /* of weights; activations always round to nearest */
	uint64_t seed;                  /* stochastic rounding: same seed, same integers */
	bool per_tensor;                /* one weight scale per tensor, not per output channel */
} quant_options;

/* One quantized op.  Weight fields are zero (and the SQNRs NaN) for ops
** without weights (Add, the pools, Concat, MatMul of two activations). */
typedef struct quant_layer {
	const ir_op *op;                /* the op, in the rewritten graph */
	int64_t weights;                /* weight elements */
	int32_t channels;               /* weight scales: 1 when per tensor */
	int64_t bytes_f32;              /* weights and bias as f32 */
	int64_t bytes_q;                /* int8 weights + f32 scales + int32 bias */
	double sqnr_db;                 /* 10 log10(sum w^2 / sum (w - s q)^2); +inf when exact */
	double sqnr_pred_db;            /* 6.02*8 + 4.77 - 20 log10(clip/rms), per channel, noise powers added */
	int32_t bias_saturated;         /* bias entries clamped to the int32 range */
} quant_layer;

/* An op left in float, and why. */
typedef struct quant_float_op {
	const ir_op *op;
	const char *why;                /* static text */
} quant_float_op;

typedef struct quant_stats {
	int32_t n_layers;               /* ops with an int8 kernel, now between DQ and Q */
	quant_layer *layers;            /* in graph order; arena-owned */
	int32_t n_float;
	quant_float_op *floats;         /* ops left float (constants aside); arena-owned */
	int32_t n_passthrough;          /* data-movement ops that keep their operand's int8 */
	int32_t n_values;               /* activations given a QuantizeLinear */
	int64_t bytes_f32, bytes_q;     /* sums over layers */
} quant_stats;

/*
** Rewrite g into its QDQ form from the ranges r (read for g as it is now:
** r->n_vals must be g->n_vals).  o NULL means the defaults (nearest,
** per channel); st, when not NULL, receives what was done.  Every
** activation the scheme quantizes must have a range: a value without one
** is an error naming the value and its op, reported before anything
** changes.  A graph that already holds QuantizeLinear/DequantizeLinear or
** quantized types is refused.  Returns 0, or -1 after a diagnostic with g
** unchanged.
*/
int quant_insert_qdq(ir_graph *g, const quant_ranges *r, const quant_options *o, quant_stats *st);

/* The statistics as a readable table (one row per quantized op, totals,
** then the ops left float).  -1 on a write error. */
int quant_stats_print(const ir_graph *g, const quant_stats *st, FILE *out);

#endif
