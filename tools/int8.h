/*
** int8.h - the int8 step of `condense compile --quantize int8`.
*/
#ifndef CONDENSE_TOOLS_INT8_H
#define CONDENSE_TOOLS_INT8_H

#include <stdbool.h>

#include "ir/ir.h"
#include "passes/calibrate.h"
#include "passes/quantize.h"

typedef struct int8_opts {
	bool on;                  /* --quantize int8 */
	const char *calibration;  /* --calibration DATA */
	const char *ranges;       /* --ranges FILE (instead of DATA) */
	calib_options co;         /* --calib-method, --calib-samples */
	quant_options qo;         /* --rounding, --seed */
	bool verbose;             /* -v: the per-layer table on stderr */
	bool io_int8;             /* --io int8: quantized graph inputs and outputs */
	int bias_correct;         /* --bias-correction: 1 on, 0 off, -1 (default) on with --calibration */
	int equalize;             /* --equalize: 0 off, 1 on, 2 relu6 (Relu6 between a pair becomes Relu), -1
				     (default) on with --calibration when the model has depthwise convs */
} int8_opts;

/* What int8_quantize leaves for the report: the float graph as text
** (before quantization; malloc'd, the caller frees it) and the statistics
** of the QDQ insertion. */
typedef struct int8_result {
	char *float_text;
	size_t float_len;
	quant_stats st;
} int8_result;

/* Parse option a with value v into o: 0 taken, 1 not an int8 option,
** -1 after a usage message. */
int int8_option(int8_opts *o, const char *a, const char *v);

/* Check the combination after parsing; -1 after a usage message. */
int int8_check(const int8_opts *o);

/*
** g after CG_PIPELINE becomes an int8 program: cross-layer equalization
** when asked (passes/equalize.h), ranges (calibrated on DATA
** or read from FILE), QDQ insertion, quant-fold, dce, then every
** quantized op the code generator has no kernel for back to float between
** Q and DQ (quant_unfold).  Returns -1 after a diagnostic.
*/
int int8_quantize(ir_graph *g, const int8_opts *o, int8_result *res);

/* Whether g has QuantizeLinear or DequantizeLinear ops (a QDQ model, or
** one with quantized boundaries). */
bool int8_has_qdq(const ir_graph *g);

/*
** The integer program of a graph whose quantization is written as Q/DQ
** ops (a QDQ model from ONNX Runtime or PyTorch, or int8_quantize's
** output): quant-fold and dce, then every quantized op without a kernel
** back to float (quant_unfold with cg_supports_quantized), then cse and
** dce.  verbose: how many ops went back, on stderr.  -1 after a
** diagnostic.
*/
int int8_fold_qdq(ir_graph *g, bool verbose);

#endif
