/*
** bias_correct.h - empirical bias correction of a QDQ graph (passes/bias_correct.c).
*/
#ifndef CONDENSE_BIAS_CORRECT_H
#define CONDENSE_BIAS_CORRECT_H

#include "ir/ir.h"
#include "passes/calibrate.h"

typedef struct bias_correct_stats {
	int32_t layers;         /* Conv/Gemm layers corrected */
	int64_t samples;        /* calibration samples measured */
	double mean_shift;      /* mean |correction| per channel, in units of the bias scale */
} bias_correct_stats;

/*
** q: the graph quant_insert_qdq wrote from the float graph f (same inputs,
** ops keep their names).  For each Conv/Gemm of q with a constant int32
** bias behind a DequantizeLinear and a float op of the same name in f, the
** bias loses the mean pre-activation output error per channel over the
** first `samples` samples of d (0: all; d opened on f).  -1 after a
** diagnostic.
*/
int quant_bias_correct(ir_graph *q, const ir_graph *f, calib_data *d, int64_t samples, bias_correct_stats *st);

#endif
