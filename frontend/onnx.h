/*
** onnx.h - ONNX import: .onnx bytes to a verified graph IR.
**
** The loader is the trust boundary: any byte string gives either a graph
** that verifies or diagnostics and NULL, never a crash, a hang or an
** unbounded allocation.  Limits (ir/limits.h, ONNX_*) are checked before the
** bytes reach protobuf-c where protobuf-c itself has none (nesting depth),
** and during unpacking through a budgeted allocator.  Shapes are static:
** dynamic input dimensions are pinned by the caller (--input-shape), and
** shape-computing subgraphs fold to constants during import.
**
** Every diagnostic names the file and, for a node, its name, op type and
** what is wrong.  All unsupported ops of a model are reported together in
** one error (op type, node name, opset), with status ONNX_UNSUPPORTED;
** so are valid models beyond a limit of condense (rank, nesting, memory
** budget) or with a feature it lacks (a type, dynamic shapes).
*/
#ifndef CONDENSE_ONNX_H
#define CONDENSE_ONNX_H

#include "interp/interp.h"
#include "ir/ir.h"

typedef enum onnx_status {
	ONNX_OK = 0,
	ONNX_MALFORMED = 1,     /* the file is not a valid model, or is inconsistent */
	ONNX_UNSUPPORTED = 2,   /* valid, but uses an op, type or feature condense lacks */
} onnx_status;

typedef struct onnx_shape_pin {
	const char *name;       /* graph input name */
	int32_t rank;
	int64_t dims[IR_MAX_RANK];
	size_t name_len;        /* bytes of name; 0: name is NUL-terminated */
	/* When set, the input is imported as this constant (its type gives the
	** dims; rank and dims above are ignored).  Conformance tests pass
	** shapes and axes as inputs that a model for condense has constant. */
	const interp_tensor *value;
} onnx_shape_pin;

typedef struct onnx_options {
	const onnx_shape_pin *pins; /* --input-shape NAME=D0,D1,... */
	int32_t n_pins;
} onnx_options;

/* Import a model file; NULL (and *status != ONNX_OK) after diagnostics. */
ir_graph *onnx_import_file(ir_ctx *c, const char *path, const onnx_options *opt, onnx_status *status);
/* Same from bytes in memory; name is used in diagnostics only.  (External
** data, tensors kept in files beside the model, is rejected, never read.) */
ir_graph *onnx_import_bytes(ir_ctx *c, const char *name, const uint8_t *data, size_t n,
			    const onnx_options *opt, onnx_status *status);

/* Read a serialized TensorProto (the .pb files of ONNX test data sets) into
** t (data in c's arena) and its name into *name (NULL if none). */
int onnx_load_tensor_file(ir_ctx *c, const char *path, interp_tensor *t, const char **name);

/*
** Parse "NAME=D0,D1,..." into pin; -1 if malformed.  NAME ends at the last
** '=' and may not be empty; "NAME=" pins a scalar.  pin->name points into s
** (not NUL-terminated: pin->name_len gives its length).
*/
int onnx_parse_shape_pin(const char *s, onnx_shape_pin *pin);

#endif
