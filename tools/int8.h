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
} int8_opts;

/* Parse option a with value v into o: 0 taken, 1 not an int8 option,
** -1 after a usage message. */
int int8_option(int8_opts *o, const char *a, const char *v);

/* Check the combination after parsing; -1 after a usage message. */
int int8_check(const int8_opts *o);

/*
** g after CG_PIPELINE becomes an int8 program: ranges (calibrated on DATA
** or read from FILE), QDQ insertion, quant-fold, dce, then every
** quantized op the code generator has no kernel for back to float between
** Q and DQ (quant_unfold).  Returns -1 after a diagnostic.
*/
int int8_quantize(ir_graph *g, const int8_opts *o);

#endif
