/*
** onnx_export.h - write a graph as an ONNX model: a quantized graph in the
** QDQ form ONNX Runtime runs (frontend/onnx_export.c; docs/quantization.md
** "Exporting QDQ ONNX").
*/
#ifndef CONDENSE_ONNX_EXPORT_H
#define CONDENSE_ONNX_EXPORT_H

#include "ir/ir.h"

/*
** Write g to path as an ONNX model (opset 13).  g is consumed: every op on
** quantized types is first unfolded to DequantizeLinear -> float op ->
** QuantizeLinear (quant_unfold), so pass a copy of a graph still needed.
** Returns 0, or -1 after a diagnostic (an op with no ONNX form here, an
** unwritable path); nothing is left at path on failure.
*/
int onnx_export_file(ir_graph *g, const char *path);

/* 0 when every op of g has an ONNX form onnx_export_file writes, else -1
** after one diagnostic per op that has none (at the op's own location). */
int onnx_export_check(const ir_graph *g);

#endif
