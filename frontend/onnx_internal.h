/*
** onnx_internal.h - what the files of the ONNX frontend share.
**
**   onnx_load.c    bytes and files: size check, wire-format pre-scan,
**                  budgeted unpacking, the public entry points
**   onnx_tensor.c  element types and TensorProto data
**   onnx_import.c  ModelProto -> ir_graph: opsets, initializers, graph
**                  inputs and outputs, the node walk, names
**   onnx_node.c    what every op handler uses: attributes, constant
**                  inputs, emitting an op (inference, folding)
**   onnx_ops.c     the op table: ONNX op type -> handler
**
** Errors: every helper that can fail emits one diagnostic through
** onnx_fail (or onnx_node_fail, which names the node) and returns -1; the
** first failure fixes the import's status (malformed or unsupported).
** Everything runs under the importer's ir_protect boundary.
*/
#ifndef CONDENSE_ONNX_INTERNAL_H
#define CONDENSE_ONNX_INTERNAL_H

#include "onnx.pb-c.h"

#include "frontend/onnx.h"

typedef struct onnx_name onnx_name;

typedef struct onnx_imp {
	ir_ctx *c;
	ir_graph *g;
	const char *file;            /* for diagnostics */
	const Onnx__ModelProto *model;
	const onnx_options *opt;
	int64_t opset;               /* default-domain opset */
	onnx_status status;          /* ONNX_OK until the first failure */
	onnx_name *names;            /* ONNX value name -> ir_val (open addressing) */
	uint32_t n_names, cap_names;
} onnx_imp;

typedef struct onnx_op_entry onnx_op_entry;

/* One node while it is imported. */
typedef struct onnx_node {
	const Onnx__NodeProto *p;
	const onnx_op_entry *e;
	int64_t index;               /* position in the graph, for unnamed nodes */
	int32_t n_in, n_out;         /* ONNX counts, trailing empty names dropped */
	ir_val *in;                  /* IR_NOVAL for an absent (empty-named) input */
	ir_val *out;                 /* set by the handler; IR_NOVAL: not produced */
	const char **why;            /* per output left IR_NOVAL: why, or NULL */
	bool *used;                  /* per attribute: read by the handler */
} onnx_node;

typedef int onnx_handler(onnx_imp *m, onnx_node *n);

struct onnx_op_entry {
	const char *name;            /* ONNX op type */
	int since;                   /* first default-domain opset that has it */
	onnx_handler *fn;
	ir_opkind kind;              /* the IR op, for handlers that map 1:1 */
};

/* ---- the import (onnx_import.c) ------------------------------------------ */

/* Import m->model into m->g (ud is the onnx_imp); for ir_protect. */
int onnx_import_model(ir_ctx *c, void *ud);

/* ---- diagnostics (onnx_import.c) ---------------------------------------- */

int onnx_fail(onnx_imp *m, onnx_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "node 'conv1' (Conv)", or "node #12 (Conv)" for a node without a name. */
const char *onnx_node_label(const onnx_node *n, char *buf, size_t size);
/* "node 'conv1' (Conv): <message>" */
int onnx_node_fail(onnx_imp *m, const onnx_node *n, onnx_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* ir_check_limit; a limit condense sets makes the model unsupported. */
int onnx_limit(onnx_imp *m, const char *what, int64_t value, int64_t limit);
/* "f32[1,3,8,8]" into buf. */
const char *onnx_type_str(const ir_type *t, char *buf, size_t n);
ir_loc onnx_loc(const onnx_imp *m);
const char *onnx_str(const char *s); /* "" for NULL */

/* ---- element types and tensors (onnx_tensor.c) --------------------------- */

/* The IR type of ONNX element type t into *dt; -1 when condense lacks it. */
int onnx_dtype(int32_t t, ir_dtype *dt);
/* ONNX spelling of element type t ("FLOAT", "DOUBLE", "type 99"). */
const char *onnx_dtype_name(int32_t t, char buf[24]);

/*
** The type and bytes of t into *ty, *data (in protobuf-c's or c's memory,
** valid while t is) and *size; what names the tensor in diagnostics
** ("initializer 'w'").  Every shape, type and size check happens here.
*/
int onnx_tensor(onnx_imp *m, const Onnx__TensorProto *t, const char *what, ir_type *ty,
		const void **data, int64_t *size);

/* ---- node helpers (onnx_node.c) ------------------------------------------ */

/* The node's attribute called name (marked used), or NULL. */
const Onnx__AttributeProto *onnx_attr(onnx_node *n, const char *name);
int onnx_attr_int(onnx_imp *m, onnx_node *n, const char *name, int64_t dflt, int64_t *v);
int onnx_attr_float(onnx_imp *m, onnx_node *n, const char *name, float dflt, float *v);
int onnx_attr_str(onnx_imp *m, onnx_node *n, const char *name, const char *dflt, const char **s);
/* *v is NULL and *cnt 0 when the attribute is absent. */
int onnx_attr_ints(onnx_imp *m, onnx_node *n, const char *name, const int64_t **v, int32_t *cnt);
int onnx_attr_floats(onnx_imp *m, onnx_node *n, const char *name, const float **v, int32_t *cnt);
/* A tensor attribute (type, data and size as onnx_tensor gives them);
** *present is false when the node does not have it. */
int onnx_attr_tensor(onnx_imp *m, onnx_node *n, const char *name, bool *present, ir_type *t,
		     const void **data, int64_t *size);
/* Mark attributes the import ignores (Dropout's seed): NULL-terminated. */
void onnx_attr_ignore(onnx_node *n, const char *const *names);
/* Copy every unused attribute onto op by the IR schema of op's kind. */
int onnx_copy_attrs(onnx_imp *m, onnx_node *n, ir_op *op);

/* The const-op data of input i, or NULL (absent or not constant). */
const ir_blob *onnx_input_const(onnx_imp *m, const onnx_node *n, int i);
/* Input i must be present and constant: "... must be a constant (dynamic
** shapes are not supported)". */
int onnx_need_const(onnx_imp *m, const onnx_node *n, int i, const char *what);
/* Input i as integers (i32 or i64, rank 0 or 1, constant) into an arena
** array *v of *cnt values. */
int onnx_const_ints(onnx_imp *m, onnx_node *n, int i, const char *what, int64_t **v, int32_t *cnt);
/* Input i as floats (f32 or f16, rank 0 or 1, constant). */
int onnx_const_floats(onnx_imp *m, onnx_node *n, int i, const char *what, float **v, int32_t *cnt);
/* Element count of a present input. */
int64_t onnx_numel(onnx_imp *m, ir_val v);

/* A new op at the end of the graph, carrying the node's name and location;
** results get their types in onnx_finish. */
ir_op *onnx_emit(onnx_imp *m, onnx_node *n, ir_opkind k, const ir_val *in, int32_t n_in, int32_t n_out);
/*
** Complete op: required attributes, shape inference (a failure is the
** node's error), result types, then folding when every operand is a
** constant.  res[0..op->n_out) receives the values to use: op's results or
** the constants they folded to.
*/
int onnx_finish(onnx_imp *m, onnx_node *n, ir_op *op, ir_val *res);
/* onnx_emit + onnx_finish for an op without attributes; one result. */
int onnx_emit1(onnx_imp *m, onnx_node *n, ir_opkind k, const ir_val *in, int32_t n_in, ir_val *res);
/* A const op of type t holding data (copied), named after the node. */
ir_val onnx_const_new(onnx_imp *m, onnx_node *n, const ir_type *t, const void *data, int64_t size);
/* A constant of type t with every element the bytes at elem (t's size at
** most ONNX_MAX_FOLD_BYTES, else an error and IR_NOVAL). */
ir_val onnx_const_splat(onnx_imp *m, onnx_node *n, const ir_type *t, const void *elem);
/* A constant of type t with every element v (t's size at most
** ONNX_MAX_FOLD_BYTES, else an error and IR_NOVAL). */
ir_val onnx_const_fill(onnx_imp *m, onnx_node *n, const ir_type *t, double v);
/* 1-D i64 constant. */
ir_val onnx_const_i64(onnx_imp *m, onnx_node *n, const int64_t *v, int32_t cnt);

/* ---- op table (onnx_ops.c) ------------------------------------------------ */

/* The entry for a default-domain op type, or NULL. */
const onnx_op_entry *onnx_op_find(const char *op_type);

#endif
