/*
** ir.h - the condense graph IR.
**
** A graph is a list of ops in topological order over SSA values.  Values are
** dense integer handles (ir_val) into the graph's value array; 0 is never a
** value (IR_NOVAL marks an absent optional operand).  Every value has a static
** type: element type, shape (rank <= IR_MAX_RANK) and optional quantization
** parameters.  Constants are `const` ops whose bytes live in the graph's
** constant store, deduplicated by their XXH3-128 content hash; a constant may
** also carry a sparsity mask, itself a stored blob.
**
** Memory: everything a graph owns comes from the arena of its ir_ctx, one
** per compilation.  Nothing is freed individually; ir_ctx_free releases all.
** Arena exhaustion does not return NULL: it records a diagnostic and unwinds
** to the nearest ir_protect() boundary (Lua's pcall model), so ordinary code
** carries no out-of-memory paths.  Every public entry point of the library
** (parse, verify, run passes) sets such a boundary itself.
**
** Errors in input (text, models) are diagnostics on the context with a
** file:line:col location; functions report failure by returning -1.  The
** library never calls exit().
*/
#ifndef CONDENSE_IR_H
#define CONDENSE_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ir/limits.h"

/* ---- element types ---------------------------------------------------- */

/* DT(ID, text name, bits per element, is_float, is_signed) */
#define IR_DTYPES(DT)              \
	DT(F32, "f32", 32, 1, 1)   \
	DT(F16, "f16", 16, 1, 1)   \
	DT(I8, "i8", 8, 0, 1)      \
	DT(U8, "u8", 8, 0, 0)      \
	DT(I16, "i16", 16, 0, 1)   \
	DT(I32, "i32", 32, 0, 1)   \
	DT(I64, "i64", 64, 0, 1)   \
	DT(BOOL, "bool", 8, 0, 0)  \
	DT(I4, "i4", 4, 0, 1)

typedef enum ir_dtype {
#define DT(id, name, bits, fl, sg) IR_##id,
	IR_DTYPES(DT)
#undef DT
	IR_NDTYPES
} ir_dtype;

const char *ir_dtype_name(ir_dtype dt);
int ir_dtype_bits(ir_dtype dt);
bool ir_dtype_is_float(ir_dtype dt);
bool ir_dtype_is_int(ir_dtype dt);        /* integer types; bool is not */
int ir_dtype_from_name(const char *s, size_t n); /* -1 when unknown */

/* ---- types ------------------------------------------------------------- */

/*
** Quantization parameters: real = scale * (q - zero_point).  Per-tensor when
** axis == -1 (n == 1); per-axis otherwise (n == dims[axis]).
*/
typedef struct ir_quant {
	int32_t axis;        /* quantized axis, or -1 for per-tensor */
	int32_t n;           /* number of (scale, zero) pairs */
	const float *scale;  /* n positive, finite scales */
	const int32_t *zero; /* n zero points, within the element type's range */
} ir_quant;

typedef struct ir_type {
	ir_dtype dtype;
	int32_t rank;                 /* 0 for a scalar */
	int64_t dims[IR_MAX_RANK];    /* dims[rank..] are zero */
	const ir_quant *quant;        /* NULL when not quantized */
} ir_type;

/* Element count of t into *n; -1 when it exceeds IR_MAX_ELEMENTS. */
int ir_type_numel(const ir_type *t, int64_t *n);
/* Storage bytes of t (i4 packs two per byte, rounded up); -1 on overflow. */
int ir_type_bytes(const ir_type *t, int64_t *n);
bool ir_type_equal(const ir_type *a, const ir_type *b);
bool ir_quant_equal(const ir_quant *a, const ir_quant *b);

/* ---- diagnostics and the per-compilation context ---------------------- */

typedef struct ir_loc {
	const char *file; /* NULL when unknown */
	int32_t line;     /* 1-based; 0 when unknown */
	int32_t col;      /* 1-based; 0 when unknown */
} ir_loc;

typedef struct ir_arena ir_arena;

typedef struct ir_ctx {
	ir_arena *arena;
	FILE *diag_out;         /* where diagnostics go as they are emitted; may be NULL */
	int32_t n_errors;       /* errors emitted so far */
	char first_error[512];  /* text of the first error, for API callers */
	void *jmp;              /* innermost ir_protect boundary (jmp_buf *) */
} ir_ctx;

/* A fresh context whose arena may grow to at most arena_limit bytes. */
ir_ctx *ir_ctx_new(size_t arena_limit);
void ir_ctx_free(ir_ctx *c);

/* Emit "file:line:col: error: msg" and count it; always returns -1. */
int ir_error(ir_ctx *c, ir_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Emit a note attached to the previous error. */
void ir_note(ir_ctx *c, ir_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The one place limits are checked: "too many WHAT (limit is LIMIT)". */
int ir_check_limit(ir_ctx *c, ir_loc loc, const char *what, int64_t value, int64_t limit);

/*
** Run fn(c, ud) with an out-of-memory boundary.  Returns fn's result, or -1
** after an arena exhaustion (the diagnostic is already emitted).  Boundaries
** nest.
*/
int ir_protect(ir_ctx *c, int (*fn)(ir_ctx *, void *), void *ud);

/* Zeroed, 16-byte aligned arena memory; unwinds on exhaustion. */
void *ir_alloc(ir_ctx *c, size_t size);
/* n elements of size sz, overflow-checked. */
void *ir_alloc_array(ir_ctx *c, size_t n, size_t sz);
char *ir_strndup(ir_ctx *c, const char *s, size_t n);
char *ir_strdup(ir_ctx *c, const char *s);
size_t ir_arena_used(const ir_ctx *c);
/* Unwind to the innermost ir_protect boundary after emitting a diagnostic. */
_Noreturn void ir_unwind(ir_ctx *c);

/* ---- attributes -------------------------------------------------------- */

typedef enum ir_attr_kind {
	IR_ATTR_INT,
	IR_ATTR_FLOAT,
	IR_ATTR_STR,
	IR_ATTR_INTS,
	IR_ATTR_FLOATS,
} ir_attr_kind;

typedef struct ir_attr {
	const char *name;
	ir_attr_kind kind;
	int32_t n;                 /* element count for INTS and FLOATS */
	union {
		int64_t i;         /* INT */
		float f;           /* FLOAT */
		const char *s;     /* STR, NUL-terminated */
		const int64_t *ints;
		const float *floats;
	} u;
} ir_attr;

/* ---- ops --------------------------------------------------------------- */

typedef enum ir_opkind {
#define OP(id, name, inlo, inhi, outlo, outhi, ty, rule, kern, attrs, doc) IR_OP_##id,
#include "ir/ops.h"
#undef OP
	IR_NOPS
} ir_opkind;

typedef uint32_t ir_val;
#define IR_NOVAL ((ir_val)0)

typedef struct ir_op {
	ir_opkind kind;
	int32_t n_in;
	int32_t n_out;
	int32_t n_attrs;
	ir_val *in;             /* n_in operands; IR_NOVAL for an absent optional one */
	ir_val *out;            /* n_out results, each defined here */
	ir_attr *attrs;         /* sorted by name, names unique */
	const char *name;       /* source node name (ONNX node name), or NULL */
	uint32_t blob;          /* CONST: constant-store index of the data */
	uint32_t mask;          /* CONST: store index of the sparsity mask, 0 if none */
	ir_loc loc;             /* where the op was written, for diagnostics */
	bool dead;              /* marked for removal by ir_graph_compact */
} ir_op;

/* ---- constant store ------------------------------------------------------ */

typedef struct ir_hash {
	uint64_t lo, hi;        /* XXH3-128 of the bytes */
} ir_hash;

typedef struct ir_blob {
	ir_hash hash;
	int64_t size;           /* bytes */
	const uint8_t *data;    /* arena-owned, 16-byte aligned */
} ir_blob;

/* ---- values and the graph ---------------------------------------------- */

typedef struct ir_value {
	ir_type type;
	const char *name;       /* source name, or NULL; printed as %name */
	ir_op *def;             /* defining op; NULL for a graph input */
	int32_t res;            /* result index in def */
	ir_loc loc;             /* where a graph input was declared; results use def->loc */
} ir_value;

typedef struct ir_output {
	const char *name;       /* the graph output's public name */
	ir_val val;
	ir_loc loc;             /* where it was declared, for diagnostics */
} ir_output;

typedef struct ir_graph {
	ir_ctx *ctx;
	const char *name;       /* graph name, used as the default symbol prefix */
	ir_loc loc;             /* where the graph was declared, for diagnostics */
	ir_value *vals;         /* vals[1..n_vals-1]; vals[0] is unused */
	uint32_t n_vals, cap_vals;
	ir_op **ops;            /* topological order */
	uint32_t n_ops, cap_ops;
	ir_val *inputs;
	uint32_t n_inputs, cap_inputs;
	ir_output *outputs;
	uint32_t n_outputs, cap_outputs;
	ir_blob *blobs;         /* blobs[1..n_blobs-1]; index 0 means none */
	uint32_t n_blobs, cap_blobs;
	uint32_t *blob_index;   /* open-addressing table over blobs by hash */
	uint32_t cap_index;
} ir_graph;

ir_graph *ir_graph_new(ir_ctx *c, const char *name);

/* A new value of type t with an optional name (copied). */
ir_val ir_value_new(ir_graph *g, const ir_type *t, const char *name);
static inline ir_value *ir_value_get(ir_graph *g, ir_val v) { return &g->vals[v]; }
static inline const ir_type *ir_type_of(const ir_graph *g, ir_val v) { return &g->vals[v].type; }

ir_val ir_add_input(ir_graph *g, const ir_type *t, const char *name);
/* Make the existing value v (defined by no op) the next graph input. */
void ir_input_append(ir_graph *g, ir_val v);
void ir_add_output(ir_graph *g, const char *name, ir_val v);

/*
** A new op of the given kind with n_in operands (copied) and n_out results
** of the given types (fresh values, unnamed), appended at the end of the
** graph.  Attributes are added with ir_op_set_*.
*/
ir_op *ir_op_append(ir_graph *g, ir_opkind k, const ir_val *in, int32_t n_in,
		    const ir_type *out_types, int32_t n_out);
/* Same, but inserted before position pos of g->ops. */
ir_op *ir_op_insert(ir_graph *g, uint32_t pos, ir_opkind k, const ir_val *in, int32_t n_in,
		    const ir_type *out_types, int32_t n_out);

/* A const op holding bytes (copied into the store) with type t. */
ir_val ir_const_new(ir_graph *g, const ir_type *t, const void *data, int64_t size);

void ir_op_set_int(ir_graph *g, ir_op *op, const char *name, int64_t v);
void ir_op_set_float(ir_graph *g, ir_op *op, const char *name, float v);
void ir_op_set_str(ir_graph *g, ir_op *op, const char *name, const char *s);
void ir_op_set_ints(ir_graph *g, ir_op *op, const char *name, const int64_t *v, int32_t n);
void ir_op_set_floats(ir_graph *g, ir_op *op, const char *name, const float *v, int32_t n);
/* Insert or replace an attribute, keeping the array sorted by name. */
void ir_op_set_attr(ir_graph *g, ir_op *op, const ir_attr *a);

/* The attribute named name, or NULL when the op does not carry it. */
const ir_attr *ir_op_attr(const ir_op *op, const char *name);
/* Attribute value, falling back to the schema default; dflt if neither. */
int64_t ir_op_int(const ir_op *op, const char *name, int64_t dflt);
float ir_op_float(const ir_op *op, const char *name, float dflt);
const char *ir_op_str(const ir_op *op, const char *name, const char *dflt);

/* Replace every use of from (operands and outputs) with to. */
void ir_replace_uses(ir_graph *g, ir_val from, ir_val to);
/* Drop ops marked dead, keeping the order of the rest. */
void ir_graph_compact(ir_graph *g);
/* Use counts of every value (operands plus graph outputs), arena-allocated. */
uint32_t *ir_use_counts(ir_graph *g);

/* Store bytes (copied) and return their index; identical bytes share one. */
uint32_t ir_blob_intern(ir_graph *g, const void *data, int64_t size);
/* Index of the blob with hash h, or 0. */
uint32_t ir_blob_find(const ir_graph *g, ir_hash h);
ir_hash ir_hash_bytes(const void *data, size_t size);
static inline const ir_blob *ir_blob_get(const ir_graph *g, uint32_t i) { return &g->blobs[i]; }
/* The constant data of v when v is defined by a const op, else NULL. */
const ir_blob *ir_const_of(const ir_graph *g, ir_val v);

/* ---- fused activations ----------------------------------------------------
** Fusion (passes/fuse_activation.c) folds an activation into the op that
** produces its operand: attributes activation (none, Relu, Clip,
** LeakyRelu) and activation_params ([lo, hi] for Clip, [alpha] for
** LeakyRelu) on Conv, Gemm and Add.  The result is act(op(...)). */
typedef enum ir_act_kind { IR_ACT_NONE, IR_ACT_RELU, IR_ACT_CLIP, IR_ACT_LEAKYRELU } ir_act_kind;
typedef struct ir_activation {
	ir_act_kind kind;
	float lo, hi;           /* Clip bounds */
	float alpha;            /* LeakyRelu slope */
} ir_activation;
/* The op's fused activation (IR_ACT_NONE when it has none); -1 when the
** attributes are inconsistent (the verifier reports that). */
int ir_op_activation(const ir_op *op, ir_activation *a);
const char *ir_act_name(ir_act_kind k);
/* act(x), with the interpreter's NaN behaviour (a NaN stays NaN for Relu
** and LeakyRelu; Clip of NaN gives NaN). */
float ir_act_apply(const ir_activation *a, float x);

/* ---- op table queries ---------------------------------------------------- */

typedef struct ir_attr_spec {
	const char *name;       /* points into a static copy; NUL-terminated */
	ir_attr_kind kind;
	bool required;
	bool has_default;
	const char *dflt;       /* default value text, when has_default */
} ir_attr_spec;

const char *ir_op_name(ir_opkind k);
int ir_op_from_name(const char *s, size_t n);  /* -1 when unknown */
const char *ir_op_doc(ir_opkind k);
void ir_op_arity(ir_opkind k, int *in_lo, int *in_hi, int *out_lo, int *out_hi);
/* The op's attribute schema, parsed once from the table; *n receives the count. */
const ir_attr_spec *ir_op_attr_specs(ir_opkind k, int *n);
const ir_attr_spec *ir_op_attr_spec(ir_opkind k, const char *name);

/* ---- text form, verifier ------------------------------------------------- */

/*
** Parse the text form.  file names the source for diagnostics; first_line
** is the line number of text[0] (1 normally; later for split input).
** Returns NULL after emitting diagnostics.
*/
ir_graph *ir_parse(ir_ctx *c, const char *file, const char *text, size_t len, int first_line);

/* Print g in the text form; the output parses back to an equal graph.
** Returns -1 on a write error or arena exhaustion. */
int ir_print(const ir_graph *g, FILE *out);

/* Check every invariant; emits one diagnostic per problem and returns -1 if any. */
int ir_verify(ir_graph *g);

/*
** Shape and type inference for one op (ir/infer.c, rule per op from the op
** table).  Fills out[0..op->n_out) with the result element types and shapes
** (quant left NULL) from the operand types, attributes and, where a rule
** needs them (Reshape's shape, Squeeze/Unsqueeze axes), constant operands.
** Preconditions, checked by the verifier first: op->kind is valid, operand
** and result counts are within the table's bounds, every present operand is
** a valid value with a valid type, attributes match the schema.  On a
** violation returns -1 after one diagnostic at op->loc of the form
** "'Conv' op: <what is wrong>".
*/
int ir_infer(ir_graph *g, const ir_op *op, ir_type *out);

#endif
