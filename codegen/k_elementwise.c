/*
** k_elementwise.c - kernel emitters of the elementwise families: unary,
** binary (with PRelu and Pow), clip, where and cast.
**
** One loop nest serves them all.  Operand strides are specialized to the
** static shapes: a broadcast dim has stride 0, unit dims drop out, and dims
** contiguous in the result and every operand merge, so Add of [N,C,H,W]
** and [1,C,1,1] is two loops whose inner one (H*W) reads a loop-invariant
** operand, and same-shape operands are one flat loop.  The innermost loop
** is unit-stride or invariant for every operand, so LLVM vectorizes it.  An
** operand that is a constant with all elements equal (a scalar, typically)
** becomes an immediate in the code.  When the result overwrites an operand
** (cg_buf.inplace), the loop is emitted a second time with that operand
** read through the result's pointer, taken when the two pointers are equal:
** with one pointer the vectorizer sees the dependence distance is 0.
**
** Fused groups (passes/plan.h): when the plan fused operands into an op,
** its kernel computes the whole tree of ops in that one loop nest.  Each op
** is a node whose operands are loop operands (the group's leaves, each
** loaded once however often it is read) or other nodes; a node's body is
** the op's own, and a node's value is rounded to its element type before
** its parent reads it (ew_round), as storing and reloading it would, so
** the results are bit-identical to the unfused kernels'.  The kernel's
** arguments are the leaves (cg.vbuf); only the root's result is stored.
** The loop is versioned only for the leaf whose storage the plan gave the
** result.
**
** Semantics are the interpreter's (interp/k_elementwise.c): floats compute
** in f32 (f16 widened), integers in i64 and wrap to the result's width,
** transcendental functions are cg_math.c's.  Where compiled code cannot do
** what the interpreter does, it does this instead (docs/codegen-math.md):
**   - integer Div by zero gives 0 (the interpreter stops with an error);
**   - integer Pow is exact and saturates to the type's range (the
**     interpreter rounds through double, which differs only for i64
**     results beyond 2^53);
**   - integer PRelu is x < 0 ? slope*x : x (the interpreter's kernel gives
**     0 for integer PRelu).
** Float-to-integer Cast and, on 32-bit targets, i64 division and i64 to
** float conversion are built from integer operations: the instructions
** would be library calls there (and see f32_to_int).
*/
#include <string.h>

#include "codegen/cg.h"
#include "ir/requant.h"
#include "ir/util.h"
#include "passes/plan.h"

/* e^x - 1 (cg_math.c), for Elu and Selu; to move to cg.h. */
LLVMValueRef cg_expm1(cg *g, LLVMValueRef x);

/* ---- the loop nest ---------------------------------------------------------- */

#define EW_MAX_IN PLAN_FUSE_MAX_LEAVES  /* loop operands: an op's, or its group's leaves */
#define EW_NODE_IN 3                     /* operands of one op that enter its body */

/* A loop operand: a tensor read at the result's index (broadcast). */
typedef struct ew_in {
	ir_val val;                   /* the value, for sharing one load in a group */
	LLVMValueRef ptr;
	ir_dtype dt;
	int64_t stride[IR_MAX_RANK];  /* elements per step of each result dim */
	LLVMValueRef imm;             /* every element's value, when constant */
	bool raw;                     /* moved as bits, unconverted (Where) */
	bool overwritable;            /* the result may share its storage */
} ew_in;

typedef struct ew_node ew_node;
/* An op's result element from its operand elements v (compute types, or raw). */
typedef LLVMValueRef (*ew_body)(cg *g, const ew_node *n, LLVMValueRef *v);

/* One op of the loop body: the op itself, or one of a fused group. */
struct ew_node {
	const ir_op *op;
	ew_body body;
	ir_dtype out_dt;
	int n_in;
	int src[EW_NODE_IN];          /* >= 0: loop operand; < 0: node -1 - src */
	ir_dtype in_dt[EW_NODE_IN];   /* the operands' element types */
	LLVMValueRef imm[EW_NODE_IN]; /* an operand's value when a uniform constant */
	/* Op parameters the bodies read. */
	float alpha, beta, gamma;
	LLVMValueRef lo, hi;          /* Clip's bounds, NULL when absent */
	/* Quantized Add, Relu, Clip (docs/ir.md, "Quantized arithmetic"): the
	** operands' zero points, Add's multipliers and shared shift, and the
	** result's zero point and clamp. */
	int64_t qz[2], qm[2], qy, qlo, qhi;
	int qs;
};

typedef struct ew {
	const ir_op *op;              /* the op whose kernel this is (node 0) */
	bool fused;                   /* the plan fused operands into it */
	int n_in;
	ew_in in[EW_MAX_IN];
	int n_nodes;
	ew_node node[PLAN_FUSE_MAX_OPS];
	LLVMValueRef out;
	ir_dtype out_dt;
	bool raw_out, inplace;
	int rank;
	int64_t dims[IR_MAX_RANK];
	int64_t ostride[IR_MAX_RANK];
} ew;

static void ew_start(ew *e, const ir_op *op, const cg_buf *out)
{
	memset(e, 0, sizeof *e);
	e->op = op;
	e->out = out->ptr;
	e->out_dt = out->type->dtype;
	e->inplace = out->inplace;
	e->rank = out->type->rank;
	memcpy(e->dims, out->type->dims, sizeof e->dims);
	cg_strides(out->type, e->ostride);
}

/* The raw integer type of an element (not i4). */
static LLVMTypeRef raw_type(cg *g, ir_dtype dt)
{
	return LLVMIntTypeInContext(g->lc, (unsigned)ir_dtype_bits(dt));
}

/* The first element of constant bytes p as a compute value (or raw bits);
** constants are little-endian, as every target condense compiles for. */
static LLVMValueRef const_elem(cg *g, ir_dtype dt, const uint8_t *p, bool raw)
{
	if (dt == IR_I4) {
		int v = p[0] & 15;
		return cg_i64(g, v >= 8 ? v - 16 : v);
	}
	uint64_t u = 0;
	for (int k = ir_dtype_bits(dt) / 8 - 1; k >= 0; k--)
		u = u << 8 | p[k];
	if (raw)
		return LLVMConstInt(raw_type(g, dt), u, 0);
	switch (dt) {
	case IR_F32: {
		uint32_t w = (uint32_t)u;
		float f;
		memcpy(&f, &w, sizeof f);
		return cg_f32(g, f);
	}
	case IR_F16: return cg_f32(g, ir_f16_to_f32((uint16_t)u));
	case IR_I8: return cg_i64(g, (int8_t)u);
	case IR_I16: return cg_i64(g, (int16_t)u);
	case IR_I32: return cg_i64(g, (int32_t)u);
	case IR_I64: return cg_i64(g, (int64_t)u);
	case IR_BOOL: return cg_i64(g, u != 0);
	default: return cg_i64(g, (int64_t)u);  /* u8 */
	}
}

/* Whether every element of a constant equals the first. */
static bool uniform(const cg_buf *b)
{
	int64_t n = cg_numel(b->type);
	const uint8_t *p = b->konst->data;
	if (b->type->dtype == IR_I4) {
		for (int64_t i = 1; i < n; i++)
			if (((p[i / 2] >> (i % 2 * 4)) & 15) != (p[0] & 15))
				return false;
		return true;
	}
	int64_t sz = ir_dtype_bits(b->type->dtype) / 8;
	for (int64_t i = 1; i < n; i++)
		if (memcmp(p, p + i * sz, (size_t)sz) != 0)
			return false;
	return true;
}

/* Add operand b (numpy-broadcast to the result); returns its index. */
static int ew_operand(cg *g, ew *e, const cg_buf *b, bool raw, bool overwritable)
{
	ew_in *in = &e->in[e->n_in];
	const ir_type *t = b->type;
	int64_t st[IR_MAX_RANK];
	cg_strides(t, st);
	in->ptr = b->ptr;
	in->dt = t->dtype;
	in->raw = raw && t->dtype != IR_I4;
	in->overwritable = overwritable;
	for (int d = 0; d < e->rank; d++) {
		int k = d - (e->rank - t->rank);
		in->stride[d] = k < 0 || t->dims[k] == 1 ? 0 : st[k];
	}
	if (b->konst && cg_numel(t) > 0 && uniform(b))
		in->imm = const_elem(g, t->dtype, b->konst->data, in->raw);
	return e->n_in++;
}

/* Drop unit dims and merge dims contiguous in every operand. */
static void ew_collapse(ew *e)
{
	int r = 0;
	for (int d = 0; d < e->rank; d++) {
		if (e->dims[d] == 1)
			continue;
		bool merge = r > 0 && e->ostride[r - 1] == e->ostride[d] * e->dims[d];
		for (int k = 0; k < e->n_in && merge; k++)
			merge = e->in[k].stride[r - 1] == e->in[k].stride[d] * e->dims[d];
		if (!merge) {
			e->dims[r] = e->dims[d];
			e->ostride[r] = e->ostride[d];
			for (int k = 0; k < e->n_in; k++)
				e->in[k].stride[r] = e->in[k].stride[d];
			r++;
			continue;
		}
		e->dims[r - 1] *= e->dims[d];
		e->ostride[r - 1] = e->ostride[d];
		for (int k = 0; k < e->n_in; k++)
			e->in[k].stride[r - 1] = e->in[k].stride[d];
	}
	e->rank = r;
}

static LLVMValueRef madd(cg *g, LLVMValueRef a, LLVMValueRef i, int64_t c)
{
	if (c == 0)
		return a;
	LLVMValueRef p = c == 1 ? i : LLVMBuildNSWMul(g->b, i, cg_i64(g, c), "");
	return LLVMBuildNSWAdd(g->b, a, p, "");
}

static LLVMValueRef ew_load(cg *g, const ew_in *in, LLVMValueRef off)
{
	if (in->imm)
		return in->imm;
	if (in->raw) {
		LLVMTypeRef t = raw_type(g, in->dt);
		return LLVMBuildLoad2(g->b, t, LLVMBuildInBoundsGEP2(g->b, t, in->ptr, &off, 1, ""), "");
	}
	LLVMValueRef v = cg_load(g, in->dt, in->ptr, off);
	if (in->dt == IR_BOOL)  /* any nonzero byte is true */
		v = LLVMBuildZExt(g->b, LLVMBuildICmp(g->b, LLVMIntNE, v, cg_i64(g, 0), ""), g->t_i64, "");
	return v;
}

/* v as storing it as dt and loading it back gives: what the op consuming
** an intermediate reads when the intermediate is not fused (f16 rounds,
** integers wrap, bools become 0 or 1). */
static LLVMValueRef ew_round(cg *g, ir_dtype dt, LLVMValueRef v)
{
	return cg_convert(g, v, ir_dtype_is_float(dt) ? IR_F32 : IR_I64, dt);
}

/* Node k's result element from the loaded loop operands. */
static LLVMValueRef ew_eval(cg *g, const ew *e, int k, const LLVMValueRef *leaf)
{
	const ew_node *n = &e->node[k];
	LLVMValueRef v[EW_NODE_IN];
	for (int j = 0; j < n->n_in; j++) {
		int c = -1 - n->src[j];
		v[j] = n->src[j] >= 0 ? leaf[n->src[j]] : ew_round(g, e->node[c].out_dt, ew_eval(g, e, c, leaf));
	}
	return n->body(g, n, v);
}

static void ew_element(cg *g, const ew *e, LLVMValueRef *off)
{
	LLVMValueRef v[EW_MAX_IN];
	for (int k = 0; k < e->n_in; k++)
		v[k] = ew_load(g, &e->in[k], off[k]);
	LLVMValueRef r = ew_eval(g, e, 0, v);
	LLVMValueRef o = off[EW_MAX_IN];
	if (e->raw_out) {
		LLVMTypeRef t = raw_type(g, e->out_dt);
		LLVMBuildStore(g->b, r, LLVMBuildInBoundsGEP2(g->b, t, e->out, &o, 1, ""));
	} else {
		cg_store(g, e->out_dt, e->out, o, r);
	}
}

/* Loops over dims d.. with the offsets of the enclosing ones (the result's
** at off[EW_MAX_IN]). */
static void ew_nest(cg *g, const ew *e, int d, LLVMValueRef *off)
{
	if (d == e->rank) {
		ew_element(g, e, off);
		return;
	}
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, e->dims[d], 1);
	LLVMValueRef next[EW_MAX_IN + 1];
	for (int k = 0; k < e->n_in; k++)
		next[k] = madd(g, off[k], i, e->in[k].stride[d]);
	next[EW_MAX_IN] = madd(g, off[EW_MAX_IN], i, e->ostride[d]);
	ew_nest(g, e, d + 1, next);
	cg_endfor(g, &l);
}

static void ew_loops(cg *g, const ew *e)
{
	LLVMValueRef off[EW_MAX_IN + 1];
	for (int k = 0; k <= EW_MAX_IN; k++)
		off[k] = cg_i64(g, 0);
	ew_nest(g, e, 0, off);
}

/* The loops, versioned for in-place results (see the top of the file). */
static int ew_emit(cg *g, ew *e)
{
	for (int d = 0; d < e->rank; d++)
		if (e->dims[d] == 0)
			return 0;
	ew_collapse(e);
	cg_if_t s[EW_MAX_IN];
	int n = 0;
	for (int k = 0; e->inplace && k < e->n_in; k++) {
		ew_in *in = &e->in[k];
		if (!in->overwritable || in->imm || !in->ptr)
			continue;
		cg_if(g, &s[n++], LLVMBuildICmp(g->b, LLVMIntEQ, in->ptr, e->out, ""));
		LLVMValueRef own = in->ptr;
		in->ptr = e->out;
		ew_loops(g, e);
		in->ptr = own;
		cg_else(g, &s[n - 1]);
	}
	ew_loops(g, e);
	while (n > 0)
		cg_endif(g, &s[--n]);
	return 0;
}

/* ---- fused groups ------------------------------------------------------------- */

static bool is_fused(cg *g, ir_val v)
{
	return g->plan && v != IR_NOVAL && g->plan->loc[v].kind == PLAN_FUSED;
}

/*
** The loop operand for operand k of op (buffer b), raw or not: a new one,
** or in a group the one already reading the value.  Without fusion the
** result may overwrite any operand plan_can_overwrite allows (the loop is
** versioned for each); in a group, only the leaf whose storage the plan
** gave the result.  -1 past EW_MAX_IN (a plan the emitter cannot follow).
*/
static int ew_leaf(cg *g, ew *e, const ir_op *op, int k, const cg_buf *b, bool raw)
{
	ir_val v = op->in[k];
	for (int j = 0; e->fused && j < e->n_in; j++)
		if (e->in[j].val == v && e->in[j].raw == (raw && b->type->dtype != IR_I4))
			return j;
	if (e->n_in == EW_MAX_IN)
		return -1;
	bool over = e->fused ? e->inplace && g->plan->loc[v].root == g->plan->loc[e->op->out[0]].root
			     : plan_can_overwrite(g->g, op, k);
	int j = ew_operand(g, e, b, raw, over);
	e->in[j].val = v;
	return j;
}

static int ew_node_of(cg *g, ew *e, const ir_op *op, const cg_buf *in);

/* The buffers of an op inside a group: its leaves' from the kernel
** (cg.vbuf), a fused operand's with its type only. */
static int ew_inner_bufs(cg *g, const ir_op *op, cg_buf *b)
{
	for (int32_t k = 0; k < op->n_in; k++) {
		ir_val v = op->in[k];
		b[k] = (cg_buf){0};
		if (is_fused(g, v))
			b[k].type = ir_type_of(g->g, v);
		else if (v != IR_NOVAL && g->vbuf && g->vbuf[v].type)
			b[k] = g->vbuf[v];
		else if (v != IR_NOVAL)
			return cg_unsupported(g, op, "a fused operand without a buffer (internal error)");
	}
	return 0;
}

/* Operand k of node ni's op as the node's next body operand: a node of its
** own when the plan fused it, else a loop operand. */
static int ew_arg(cg *g, ew *e, int ni, const cg_buf *in, int k, bool raw)
{
	const ir_op *op = e->node[ni].op;
	int j = e->node[ni].n_in++;
	e->node[ni].in_dt[j] = in[k].type->dtype;
	if (is_fused(g, op->in[k])) {
		const ir_op *d = g->g->vals[op->in[k]].def;
		cg_buf b[EW_NODE_IN];
		if (d->n_in > EW_NODE_IN || ew_inner_bufs(g, d, b) < 0)
			return -1;
		int c = ew_node_of(g, e, d, b);
		e->node[ni].src[j] = -1 - c;
		return c < 0 ? -1 : 0;
	}
	int l = ew_leaf(g, e, op, k, &in[k], raw);
	if (l < 0)
		return cg_unsupported(g, e->op, "a fused group of more than %d operands (internal error)",
				      EW_MAX_IN);
	e->node[ni].src[j] = l;
	e->node[ni].imm[j] = e->in[l].imm;
	return 0;
}

/* ---- shared arithmetic ------------------------------------------------------------ */

static LLVMValueRef fconst(cg *g, float v) { return cg_f32(g, v); }

static LLVMValueRef fcmp(cg *g, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildFCmp(g->b, p, a, b, "");
}

static LLVMValueRef icmp(cg *g, LLVMIntPredicate p, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildICmp(g->b, p, a, b, "");
}

/* i1 to the i64 compute value of a bool. */
static LLVMValueRef bool64(cg *g, LLVMValueRef c)
{
	return LLVMBuildZExt(g->b, c, g->t_i64, "");
}

/* The interpreter's fmin_nan/fmax_nan: a NaN operand wins (a's first), and
** of equal values (+0 and -0) a. */
static LLVMValueRef nan_min(cg *g, LLVMValueRef a, LLVMValueRef b)
{
	LLVMValueRef keep_a = LLVMBuildOr(g->b, fcmp(g, LLVMRealUNO, a, a), fcmp(g, LLVMRealOLE, a, b), "");
	return cg_select(g, keep_a, a, b);
}

static LLVMValueRef nan_max(cg *g, LLVMValueRef a, LLVMValueRef b)
{
	LLVMValueRef keep_a = LLVMBuildOr(g->b, fcmp(g, LLVMRealUNO, a, a), fcmp(g, LLVMRealOGE, a, b), "");
	return cg_select(g, keep_a, a, b);
}

/* ---- conversions ---------------------------------------------------------------- */

/* Whether the target has 64-bit registers: elsewhere i64 division and
** i64 <-> float conversions are library calls, which must be avoided. */
static bool wide_target(cg *g)
{
	return !g->td || LLVMPointerSize(g->td) >= 8;
}

/* The value range of an integer element type. */
static void int_range(ir_dtype dt, int64_t *lo, int64_t *hi)
{
	int bits = ir_dtype_bits(dt);
	if (dt == IR_U8) {
		*lo = 0;
		*hi = 255;
	} else if (bits == 64) {
		*lo = INT64_MIN;
		*hi = INT64_MAX;
	} else {
		*lo = -((int64_t)1 << (bits - 1));
		*hi = ((int64_t)1 << (bits - 1)) - 1;
	}
}

/* llvm.ctlz of an i64 (64 for 0): inline code on every target. */
static LLVMValueRef ctlz64(cg *g, LLVMValueRef a)
{
	const char *name = "llvm.ctlz";
	unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
	LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, &g->t_i64, 1);
	LLVMValueRef args[2] = {a, LLVMConstInt(g->t_i1, 0, 0)};
	return LLVMBuildCall2(g->b, LLVMIntrinsicGetType(g->lc, id, &g->t_i64, 1), fn, args, 2, "");
}

/*
** Saturating truncation of f32 v to the integer type dt (NaN gives 0), the
** interpreter's Cast, as an i64 compute value built from the float's bits:
** no fptosi, which is a library call for i64 on 32-bit targets, and whose
** RISC-V vector forms qemu 7.2 (the conformance runner's emulator)
** mistranslates.  |trunc(v)| below 2^23 is in the bits of itself + 2^23;
** above, it is the mantissa shifted left.
*/
static LLVMValueRef f32_to_int(cg *g, LLVMValueRef v, ir_dtype dt)
{
	int64_t lo, hi;
	int_range(dt, &lo, &hi);
	LLVMValueRef a = cg_fabs(g, cg_trunc(g, v)), two23 = fconst(g, 0x1p23f);
	a = cg_select(g, fcmp(g, LLVMRealOGT, a, fconst(g, 0x1p63f)), fconst(g, 0x1p63f), a);
	LLVMValueRef small = fcmp(g, LLVMRealOLT, a, two23);
	LLVMValueRef b = LLVMBuildBitCast(g->b, cg_select(g, small, LLVMBuildFAdd(g->b, a, two23, ""), a), g->t_i32, "");
	LLVMValueRef ms = LLVMBuildSub(g->b, b, cg_i32(g, 0x4b000000), "");
	LLVMValueRef man = LLVMBuildOr(g->b, LLVMBuildAnd(g->b, b, cg_i32(g, 0x7fffff), ""), cg_i32(g, 0x800000), "");
	LLVMValueRef sh = LLVMBuildSub(g->b, LLVMBuildLShr(g->b, b, cg_i32(g, 23), ""), cg_i32(g, 150), "");
	sh = cg_smin(g, cg_smax(g, sh, cg_i32(g, 0)), cg_i32(g, 40));  /* NaN would shift by 105 */
	LLVMValueRef big = LLVMBuildShl(g->b, LLVMBuildZExt(g->b, man, g->t_i64, ""),
					LLVMBuildZExt(g->b, sh, g->t_i64, ""), "");
	LLVMValueRef m = cg_select(g, small, LLVMBuildZExt(g->b, ms, g->t_i64, ""), big);
	LLVMValueRef pos = cg_select(g, icmp(g, LLVMIntUGT, m, cg_i64(g, hi)), cg_i64(g, hi), m);
	LLVMValueRef neg = cg_select(g, icmp(g, LLVMIntUGT, m, LLVMConstInt(g->t_i64, 0 - (uint64_t)lo, 0)),
				     cg_i64(g, lo), LLVMBuildSub(g->b, cg_i64(g, 0), m, ""));
	LLVMValueRef r = cg_select(g, fcmp(g, LLVMRealOLT, v, fconst(g, 0)), neg, pos);
	return cg_select(g, fcmp(g, LLVMRealUNO, v, v), cg_i64(g, 0), r);
}

/*
** An i64 to the nearest f32 (ties to even) by integer operations, for
** 32-bit targets where sitofp of an i64 is a library call: normalize the
** magnitude to bit 63, keep 24 bits, round on the 40 below; a carry out of
** the mantissa lands in the exponent by itself.
*/
static LLVMValueRef i64_to_f32(cg *g, LLVMValueRef x)
{
	LLVMValueRef zero = cg_i64(g, 0), neg = icmp(g, LLVMIntSLT, x, zero);
	LLVMValueRef m = cg_select(g, neg, LLVMBuildSub(g->b, zero, x, ""), x);
	LLVMValueRef n = ctlz64(g, m);
	LLVMValueRef mm = LLVMBuildShl(g->b, m, cg_select(g, icmp(g, LLVMIntEQ, m, zero), zero, n), "");
	LLVMValueRef mant = LLVMBuildLShr(g->b, mm, cg_i64(g, 40), "");
	LLVMValueRef rest = LLVMBuildAnd(g->b, mm, cg_i64(g, ((int64_t)1 << 40) - 1), "");
	LLVMValueRef half = cg_i64(g, (int64_t)1 << 39);
	LLVMValueRef odd = icmp(g, LLVMIntNE, LLVMBuildAnd(g->b, mant, cg_i64(g, 1), ""), zero);
	LLVMValueRef up = LLVMBuildOr(g->b, icmp(g, LLVMIntUGT, rest, half),
				      LLVMBuildAnd(g->b, icmp(g, LLVMIntEQ, rest, half), odd, ""), "");
	mant = LLVMBuildAdd(g->b, mant, LLVMBuildZExt(g->b, up, g->t_i64, ""), "");
	LLVMValueRef e = LLVMBuildShl(g->b, LLVMBuildSub(g->b, cg_i64(g, 63 + 127), n, ""), cg_i64(g, 23), "");
	LLVMValueRef bits = LLVMBuildSub(g->b, LLVMBuildAdd(g->b, e, mant, ""), cg_i64(g, 1 << 23), "");
	bits = cg_select(g, icmp(g, LLVMIntEQ, m, zero), zero, bits);
	bits = LLVMBuildOr(g->b, LLVMBuildTrunc(g->b, bits, g->t_i32, ""),
			   cg_select(g, neg, cg_i32(g, INT32_MIN), cg_i32(g, 0)), "");
	return LLVMBuildBitCast(g->b, bits, g->t_f32, "");
}

/* ---- unary ------------------------------------------------------------------------- */

static LLVMValueRef hardsigmoid(cg *g, LLVMValueRef x, float alpha, float beta)
{
	LLVMValueRef v = cg_fma(g, fconst(g, alpha), x, fconst(g, beta));
	return nan_max(g, fconst(g, 0), nan_min(g, fconst(g, 1), v));
}

/* x < 0 ? a : x (Relu, LeakyRelu, Elu): -0 and NaN pass. */
static LLVMValueRef neg_branch(cg *g, LLVMValueRef x, LLVMValueRef a)
{
	return cg_select(g, fcmp(g, LLVMRealOLT, x, fconst(g, 0)), a, x);
}

static LLVMValueRef unary_transcendental(cg *g, ir_opkind k, LLVMValueRef x)
{
	switch (k) {
	case IR_OP_SIGMOID: return cg_sigmoid(g, x);
	case IR_OP_SOFTPLUS: return cg_softplus(g, x);
	case IR_OP_TANH: return cg_tanh(g, x);
	case IR_OP_EXP: return cg_exp(g, x);
	case IR_OP_LOG: return cg_log(g, x);
	case IR_OP_ERF: return cg_erf(g, x);
	case IR_OP_SIN: return cg_sin(g, x);
	case IR_OP_COS: return cg_cos(g, x);
	case IR_OP_FLOOR: return cg_floor(g, x);
	case IR_OP_CEIL: return cg_ceil(g, x);
	default: return cg_round_even(g, x);
	}
}

static LLVMValueRef unary_f(cg *g, const ew_node *nd, LLVMValueRef *v)
{
	LLVMValueRef x = v[0], zero = fconst(g, 0);
	switch (nd->op->kind) {
	case IR_OP_RELU: return neg_branch(g, x, zero);
	case IR_OP_LEAKYRELU: return neg_branch(g, x, LLVMBuildFMul(g->b, fconst(g, nd->alpha), x, ""));
	case IR_OP_ELU:
		return neg_branch(g, x, LLVMBuildFMul(g->b, fconst(g, nd->alpha), cg_expm1(g, x), ""));
	case IR_OP_SELU: {
		LLVMValueRef n = LLVMBuildFMul(g->b, fconst(g, nd->alpha), cg_expm1(g, x), "");
		LLVMValueRef y = cg_select(g, fcmp(g, LLVMRealOLE, x, zero), n, x);
		return LLVMBuildFMul(g->b, fconst(g, nd->gamma), y, "");
	}
	case IR_OP_HARDSIGMOID: return hardsigmoid(g, x, nd->alpha, nd->beta);
	case IR_OP_HARDSWISH: return LLVMBuildFMul(g->b, x, hardsigmoid(g, x, 1.0f / 6, 0.5f), "");
	case IR_OP_SQRT: return cg_sqrt(g, x);
	case IR_OP_RECIPROCAL: return LLVMBuildFDiv(g->b, fconst(g, 1), x, "");
	case IR_OP_NEG: return LLVMBuildFNeg(g->b, x, "");
	case IR_OP_ABS: return cg_fabs(g, x);
	case IR_OP_SIGN: {
		LLVMValueRef s = cg_select(g, fcmp(g, LLVMRealOLT, x, zero), fconst(g, -1), x);
		return cg_select(g, fcmp(g, LLVMRealOGT, x, zero), fconst(g, 1), s);
	}
	default: return unary_transcendental(g, nd->op->kind, x);
	}
}

/* Relu, Neg, Abs, Sign on integers (wrapping), Not on bool. */
static LLVMValueRef unary_i(cg *g, const ew_node *nd, LLVMValueRef *v)
{
	LLVMValueRef x = v[0], zero = cg_i64(g, 0);
	switch (nd->op->kind) {
	case IR_OP_RELU: return cg_smax(g, x, zero);
	case IR_OP_NEG: return LLVMBuildSub(g->b, zero, x, "");
	case IR_OP_ABS: return cg_select(g, icmp(g, LLVMIntSLT, x, zero), LLVMBuildSub(g->b, zero, x, ""), x);
	case IR_OP_SIGN:
		return LLVMBuildSub(g->b, bool64(g, icmp(g, LLVMIntSGT, x, zero)),
				    bool64(g, icmp(g, LLVMIntSLT, x, zero)), "");
	default: return bool64(g, icmp(g, LLVMIntEQ, x, zero));  /* Not */
	}
}

static bool float_only(ir_opkind k)
{
	return k != IR_OP_RELU && k != IR_OP_NEG && k != IR_OP_ABS && k != IR_OP_SIGN && k != IR_OP_NOT;
}

static int unary_node(cg *g, ew *e, int ni, const cg_buf *in)
{
	ew_node *n = &e->node[ni];
	const ir_op *op = n->op;
	ir_dtype dt = in[0].type->dtype;
	bool fl = ir_dtype_is_float(dt);
	if ((float_only(op->kind) && !fl) || (op->kind == IR_OP_NOT) != (dt == IR_BOOL) ||
	    (!fl && !ir_dtype_is_int(dt) && dt != IR_BOOL))
		return cg_unsupported(g, op, "element type %s", ir_dtype_name(dt));
	n->body = fl ? unary_f : unary_i;
	n->alpha = ir_op_float(op, "alpha", 0);
	n->beta = ir_op_float(op, "beta", 0);
	n->gamma = ir_op_float(op, "gamma", 0);
	return ew_arg(g, e, ni, in, 0, false);
}

/* ---- binary ------------------------------------------------------------------------ */

/* a + b and Add's fused activation (ir/ir.h), applied as the interpreter
** does to the result rounded to its type. */
static LLVMValueRef add_act(cg *g, const ew_node *nd, LLVMValueRef a, LLVMValueRef b)
{
	LLVMValueRef r = LLVMBuildFAdd(g->b, a, b, "");
	if (!cg_has_activation(nd->op))
		return r;
	if (nd->out_dt != IR_F32)
		r = cg_convert(g, r, IR_F32, nd->out_dt);
	return cg_activation(g, nd->op, r);
}

static LLVMValueRef binary_f(cg *g, const ew_node *nd, LLVMValueRef *v)
{
	LLVMValueRef a = v[0], b = v[1];
	switch (nd->op->kind) {
	case IR_OP_ADD: return add_act(g, nd, a, b);
	case IR_OP_SUB: return LLVMBuildFSub(g->b, a, b, "");
	case IR_OP_MUL: return LLVMBuildFMul(g->b, a, b, "");
	case IR_OP_DIV: return LLVMBuildFDiv(g->b, a, b, "");
	case IR_OP_MIN: return nan_min(g, a, b);
	case IR_OP_MAX: return nan_max(g, a, b);
	case IR_OP_EQUAL: return bool64(g, fcmp(g, LLVMRealOEQ, a, b));
	case IR_OP_LESS: return bool64(g, fcmp(g, LLVMRealOLT, a, b));
	case IR_OP_GREATER: return bool64(g, fcmp(g, LLVMRealOGT, a, b));
	default: return neg_branch(g, a, LLVMBuildFMul(g->b, b, a, ""));  /* PRelu */
	}
}

/* n / d for u64 n and d != 0 by shift and subtract (for 32-bit targets). */
static LLVMValueRef udiv64(cg *g, LLVMValueRef n, LLVMValueRef d)
{
	LLVMValueRef qv = cg_var(g, g->t_i64, "q"), rv = cg_var(g, g->t_i64, "r");
	LLVMBuildStore(g->b, cg_i64(g, 0), qv);
	LLVMBuildStore(g->b, cg_i64(g, 0), rv);
	cg_loop l;
	LLVMValueRef sh = LLVMBuildSub(g->b, cg_i64(g, 63), cg_fori(g, &l, 0, 64, 1), "");
	LLVMValueRef bit = LLVMBuildAnd(g->b, LLVMBuildLShr(g->b, n, sh, ""), cg_i64(g, 1), "");
	LLVMValueRef r = LLVMBuildOr(g->b, LLVMBuildShl(g->b, LLVMBuildLoad2(g->b, g->t_i64, rv, ""),
							cg_i64(g, 1), ""), bit, "");
	LLVMValueRef ge = icmp(g, LLVMIntUGE, r, d);
	LLVMBuildStore(g->b, cg_select(g, ge, LLVMBuildSub(g->b, r, d, ""), r), rv);
	LLVMValueRef qbit = LLVMBuildShl(g->b, LLVMBuildZExt(g->b, ge, g->t_i64, ""), sh, "");
	LLVMBuildStore(g->b, LLVMBuildOr(g->b, LLVMBuildLoad2(g->b, g->t_i64, qv, ""), qbit, ""), qv);
	cg_endfor(g, &l);
	return LLVMBuildLoad2(g->b, g->t_i64, qv, "");
}

/* Truncating a / b of i64 values for b not 0 or -1, without sdiv. */
static LLVMValueRef sdiv64_narrow(cg *g, LLVMValueRef a, LLVMValueRef b)
{
	LLVMValueRef zero = cg_i64(g, 0);
	LLVMValueRef sa = icmp(g, LLVMIntSLT, a, zero), sb = icmp(g, LLVMIntSLT, b, zero);
	LLVMValueRef ua = cg_select(g, sa, LLVMBuildSub(g->b, zero, a, ""), a);
	LLVMValueRef ub = cg_select(g, sb, LLVMBuildSub(g->b, zero, b, ""), b);
	LLVMValueRef q = udiv64(g, ua, ub);
	return cg_select(g, LLVMBuildXor(g->b, sa, sb, ""), LLVMBuildSub(g->b, zero, q, ""), q);
}

/*
** a / b truncating, in i32 when the type fits (i64 division is a library
** call on 32-bit targets, where i64 divides by shift and subtract).
** b == -1 negates (wrapping, no overflow trap); b == 0 gives 0: compiled
** code cannot report the error the interpreter does, and must not trap.
*/
static LLVMValueRef int_div(cg *g, ir_dtype dt, LLVMValueRef a, LLVMValueRef b)
{
	LLVMTypeRef t = dt == IR_I64 ? g->t_i64 : g->t_i32;
	if (t != g->t_i64) {
		a = LLVMBuildTrunc(g->b, a, t, "");
		b = LLVMBuildTrunc(g->b, b, t, "");
	}
	LLVMValueRef zero = LLVMConstInt(t, 0, 0), one = LLVMConstInt(t, 1, 0);
	LLVMValueRef is0 = icmp(g, LLVMIntEQ, b, zero);
	LLVMValueRef ism1 = icmp(g, LLVMIntEQ, b, LLVMConstAllOnes(t));
	LLVMValueRef safe = cg_select(g, LLVMBuildOr(g->b, is0, ism1, ""), one, b);
	LLVMValueRef q = t == g->t_i64 && !wide_target(g) ? sdiv64_narrow(g, a, safe)
							   : LLVMBuildSDiv(g->b, a, safe, "");
	q = cg_select(g, ism1, LLVMBuildSub(g->b, zero, a, ""), q);
	q = cg_select(g, is0, zero, q);
	return t == g->t_i64 ? q : LLVMBuildSExt(g->b, q, g->t_i64, "");
}

static LLVMValueRef binary_i(cg *g, const ew_node *nd, LLVMValueRef *v)
{
	LLVMValueRef a = v[0], b = v[1], zero = cg_i64(g, 0);
	switch (nd->op->kind) {
	case IR_OP_ADD: return LLVMBuildAdd(g->b, a, b, "");
	case IR_OP_SUB: return LLVMBuildSub(g->b, a, b, "");
	case IR_OP_MUL: return LLVMBuildMul(g->b, a, b, "");
	case IR_OP_DIV: return int_div(g, nd->in_dt[0], a, b);
	case IR_OP_MIN: return cg_smin(g, a, b);
	case IR_OP_MAX: return cg_smax(g, a, b);
	case IR_OP_EQUAL: return bool64(g, icmp(g, LLVMIntEQ, a, b));
	case IR_OP_LESS: return bool64(g, icmp(g, LLVMIntSLT, a, b));
	case IR_OP_GREATER: return bool64(g, icmp(g, LLVMIntSGT, a, b));
	case IR_OP_AND: return LLVMBuildAnd(g->b, a, b, "");  /* bools are 0 or 1 here */
	case IR_OP_OR: return LLVMBuildOr(g->b, a, b, "");
	case IR_OP_XOR: return LLVMBuildXor(g->b, a, b, "");
	default:  /* PRelu */
		return cg_select(g, icmp(g, LLVMIntSLT, a, zero), LLVMBuildMul(g->b, b, a, ""), a);
	}
}

/* ---- pow ----------------------------------------------------------------------------- */

/* a*b for magnitudes a, b <= 2^63 (as u64), saturating to 2^63: the
** leading zeros bound the product, and in the one ambiguous case it fits
** in 64 bits and is compared. */
static LLVMValueRef sat_mul(cg *g, LLVMValueRef a, LLVMValueRef b)
{
	LLVMValueRef lz = LLVMBuildAdd(g->b, ctlz64(g, a), ctlz64(g, b), "");
	LLVMValueRef p = LLVMBuildMul(g->b, a, b, "");
	LLVMValueRef top = LLVMConstInt(g->t_i64, 1ull << 63, 0);
	LLVMValueRef over = LLVMBuildOr(g->b, icmp(g, LLVMIntULT, lz, cg_i64(g, 64)),
					LLVMBuildAnd(g->b, icmp(g, LLVMIntEQ, lz, cg_i64(g, 64)),
						     icmp(g, LLVMIntUGE, p, top), ""), "");
	return cg_select(g, over, top, p);
}

/*
** a^e exactly for integers, saturated to dt's range as the interpreter's
** trunc_sat of the double pow does: e < 0 gives 0 for |a| >= 2, +-1 for
** |a| = 1 and the maximum for a = 0 (+inf); e's parity counts only below
** 2^53, where a double holds it.
*/
static LLVMValueRef int_pow(cg *g, ir_dtype dt, LLVMValueRef a, LLVMValueRef e)
{
	LLVMValueRef zero = cg_i64(g, 0), one = cg_i64(g, 1);
	LLVMValueRef aneg = icmp(g, LLVMIntSLT, a, zero);
	LLVMValueRef mag = cg_select(g, aneg, LLVMBuildSub(g->b, zero, a, ""), a);
	LLVMValueRef ec = cg_smin(g, cg_smax(g, e, zero), cg_i64(g, 64));
	LLVMValueRef r = one, b = mag;
	for (int k = 0; k < 7; k++) {
		LLVMValueRef bit = LLVMBuildAnd(g->b, LLVMBuildLShr(g->b, ec, cg_i64(g, k), ""), one, "");
		r = cg_select(g, icmp(g, LLVMIntNE, bit, zero), sat_mul(g, r, b), r);
		if (k < 6)
			b = sat_mul(g, b, b);
	}
	LLVMValueRef small = LLVMBuildAnd(g->b, icmp(g, LLVMIntSLT, e, cg_i64(g, (int64_t)1 << 53)),
					  icmp(g, LLVMIntSGT, e, cg_i64(g, -((int64_t)1 << 53))), "");
	LLVMValueRef odd = LLVMBuildAnd(g->b, small, LLVMBuildTrunc(g->b, e, g->t_i1, ""), "");
	LLVMValueRef neg = LLVMBuildAnd(g->b, aneg, odd, "");
	LLVMValueRef pos = cg_select(g, icmp(g, LLVMIntUGT, r, cg_i64(g, INT64_MAX)), cg_i64(g, INT64_MAX), r);
	LLVMValueRef v = cg_select(g, neg, LLVMBuildSub(g->b, zero, r, ""), pos);
	LLVMValueRef inv = cg_select(g, icmp(g, LLVMIntEQ, mag, one), cg_select(g, neg, cg_i64(g, -1), one),
				     cg_select(g, icmp(g, LLVMIntEQ, mag, zero), cg_i64(g, INT64_MAX), zero));
	v = cg_select(g, icmp(g, LLVMIntSLT, e, zero), inv, v);
	int64_t lo, hi;
	int_range(dt, &lo, &hi);
	return cg_smin(g, cg_smax(g, v, cg_i64(g, lo)), cg_i64(g, hi));
}

/* An i64 exponent as f32, clamped to +-2^30: beyond 2^24 no f32 result
** depends on it but through the sign (handled by the caller). */
static LLVMValueRef exp_to_f32(cg *g, LLVMValueRef e)
{
	LLVMValueRef c = cg_smin(g, cg_smax(g, e, cg_i64(g, -(1 << 30))), cg_i64(g, 1 << 30));
	return LLVMBuildSIToFP(g->b, LLVMBuildTrunc(g->b, c, g->t_i32, ""), g->t_f32, "");
}

/* x^y for a float base and an integer exponent: |x|^y with the sign of an
** odd exponent's parity taken from the exact integer. */
static LLVMValueRef pow_f_int(cg *g, LLVMValueRef x, LLVMValueRef e)
{
	LLVMValueRef r = cg_pow(g, cg_fabs(g, x), exp_to_f32(g, e));
	LLVMValueRef small = LLVMBuildAnd(g->b, icmp(g, LLVMIntSLT, e, cg_i64(g, (int64_t)1 << 53)),
					  icmp(g, LLVMIntSGT, e, cg_i64(g, -((int64_t)1 << 53))), "");
	LLVMValueRef odd = LLVMBuildAnd(g->b, small, LLVMBuildTrunc(g->b, e, g->t_i1, ""), "");
	LLVMValueRef xneg = icmp(g, LLVMIntSLT, LLVMBuildBitCast(g->b, x, g->t_i32, ""), cg_i32(g, 0));
	return cg_select(g, LLVMBuildAnd(g->b, xneg, odd, ""), LLVMBuildFNeg(g->b, r, ""), r);
}

/* x^c for a constant c with a short exact form, or NULL. */
static LLVMValueRef pow_const(cg *g, LLVMValueRef x, double c)
{
	if (c == 0)
		return fconst(g, 1);
	if (c == 1)
		return x;
	if (c == 2)
		return LLVMBuildFMul(g->b, x, x, "");
	if (c == 3)
		return LLVMBuildFMul(g->b, LLVMBuildFMul(g->b, x, x, ""), x, "");
	if (c == -1)
		return LLVMBuildFDiv(g->b, fconst(g, 1), x, "");
	if (c == 0.5) {
		/* sqrt, but pow(-0, 0.5) = +0 and pow(-inf, 0.5) = +inf. */
		LLVMValueRef r = LLVMBuildFAdd(g->b, cg_sqrt(g, x), fconst(g, 0), "");
		return cg_select(g, fcmp(g, LLVMRealOEQ, x, fconst(g, -__builtin_inff())),
				 fconst(g, __builtin_inff()), r);
	}
	return NULL;
}

static double imm_value(LLVMValueRef imm, ir_dtype dt)
{
	if (ir_dtype_is_float(dt)) {
		LLVMBool lossy;
		return LLVMConstRealGetDouble(imm, &lossy);
	}
	return (double)LLVMConstIntGetSExtValue(imm);
}

/*
** An integer-valued f32 y as i64, |y| clamped to 2^24 (every f32 from 2^24
** on is even, so the parity stays), from the bits rather than by fptosi:
** below 2^23 the bits of |y| + 2^23 hold |y|, above the mantissa holds
** |y| - 2^23.
*/
static LLVMValueRef int_exponent(cg *g, LLVMValueRef y)
{
	LLVMValueRef two23 = fconst(g, 0x1p23f), ay = cg_fabs(g, y);
	ay = cg_select(g, fcmp(g, LLVMRealOGT, ay, fconst(g, 0x1p24f)), fconst(g, 0x1p24f), ay);
	LLVMValueRef low = fcmp(g, LLVMRealOLT, ay, two23);
	LLVMValueRef t = cg_select(g, low, LLVMBuildFAdd(g->b, ay, two23, ""), ay);
	LLVMValueRef m = LLVMBuildSub(g->b, LLVMBuildBitCast(g->b, t, g->t_i32, ""), cg_i32(g, 0x4b000000), "");
	m = cg_select(g, low, m, LLVMBuildAdd(g->b, m, cg_i32(g, 1 << 23), ""));
	LLVMValueRef e = LLVMBuildSExt(g->b, m, g->t_i64, "");
	return cg_select(g, fcmp(g, LLVMRealOLT, y, fconst(g, 0)), LLVMBuildSub(g->b, cg_i64(g, 0), e, ""), e);
}

/* An integer compute value of type dt as f32 (see i64_to_f32). */
static LLVMValueRef int_to_f32(cg *g, LLVMValueRef x, ir_dtype dt)
{
	return dt == IR_I64 && !wide_target(g) ? i64_to_f32(g, x) : cg_convert(g, x, dt, IR_F32);
}

static LLVMValueRef pow_body(cg *g, const ew_node *nd, LLVMValueRef *v)
{
	LLVMValueRef x = v[0], y = v[1];
	bool fx = ir_dtype_is_float(nd->in_dt[0]), fy = ir_dtype_is_float(nd->in_dt[1]);
	if (fx) {
		LLVMValueRef k = nd->imm[1] ? pow_const(g, x, imm_value(nd->imm[1], nd->in_dt[1])) : NULL;
		return k ? k : fy ? cg_pow(g, x, y) : pow_f_int(g, x, y);
	}
	if (!fy)
		return int_pow(g, nd->out_dt, x, y);
	/* An integer base with a float exponent: exact where the exponent is an
	** integer, else through f32 pow truncated (saturating, NaN to 0). */
	LLVMValueRef yint = fcmp(g, LLVMRealOEQ, cg_trunc(g, y), y);
	LLVMValueRef iv = int_pow(g, nd->out_dt, x, int_exponent(g, cg_select(g, yint, y, fconst(g, 0))));
	LLVMValueRef fv = cg_pow(g, int_to_f32(g, x, nd->in_dt[0]), y);
	return cg_select(g, yint, iv, f32_to_int(g, fv, nd->out_dt));
}

/* ---- the binary family --------------------------------------------------------------- */

static bool binary_type_ok(ir_opkind k, ir_dtype dt)
{
	bool fl = ir_dtype_is_float(dt), in = ir_dtype_is_int(dt), bo = dt == IR_BOOL;
	switch (k) {
	case IR_OP_AND: case IR_OP_OR: case IR_OP_XOR: return bo;
	case IR_OP_EQUAL: return fl || in || bo;
	default: return fl || in;
	}
}

static int binary_node(cg *g, ew *e, int ni, const cg_buf *in)
{
	const ir_op *op = e->node[ni].op;
	ir_dtype dt = in[0].type->dtype;
	if (!binary_type_ok(op->kind, dt) ||
	    (op->kind == IR_OP_POW && !binary_type_ok(op->kind, in[1].type->dtype)))
		return cg_unsupported(g, op, "element type %s", ir_dtype_name(dt));
	e->node[ni].body = op->kind == IR_OP_POW ? pow_body : ir_dtype_is_float(dt) ? binary_f : binary_i;
	if (ew_arg(g, e, ni, in, 0, false) < 0)
		return -1;
	return ew_arg(g, e, ni, in, 1, false);
}

/* ---- clip ------------------------------------------------------------------------------- */

/* min(max(x, lo), hi) as numpy (hi wins when lo > hi); NaN propagates. */
static LLVMValueRef clip_body(cg *g, const ew_node *nd, LLVMValueRef *v)
{
	LLVMValueRef x = v[0];
	bool fl = ir_dtype_is_float(nd->in_dt[0]);
	if (nd->lo)
		x = fl ? nan_max(g, x, nd->lo) : cg_smax(g, x, nd->lo);
	if (nd->hi)
		x = fl ? nan_min(g, x, nd->hi) : cg_smin(g, x, nd->hi);
	return x;
}

/* A bound operand's value, read once before the loops. */
static LLVMValueRef clip_bound(cg *g, const cg_buf *b)
{
	if (!b->ptr)
		return NULL;
	if (b->konst)
		return const_elem(g, b->type->dtype, b->konst->data, false);
	return cg_load(g, b->type->dtype, b->ptr, cg_i64(g, 0));
}

static int clip_node(cg *g, ew *e, int ni, const cg_buf *in)
{
	ew_node *n = &e->node[ni];
	const ir_op *op = n->op;
	ir_dtype dt = in[0].type->dtype;
	if (!ir_dtype_is_float(dt) && !ir_dtype_is_int(dt))
		return cg_unsupported(g, op, "element type %s", ir_dtype_name(dt));
	n->body = clip_body;
	n->lo = op->n_in > 1 ? clip_bound(g, &in[1]) : NULL;
	n->hi = op->n_in > 2 ? clip_bound(g, &in[2]) : NULL;
	return ew_arg(g, e, ni, in, 0, false);
}

/* ---- where, cast -------------------------------------------------------------------------- */

static LLVMValueRef where_body(cg *g, const ew_node *nd, LLVMValueRef *v)
{
	(void)nd;
	return cg_select(g, icmp(g, LLVMIntNE, v[0], cg_i64(g, 0)), v[1], v[2]);
}

/* Values move as bits (NaN payloads and all), i4 as nibbles; Where is
** therefore never part of a fused group (plan.h). */
static int where_node(cg *g, ew *e, int ni, const cg_buf *in)
{
	e->node[ni].body = where_body;
	if (ni == 0)
		e->raw_out = e->out_dt != IR_I4;
	if (ew_arg(g, e, ni, in, 0, false) < 0 || ew_arg(g, e, ni, in, 1, true) < 0)
		return -1;
	return ew_arg(g, e, ni, in, 2, true);
}

/* cg_convert, but for the conversions between floats and i64 or any
** integer above (see f32_to_int and i64_to_f32). */
static LLVMValueRef cast_body(cg *g, const ew_node *nd, LLVMValueRef *v)
{
	ir_dtype from = nd->in_dt[0], to = nd->out_dt;
	if (ir_dtype_is_float(from) && ir_dtype_is_int(to))
		return f32_to_int(g, v[0], to);
	if (ir_dtype_is_float(to) && from == IR_I64 && !wide_target(g))
		return cg_convert(g, i64_to_f32(g, v[0]), IR_F32, to);
	return cg_convert(g, v[0], from, to);
}

static int cast_node(cg *g, ew *e, int ni, const cg_buf *in)
{
	e->node[ni].body = cast_body;
	return ew_arg(g, e, ni, in, 0, false);
}

/* ---- quantized Add, Relu, Clip ----------------------------------------------------------- */

/* min(max(v, lo), hi) in i64. */
static LLVMValueRef qclamp(cg *g, const ew_node *nd, LLVMValueRef v)
{
	return cg_smin(g, cg_smax(g, v, cg_i64(g, nd->qlo)), cg_i64(g, nd->qhi));
}

/* z_y + round_shift((a - z_a) Ma + (b - z_b) Mb, S), clamped: the
** interpreter's add_quant in i64 (|sum| < 2^41, so adding 2^(S-1) for S <=
** 62 cannot overflow). */
static LLVMValueRef qadd_body(cg *g, const ew_node *nd, LLVMValueRef *v)
{
	LLVMValueRef t[2];
	for (int j = 0; j < 2; j++)
		t[j] = LLVMBuildMul(g->b, LLVMBuildSub(g->b, v[j], cg_i64(g, nd->qz[j]), ""),
				    cg_i64(g, nd->qm[j]), "");
	LLVMValueRef s = LLVMBuildAdd(g->b, t[0], t[1], "");
	s = LLVMBuildAdd(g->b, s, cg_i64(g, (int64_t)1 << (nd->qs - 1)), "");
	s = LLVMBuildAShr(g->b, s, cg_i64(g, nd->qs), "");
	return qclamp(g, nd, LLVMBuildAdd(g->b, s, cg_i64(g, nd->qy), ""));
}

static LLVMValueRef qclamp_body(cg *g, const ew_node *nd, LLVMValueRef *v)
{
	return qclamp(g, nd, v[0]);
}

/* A quantized Clip bound (operand k) as a stored integer of x's
** parameters: an f32 bound is a real value, quantized as QuantizeLinear
** does (saturated to x's range); an integer bound is already stored.
** Only constant bounds (cg_supports_quantized asks for them). */
static int qclip_bound(cg *g, const ir_op *op, const cg_buf *in, int k, int64_t *v)
{
	if (k >= op->n_in || !in[k].ptr)
		return 0;
	if (!in[k].konst)
		return cg_unsupported(g, op, "a quantized Clip bound that is not a constant");
	const ir_type *xt = in[0].type, *bt = in[k].type;
	int64_t lo, hi;
	ir_requant_range(xt->dtype, &lo, &hi);
	const uint8_t *p = in[k].konst->data;
	int64_t q;
	if (bt->dtype == IR_F32) {
		float f;
		memcpy(&f, p, sizeof f);
		q = ir_requant_quantize(f, xt->quant->scale[0], xt->quant->zero[0], lo, hi);
	} else if (bt->dtype == xt->dtype) {
		q = xt->dtype == IR_I8 ? (int64_t)(int8_t)p[0] : (int64_t)p[0];
	} else {
		return cg_unsupported(g, op, "a quantized Clip bound of type %s", ir_dtype_name(bt->dtype));
	}
	*v = q;
	return 0;
}

/* Relu is max(q, z_x), Clip min(max(q, lo), hi) (numpy: hi wins), Add the
** rule above; ir_qop_params has the constants of the verified op. */
static int quant_node(cg *g, ew *e, int ni, const cg_buf *in)
{
	ew_node *n = &e->node[ni];
	const ir_op *op = n->op;
	ir_qop p;
	if (ir_qop_params(g->g, op, &p) < 0)
		return cg_unsupported(g, op, "an invalid quantized form (not verified?)");
	n->qy = p.y_zero;
	n->qlo = p.lo;
	n->qhi = p.hi;
	n->body = qclamp_body;
	if (op->kind == IR_OP_ADD) {
		n->body = qadd_body;
		for (int j = 0; j < 2; j++) {
			n->qz[j] = p.in_zero[j];
			n->qm[j] = p.rq[j].mult;
		}
		n->qs = p.rq[0].shift;
		if (ew_arg(g, e, ni, in, 0, false) < 0)
			return -1;
		return ew_arg(g, e, ni, in, 1, false);
	}
	if (op->kind == IR_OP_RELU) {
		n->qlo = n->qlo > p.in_zero[0] ? n->qlo : p.in_zero[0];
	} else if (op->kind == IR_OP_CLIP) {
		int64_t lo = n->qlo, hi = n->qhi;
		if (qclip_bound(g, op, in, 1, &lo) < 0 || qclip_bound(g, op, in, 2, &hi) < 0)
			return -1;
		n->qlo = lo;
		n->qhi = hi;
	} else {
		return cg_unsupported(g, op, "quantized operands");
	}
	return ew_arg(g, e, ni, in, 0, false);
}

/* ---- the kernels ------------------------------------------------------------------------ */

typedef int (*ew_setup)(cg *g, ew *e, int ni, const cg_buf *in);

static ew_setup setup_of_family(const char *kern)
{
	if (!strcmp(kern, "unary"))
		return unary_node;
	if (!strcmp(kern, "binary"))
		return binary_node;
	if (!strcmp(kern, "clip"))
		return clip_node;
	if (!strcmp(kern, "where"))
		return where_node;
	return !strcmp(kern, "cast") ? cast_node : NULL;
}

/* How a node of op's kind is set up (NULL for ops of other families). */
static ew_setup setup_of(ir_opkind k)
{
	switch (k) {
#define OP(id, name, inlo, inhi, outlo, outhi, ty, rule, kern, attrs, doc) \
	case IR_OP_##id: return setup_of_family(#kern);
#include "ir/ops.h"
#undef OP
	default: return NULL;
	}
}

/* A new node for op, whose operand buffers are in; its index, or -1. */
static int ew_node_of(cg *g, ew *e, const ir_op *op, const cg_buf *in)
{
	ew_setup setup = ir_op_is_quantized(g->g, op) ? quant_node : setup_of(op->kind);
	if (!setup || e->n_nodes == PLAN_FUSE_MAX_OPS || op->n_out != 1)
		return cg_unsupported(g, e->op, "a fused group the emitter cannot follow (internal error)");
	int ni = e->n_nodes++;
	e->node[ni].op = op;
	e->node[ni].out_dt = ir_type_of(g->g, op->out[0])->dtype;
	return setup(g, e, ni, in) < 0 ? -1 : ni;
}

/* The kernel of op, with the ops the plan fused into it in its loop. */
static int ew_kernel(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	ew e;
	ew_start(&e, op, out);
	e.fused = g->plan && plan_is_group_root(g->plan, op);
	if (ew_node_of(g, &e, op, in) < 0)
		return -1;
	return ew_emit(g, &e);
}

int cg_k_unary(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	return ew_kernel(g, op, in, out);
}

int cg_k_binary(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	return ew_kernel(g, op, in, out);
}

int cg_k_clip(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	return ew_kernel(g, op, in, out);
}

int cg_k_where(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	return ew_kernel(g, op, in, out);
}

int cg_k_cast(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	return ew_kernel(g, op, in, out);
}
