/*
** interp.h - the reference interpreter: a plain, obviously correct
** evaluator of the IR, the numerical oracle of every later test.
**
** Correctness first: kernels are straight loops over the ONNX definition,
** accumulate in double where the ONNX reference does (sums, means,
** variances), and follow ONNX exactly where results are discrete
** (QuantizeLinear rounds half to even and saturates; Round is half to even;
** integer division truncates; Cast float to int truncates toward zero).
**
** Kernels are grouped in families (column KERN of ir/ops.h); each family is
** one function `int interp_<kern>(interp_ctx *x, const ir_op *op, const
** interp_tensor *const *in, interp_tensor *out)` in interp/k_<family>.c.
** Contract for a kernel: the op verified (ir_verify), so operand and result
** types are consistent with the op's shape rule; in[i] is NULL for an absent
** optional operand; out[0..n_out) have their type set and their data
** allocated (zeroed, ir_type_bytes bytes); the kernel fills them and returns
** 0, or returns -1 after ir_error for what the verifier cannot know
** (an index out of range in Gather, an integer division by zero).
*/
#ifndef CONDENSE_INTERP_H
#define CONDENSE_INTERP_H

#include "ir/ir.h"

typedef struct interp_tensor {
	ir_type type;
	void *data;             /* ir_type_bytes(&type) bytes, C order */
} interp_tensor;

typedef struct interp_ctx {
	ir_ctx *c;              /* arena for outputs and scratch; diagnostics */
	const ir_graph *g;
} interp_ctx;

typedef int (*interp_kernel)(interp_ctx *x, const ir_op *op, const interp_tensor *const *in,
			     interp_tensor *out);

#define OP(id, name, inlo, inhi, outlo, outhi, ty, rule, kern, attrs, doc)                     \
	int interp_##kern(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, \
			  interp_tensor *out);
#include "ir/ops.h"
#undef OP

/*
** Evaluate one op of g.  in has op->n_in entries (NULL where absent); out
** has op->n_out entries whose type is set here from the op's results and
** whose data is allocated here in c's arena.  Returns -1 after a diagnostic.
*/
int interp_op(ir_ctx *c, const ir_graph *g, const ir_op *op, const interp_tensor *const *in,
	      interp_tensor *out);

/*
** Run the whole graph.  inputs[i] is graph input i (type must equal the
** input's type); outputs[i] receives graph output i, its data in c's arena.
** Intermediate tensors are allocated in c's arena as well (a later version
** may free them at their last use).  Returns -1 after a diagnostic.
*/
int interp_run(ir_ctx *c, const ir_graph *g, const interp_tensor *inputs, interp_tensor *outputs);

/* The same keeping every value: the array of g->n_vals tensors (indexed by
** ir_val; constants point at their blobs), in c's arena; NULL after a
** diagnostic.  For comparing two graphs value by value. */
interp_tensor *interp_run_all(ir_ctx *c, const ir_graph *g, const interp_tensor *inputs);

/*
** Fold op into a const op in place when every present operand is an
** unmasked constant and its single result holds at most max_bytes:
** evaluated with the kernels (reshape-like ops share the operand's bytes).
** Returns 1 when folded, 0 when not; never leaves a diagnostic behind (a
** kernel that refuses, e.g. an integer division by zero, means "not folded").
*/
int interp_fold(ir_graph *g, ir_op *op, int64_t max_bytes);

/* An estimate of the work to evaluate op, in multiply-adds or element
** steps (saturating at INT64_MAX): folding declines ops over
** IR_MAX_FOLD_WORK, so that a small file cannot make the compiler compute
** for hours. */
int64_t interp_cost(const ir_graph *g, const ir_op *op);

/* Element i of t as double / as int64 (any element type, i4 and bool
** included), and the matching stores; the kernels' common vocabulary. */
double interp_get_f(const interp_tensor *t, int64_t i);
int64_t interp_get_i(const interp_tensor *t, int64_t i);
/* set_f rounds to a float type; to an integer type it truncates toward zero
** and saturates (NaN gives 0); to bool it stores v != 0. */
void interp_set_f(interp_tensor *t, int64_t i, double v);
void interp_set_i(interp_tensor *t, int64_t i, int64_t v); /* wraps to the element type */

#endif
