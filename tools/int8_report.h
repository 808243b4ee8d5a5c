/*
** int8_report.h - the int8 report of `condense compile --quantize int8`
** (-v and --report): activation SQNR per layer, output cosine and top-1
** agreement against the float model on calibration samples, the ops left
** in float (tools/int8_report.c).
*/
#ifndef CONDENSE_INT8_REPORT_H
#define CONDENSE_INT8_REPORT_H

#include <stdio.h>

#include "ir/ir.h"
#include "passes/quantize.h"

typedef struct int8_report_acc {
	double sig, noise;      /* layers: sum f^2, sum (f - q)^2 over the samples */
	double cos;             /* outputs: sum of the per-sample cosines */
	int64_t agree, n;       /* outputs: argmax agreements, samples */
} int8_report_acc;

typedef struct int8_report {
	const ir_graph *q;      /* the int8 program */
	int64_t samples;        /* 0: nothing measured (no calibration data) */
	const ir_val *match;    /* per value of q: its float counterpart, or 0 */
	int8_report_acc *layer; /* per value of q */
	int8_report_acc *out;   /* per output of q */
} int8_report;

/*
** Run the float graph fg and the int8 program qg (same inputs and outputs)
** on the first samples of DATA (at most max_samples when > 0, and a cap)
** and accumulate the figures into rep.  -1 after a diagnostic.
*/
int int8_report_measure(int8_report *rep, ir_graph *fg, ir_graph *qg, const char *data, int64_t max_samples);

/* The readable table (-v). */
void int8_report_print(const int8_report *rep, FILE *f);

/* The report's "quantization" member, starting with ",\n" (cg_write_report_ex's
** extra writer); st gives the weight bytes. */
int int8_report_json(const int8_report *rep, const quant_stats *st, FILE *f);

#endif
