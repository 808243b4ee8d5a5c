/*
** quant_fold.h - between quantized ops and the kernels that run them.
**
** The quant-fold pass (passes.h) turns DQ -> op -> Q chains into ops on
** quantized types.  quant_unfold is its inverse for single ops: an op on
** quantized types whose integer kernel does not exist (on this code
** generator) goes back to float between a DequantizeLinear of each
** quantized operand and a QuantizeLinear of its result, with the same
** parameters, so "ops with no int8 kernel stay float with quantize and
** dequantize around them" is one decision in one place.
*/
#ifndef CONDENSE_QUANT_FOLD_H
#define CONDENSE_QUANT_FOLD_H

#include <stdbool.h>

#include "ir/ir.h"

/* True when op, an op on quantized types (ir_op_is_quantized), can run as
** it is. */
typedef bool (*quant_supported_fn)(const ir_graph *g, const ir_op *op);

/* Unfold every quantized op supported rejects; returns how many. */
int64_t quant_unfold(ir_graph *g, quant_supported_fn supported);

#endif
