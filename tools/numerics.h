/*
** numerics.h - check that a rewritten graph computes what the original
** did, in the reference interpreter (condense-opt --check-numerics).
*/
#ifndef CONDENSE_TOOLS_NUMERICS_H
#define CONDENSE_TOOLS_NUMERICS_H

#include <stdio.h>

#include "ir/ir.h"

/*
** Run before and after (same inputs and outputs) on seeded random inputs
** (floats uniform in [-2, 2], integers in [0, 3], bools) and compare each
** output: integers exactly, floats within 1e-5 of the largest magnitude
** of that output.  Prints "numerics: ..." to out; -1 after a diagnostic
** when they differ or a run fails.
*/
int numerics_check(ir_graph *before, ir_graph *after, FILE *out);

#endif
