/*
** equalize.h - cross-layer equalization of consecutive convolutions
** (passes/equalize.c; Nagel et al. 2019, "Data-Free Quantization", §4.1).
*/
#ifndef CONDENSE_EQUALIZE_H
#define CONDENSE_EQUALIZE_H

#include <stdbool.h>

#include "ir/ir.h"

typedef struct quant_equalize_stats {
	int32_t pairs;          /* Conv -> Conv pairs equalized */
	int32_t blocked;        /* pairs left alone: the activation between them is not
				   positively homogeneous (a Clip with a finite bound) */
	int32_t relaxed;        /* Clip(0, hi) between a pair replaced by Relu
				   (quant_equalize_options.relu6_to_relu) */
	int32_t sweeps;         /* sweeps over all pairs until the scales settled */
	double max_scale;       /* largest factor max(s, 1/s) applied to any channel */
} quant_equalize_stats;

typedef struct quant_equalize_options {
	/* false (quant_equalize): a Clip with a finite upper bound (Relu6)
	** between two convs blocks the pair, so the float function is unchanged
	** up to f32 rounding.  true: that Clip(0, hi) becomes Relu and the pair
	** is equalized, as DFQ does; the float function then changes wherever
	** the model saturated at hi. */
	bool relu6_to_relu;
	int32_t max_sweeps;     /* 0: the default (64) */
} quant_equalize_options;

/*
** On the float graph after CG_PIPELINE (BatchNorm folded, activations
** fused): for every Conv or Gemm c1 whose result feeds only the Conv or
** Gemm c2 (through fused or standalone Relu or LeakyRelu, max or average
** pools, a Flatten of [N, C, 1, 1], or nothing), both with f32 constant
** weights, output channel i of c1 (weights and bias) is divided
** by s_i and input channel i of c2 multiplied by s_i, s_i =
** sqrt(r1_i / r2_i) with r the largest |w| of the channel, so both ranges
** become sqrt(r1_i r2_i).  Grouped and depthwise convs on either side are
** handled.  Chains are swept until no scale moves by more than 1e-4.
** Returns the number of pairs equalized (quant_equalize: exact mode), or
** -1 after a diagnostic.
*/
int quant_equalize(ir_graph *g, quant_equalize_stats *st);
int quant_equalize_with(ir_graph *g, const quant_equalize_options *o, quant_equalize_stats *st);

#endif
