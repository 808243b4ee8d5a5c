/*
** quant_ranges.h - observed value ranges: what calibration measures and
** what quantization turns into scales and zero points.
**
** A range [lo, hi] belongs to one float value of a graph (indexed by
** ir_val).  Calibration (passes/calibrate.c) fills them from sample runs;
** quantization (passes/quantize.c) reads them.  Between the two they can
** live in a text file, so a user may calibrate once, inspect or edit the
** ranges, and compile many times (as TensorRT's calibration cache):
**
**   # condense ranges v1
**   # method percentile, samples 64
**   %input -1.5 2.25
**   %"conv 1" 0 6
**
** One line per value: its label exactly as the .cir printer writes it
** (%name, %"name" or %N), then lo and hi as decimal floats (written with
** 9 significant digits, so they round-trip).  '#' starts a comment.
*/
#ifndef CONDENSE_QUANT_RANGES_H
#define CONDENSE_QUANT_RANGES_H

#include <stdbool.h>
#include <stdio.h>

#include "ir/ir.h"

typedef struct quant_range {
	float lo, hi;           /* finite, lo <= hi */
} quant_range;

typedef struct quant_ranges {
	uint32_t n_vals;        /* entries: the graph's n_vals when made */
	quant_range *r;         /* r[v], meaningful where has[v] */
	bool *has;              /* has[v]: v was calibrated */
	const char *method;     /* provenance for the file's header; may be NULL */
	int32_t samples;        /* samples behind the ranges; 0 when unknown */
} quant_ranges;

/* Empty ranges for every value of g, in g's context. */
quant_ranges *quant_ranges_new(ir_graph *g);

/* Write the ranges of g's values that have one, in value order. */
int quant_ranges_write(const ir_graph *g, const quant_ranges *q, FILE *out);

/*
** Read a ranges file for g (labels resolved against g as printed).  An
** unknown label, a non-float value, a malformed line, a non-finite bound,
** lo > hi or a value given twice is an error at path:line.  Returns NULL
** after a diagnostic.
*/
quant_ranges *quant_ranges_read(ir_graph *g, const char *path);

#endif
