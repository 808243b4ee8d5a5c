/*
** cg.h - the code generator's internal interface: what a kernel emitter
** sees.  (Public interface: codegen.h.)
**
** Every op of the graph becomes one internal LLVM function
**     void k<N>.<Op>(ptr in0, ..., ptr out0, ..., ptr workspace)
** whose body a kernel emitter writes, family by family (column KERN of
** ir/ops.h), in codegen/k_<family>.c:
**     int cg_k_<kern>(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out);
** On entry the builder sits in the function's entry block; the emitter
** appends code and leaves the builder in a block without terminator (the
** framework adds `ret void`).  It returns 0, or -1 after cg_unsupported /
** ir_error for what it cannot compile (an element type it has no code
** for): compilation then fails with that diagnostic, never at run time.
**
** Shapes are static, so emitters specialize everything: trip counts,
** strides, broadcast patterns and constant operands (readable at compile
** time through cg_buf.konst) are C integers when the IR is built.
**
** Numerics follow the interpreter (interp/interp.h) except where noted:
** float math is single precision (the interpreter accumulates in double),
** transcendental functions are the inline approximations of cg_math.c with
** the error bounds documented there, and integer semantics (wrapping,
** truncating division, saturating float-to-int casts, round half to even
** in QuantizeLinear) are exact.
**
** Freestanding: no emitter may produce a call to anything but memcpy or
** memset (LLVM may form those from loops).  In particular do not use the
** llvm.floor/ceil/round/trunc/exp/log/sin/pow/fma/minnum intrinsics, frem,
** or half-precision arithmetic: some targets lower them to libm or
** compiler-rt calls.  Use the cg_* helpers below, which are safe.
*/
#ifndef CONDENSE_CG_H
#define CONDENSE_CG_H

#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>

#include "codegen/codegen.h"
#include "ir/ir.h"

typedef struct cg {
	ir_ctx *c;
	ir_graph *g;
	const cg_options *opt;
	LLVMContextRef lc;
	LLVMModuleRef mod;
	LLVMBuilderRef b;
	LLVMTargetMachineRef tm;
	LLVMTargetDataRef td;
	LLVMTypeRef t_void, t_i1, t_i8, t_i16, t_i32, t_i64, t_f32, t_f64, t_ptr;
	int vec_bytes;            /* preferred vector width of the target (4 if none) */
	int64_t macs;             /* multiply-accumulates, summed by emitters */
	int64_t weight_bytes;     /* constant bytes emitted */
	/* The function being emitted. */
	LLVMValueRef fn;
	const ir_op *op;
	LLVMValueRef ws;          /* the op's workspace (NULL when it asked for none) */
	int64_t ws_size;
	struct cg_consts *consts;  /* constant globals, deduplicated (cg_module.c) */
	struct cg_frame *frame;    /* the body being emitted (cg_module.c) */
	/* The memory plan (fused groups: passes/plan.h, PLAN_FUSED), and while
	** a group's root op is emitted the kernel's buffer of every leaf of the
	** group, indexed by ir_val (only those entries are set). */
	const plan_result *plan;
	const struct cg_buf *vbuf;
} cg;

/* A tensor operand or result as a kernel sees it. */
typedef struct cg_buf {
	LLVMValueRef ptr;         /* its first byte; NULL for an absent operand */
	const ir_type *type;      /* NULL for an absent operand */
	const ir_blob *konst;     /* the bytes when the value is a constant */
	bool inplace;             /* out only: shares storage with an operand */
} cg_buf;

/* ---- kernel families --------------------------------------------------- */

#define OP(id, name, inlo, inhi, outlo, outhi, ty, rule, kern, attrs, doc) \
	int cg_k_##kern(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out);
#include "ir/ops.h"
#undef OP

/* The integer linear ops (QLinearConv, ConvInteger, QLinearMatMul,
** MatMulInteger), in k_quant.c; cg_k_conv and cg_k_matmul dispatch here. */
int cg_k_qlinear(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out);

/* Workspace bytes the kernel for op needs (0 for most); plan_workspace_fn.
** ud is NULL or points to the target's int vec_bytes (cg.vec_bytes): with
** it the size is exactly what the kernel touches on that target, without it
** a bound over every target (condense-opt --print-plan). */
int64_t cg_workspace(const ir_graph *g, const ir_op *op, void *ud);
/* The same for the int8 kernels (codegen/k_int8*.c; 0 where they do not
** apply): QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger, and
** Conv, MatMul and Gemm on quantized types. */
int64_t cg_int8_workspace(const ir_graph *g, const ir_op *op, void *ud);
/* The kernel of Conv, MatMul and Gemm on quantized types (docs/ir.md,
** "Quantized arithmetic"; ir_op_is_quantized): the int8 engine with the
** rule of ir/requant.h, or a diagnostic for a form it does not cover. */
int cg_int8_linear(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out);
/* Whether cg_int8_linear compiles op (a quantized Conv, MatMul or Gemm):
** the question cg_supports_quantized asks for those ops. */
bool cg_int8_supports(const ir_graph *g, const ir_op *op);
/* A quantized AveragePool whose every divisor (1..kernel taps) has a valid
** requantization rule (k_pool.c). */
bool cg_pool_quant_ok(const ir_graph *g, const ir_op *op);

/* "'Op' op: the code generator does not support WHAT"; returns -1. */
int cg_unsupported(cg *g, const ir_op *op, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- constants and types ------------------------------------------------ */

LLVMValueRef cg_i64(cg *g, int64_t v);
LLVMValueRef cg_i32(cg *g, int32_t v);
LLVMValueRef cg_f32(cg *g, float v);
/* The LLVM type of one element in memory (i4 and bool: i8 per byte). */
LLVMTypeRef cg_mem_type(cg *g, ir_dtype dt);
/* Compute type of a dtype: f32 for float types, i64 for integers and bool. */
LLVMTypeRef cg_calc_type(cg *g, ir_dtype dt);
/* An internal constant global holding bytes (aligned to 64, in the weights
** section when one was asked for); identical bytes share one global. */
LLVMValueRef cg_const_bytes(cg *g, const void *data, int64_t size, const char *name);

/* ---- loops ---------------------------------------------------------------- */

typedef struct cg_loop {
	LLVMValueRef iv;          /* i64 induction variable */
	LLVMValueRef phi;
	LLVMBasicBlockRef head, body, exit;
	int64_t step;
} cg_loop;

/* for (iv = lo; iv < hi; iv += step): returns iv; the builder is in the body. */
LLVMValueRef cg_for(cg *g, cg_loop *l, LLVMValueRef lo, LLVMValueRef hi, int64_t step);
/* Same with constant bounds. */
LLVMValueRef cg_fori(cg *g, cg_loop *l, int64_t lo, int64_t hi, int64_t step);
/* Close the loop; the builder continues after it. */
void cg_endfor(cg *g, cg_loop *l);

/* if (cond) { ... } [else { ... }]: cg_if opens the then-block, cg_else
** switches to the else-block, cg_endif joins. */
typedef struct cg_if_t {
	LLVMBasicBlockRef then_bb, else_bb, join;
	bool has_else;
} cg_if_t;
void cg_if(cg *g, cg_if_t *s, LLVMValueRef cond);
void cg_else(cg *g, cg_if_t *s);
void cg_endif(cg *g, cg_if_t *s);

/* A new basic block in the current function. */
LLVMBasicBlockRef cg_block(cg *g, const char *name);

/* An alloca in the entry block (so it is promoted to a register). */
LLVMValueRef cg_var(cg *g, LLVMTypeRef t, const char *name);

/* ---- memory -------------------------------------------------------------------- */

/* Address of element idx (i64) of a buffer of element type dt. */
LLVMValueRef cg_gep(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef idx);
/* Load element idx in the compute type (f16 widened to f32; integers and
** bool extended to i64 by their signedness; i4 unpacked from its nibble). */
LLVMValueRef cg_load(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef idx);
/* Store a compute-type value v (f32 for float dt, i64 for integer/bool dt)
** as element idx: f16 rounds to nearest even; integers wrap (truncate);
** bool stores v != 0; i4 writes its nibble. */
void cg_store(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef idx, LLVMValueRef v);

/* Convert a compute value of dtype from to the compute value of dtype to,
** with the interpreter's Cast semantics: float to integer truncates toward
** zero and saturates to to's range (NaN gives 0); integer to integer wraps
** to to's width; to bool gives v != 0; to float rounds to nearest (to f16
** precision for f16). */
LLVMValueRef cg_convert(cg *g, LLVMValueRef v, ir_dtype from, ir_dtype to);

/* memcpy / memset of n bytes (constant). */
void cg_memcpy(cg *g, LLVMValueRef dst, LLVMValueRef src, int64_t n);
void cg_memset(cg *g, LLVMValueRef dst, int val, int64_t n);

/* ---- arithmetic helpers (scalars or vectors of f32) ------------------------------- */

LLVMValueRef cg_fmin(cg *g, LLVMValueRef a, LLVMValueRef b);   /* NaN in a or b gives NaN */
LLVMValueRef cg_fmax(cg *g, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef cg_fma(cg *g, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c); /* llvm.fmuladd */
LLVMValueRef cg_fabs(cg *g, LLVMValueRef a);
LLVMValueRef cg_sqrt(cg *g, LLVMValueRef a);
LLVMValueRef cg_select(cg *g, LLVMValueRef c, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef cg_smin(cg *g, LLVMValueRef a, LLVMValueRef b);   /* integer */
LLVMValueRef cg_smax(cg *g, LLVMValueRef a, LLVMValueRef b);

/* ---- inline math (cg_math.c): f32 scalars or vectors, no calls ---------------------
** Maximum errors are measured over all finite f32 inputs by
** test/unit/test_cg_math.c and documented in docs/codegen-math.md. */
LLVMValueRef cg_floor(cg *g, LLVMValueRef x);
LLVMValueRef cg_ceil(cg *g, LLVMValueRef x);
LLVMValueRef cg_trunc(cg *g, LLVMValueRef x);
LLVMValueRef cg_round_even(cg *g, LLVMValueRef x);  /* half to even */
LLVMValueRef cg_exp(cg *g, LLVMValueRef x);
LLVMValueRef cg_log(cg *g, LLVMValueRef x);
LLVMValueRef cg_tanh(cg *g, LLVMValueRef x);
LLVMValueRef cg_sigmoid(cg *g, LLVMValueRef x);
LLVMValueRef cg_erf(cg *g, LLVMValueRef x);
LLVMValueRef cg_sin(cg *g, LLVMValueRef x);
LLVMValueRef cg_cos(cg *g, LLVMValueRef x);
LLVMValueRef cg_pow(cg *g, LLVMValueRef x, LLVMValueRef y);
LLVMValueRef cg_softplus(cg *g, LLVMValueRef x);    /* log(1 + exp(x)), no overflow */

/* ---- fused activations (ir/ir.h: Conv, Gemm, Add may carry one) ---------
** Kernels of those ops apply cg_activation to every f32 result (scalar or
** vector) before storing it; it matches ir_act_apply exactly. */
LLVMValueRef cg_activation(cg *g, const ir_op *op, LLVMValueRef v);
bool cg_has_activation(const ir_op *op);

/* ---- shapes ------------------------------------------------------------------- */

int64_t cg_numel(const ir_type *t);
/* Row-major strides of t in elements. */
void cg_strides(const ir_type *t, int64_t *strides);

#endif
