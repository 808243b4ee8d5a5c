/*
** canonicalize.c - local rewrites to a canonical form, to a fixpoint.
**
** Rewrites, each counted as one change:
**   Reshape(V(x), s) -> Reshape(x, s), V one of Reshape, Flatten, Squeeze,
**     Unsqueeze, unless s holds a 0 that copies a dim (allowzero = 0): that
**     dim would then come from x instead of V(x);
**   Transpose(Transpose(x, p), q) -> Transpose(x, r), r[i] = p[q[i]];
** and ops replaced by an operand x whose type (quantization included)
** equals the op's result type:
**   Identity(x); Cast(x) to x's own type; Reshape, Flatten, Squeeze or
**     Unsqueeze of x; Transpose(x) with the identity perm;
**   x + 0, 0 + x, x - 0, x * 1, 1 * x, x / 1 where the constant has no
**     mask and every element 0 (or 1) in f32, i32 or i64.  The type check
**     keeps a broadcasting x + 0, whose result is bigger than x.  For f32,
**     -0.0 counts as 0, and x + 0 may turn an x of -0.0 into +0.0; graph
**     compilers accept that, and so does this pass.
**
** A round is one forward sweep: each op's operands are first rewritten
** through the remap array of the ops replaced so far, then the in-place
** rewrites run, then the replacement, so chains collapse within a round.
** Replaced ops are marked dead and compacted at the end of the round.
** Rounds repeat until one changes nothing, at most IR_MAX_PASS_ITERATIONS.
** Every rewrite makes an op use an operand of one of its operands' ops,
** defined earlier, so the topological order holds.  Ops left unused (the
** inner Reshape) are dce's to remove; names of replaced values disappear.
*/
#include <string.h>

#include "passes/pass.h"

static ir_op *def_of(const ir_graph *g, ir_val v)
{
	return v == IR_NOVAL ? NULL : g->vals[v].def;
}

static bool is_view(const ir_op *op)
{
	return op && (op->kind == IR_OP_RESHAPE || op->kind == IR_OP_FLATTEN || op->kind == IR_OP_SQUEEZE ||
		      op->kind == IR_OP_UNSQUEEZE);
}

/* True when Reshape op's shape operand takes no dim from the data operand. */
static bool shape_is_absolute(const ir_graph *g, const ir_op *op)
{
	const ir_blob *b = ir_const_of(g, op->in[1]);
	if (!b || g->vals[op->in[1]].def->mask || ir_type_of(g, op->in[1])->dtype != IR_I64)
		return false;
	if (ir_op_int(op, "allowzero", 0))
		return true;
	for (int64_t i = 0; i + 8 <= b->size; i += 8) {
		int64_t d;
		memcpy(&d, b->data + i, 8);
		if (d == 0)
			return false;
	}
	return true;
}

static int64_t fuse_reshape(ir_graph *g, ir_op *op)
{
	int64_t n = 0;
	if (op->kind != IR_OP_RESHAPE || !shape_is_absolute(g, op))
		return 0;
	for (ir_op *in = def_of(g, op->in[0]); is_view(in); in = def_of(g, op->in[0]), n++)
		op->in[0] = in->in[0];
	return n;
}

/* The perm attribute (reversed dims by default) into p; -1 unless a permutation of rank. */
static int perm_of(const ir_op *op, int rank, int64_t *p)
{
	const ir_attr *a = ir_op_attr(op, "perm");
	unsigned seen = 0;
	if (a && (a->kind != IR_ATTR_INTS || a->n != rank))
		return -1;
	for (int d = 0; d < rank; d++) {
		p[d] = a ? a->u.ints[d] : rank - 1 - d;
		if (p[d] < 0 || p[d] >= rank || ((seen >> p[d]) & 1))
			return -1;
		seen |= 1u << p[d];
	}
	return 0;
}

static int64_t fuse_transpose(ir_graph *g, ir_op *op)
{
	int64_t p[IR_MAX_RANK], q[IR_MAX_RANK], r[IR_MAX_RANK];
	if (op->kind != IR_OP_TRANSPOSE)
		return 0;
	ir_op *in = def_of(g, op->in[0]);
	int rank = ir_type_of(g, op->in[0])->rank;
	if (!in || in->kind != IR_OP_TRANSPOSE || perm_of(in, rank, p) < 0 || perm_of(op, rank, q) < 0)
		return 0;
	for (int i = 0; i < rank; i++)
		r[i] = p[q[i]];
	op->in[0] = in->in[0];
	ir_op_set_ints(g, op, "perm", r, rank);
	return 1;
}

static bool identity_perm(const ir_graph *g, const ir_op *op)
{
	int64_t p[IR_MAX_RANK];
	int rank = ir_type_of(g, op->in[0])->rank;
	if (perm_of(op, rank, p) < 0)
		return false;
	for (int i = 0; i < rank; i++)
		if (p[i] != i)
			return false;
	return true;
}

/* Element i of an f32, i32 or i64 array; exact for the 0 and 1 compared against. */
static double elem(ir_dtype dt, const uint8_t *p, int64_t i)
{
	float f;
	int32_t w;
	int64_t l;
	switch (dt) {
	case IR_F32: memcpy(&f, p + 4 * i, 4); return f;
	case IR_I32: memcpy(&w, p + 4 * i, 4); return w;
	default: memcpy(&l, p + 8 * i, 8); return (double)l;
	}
}

/* True when v is an unmasked f32, i32 or i64 constant whose elements all equal one (0 or 1). */
static bool is_splat(const ir_graph *g, ir_val v, int one)
{
	const ir_blob *b = ir_const_of(g, v);
	const ir_type *t = ir_type_of(g, v);
	int64_t n;
	if (!b || g->vals[v].def->mask || (t->dtype != IR_F32 && t->dtype != IR_I32 && t->dtype != IR_I64))
		return false;
	ir_type_numel(t, &n);
	for (int64_t i = 0; i < n; i++)
		if (elem(t->dtype, b->data, i) != one)
			return false;
	return true;
}

/* The operand that op + 0, op * 1 etc. reduce to, or IR_NOVAL. */
static ir_val neutral_operand(const ir_graph *g, const ir_op *op)
{
	switch (op->kind) {
	case IR_OP_ADD: return is_splat(g, op->in[1], 0) ? op->in[0] : is_splat(g, op->in[0], 0) ? op->in[1] : IR_NOVAL;
	case IR_OP_SUB: return is_splat(g, op->in[1], 0) ? op->in[0] : IR_NOVAL;
	case IR_OP_MUL: return is_splat(g, op->in[1], 1) ? op->in[0] : is_splat(g, op->in[0], 1) ? op->in[1] : IR_NOVAL;
	case IR_OP_DIV: return is_splat(g, op->in[1], 1) ? op->in[0] : IR_NOVAL;
	default: return IR_NOVAL;
	}
}

/* The value op's result can be replaced with, or IR_NOVAL. */
static ir_val replacement(const ir_graph *g, const ir_op *op)
{
	ir_val x;
	switch (op->kind) {
	case IR_OP_IDENTITY: case IR_OP_CAST:
	case IR_OP_RESHAPE: case IR_OP_FLATTEN: case IR_OP_SQUEEZE: case IR_OP_UNSQUEEZE:
		x = op->in[0];
		break;
	case IR_OP_TRANSPOSE:
		x = identity_perm(g, op) ? op->in[0] : IR_NOVAL;
		break;
	default:
		x = neutral_operand(g, op);
		break;
	}
	if (x == IR_NOVAL || op->n_out != 1 || !ir_type_equal(ir_type_of(g, x), ir_type_of(g, op->out[0])))
		return IR_NOVAL;
	return x;
}

/* One round over g; returns the number of rewrites. */
static int64_t sweep(ir_graph *g)
{
	ir_val *remap = ir_alloc_array(g->ctx, g->n_vals, sizeof *remap);
	int64_t changed = 0, removed = 0;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		ir_op *op = g->ops[i];
		for (int32_t j = 0; j < op->n_in; j++)
			if (op->in[j] != IR_NOVAL && remap[op->in[j]])
				op->in[j] = remap[op->in[j]];
		changed += fuse_reshape(g, op) + fuse_transpose(g, op);
		ir_val x = replacement(g, op);
		if (x == IR_NOVAL)
			continue;
		remap[op->out[0]] = x;
		op->dead = true;
		removed++;
	}
	for (uint32_t i = 0; i < g->n_outputs; i++)
		if (remap[g->outputs[i].val])
			g->outputs[i].val = remap[g->outputs[i].val];
	if (removed)
		ir_graph_compact(g);
	return changed + removed;
}

int pass_canonicalize(ir_graph *g, pass_stats *st)
{
	for (int round = 0; round < IR_MAX_PASS_ITERATIONS; round++) {
		int64_t n = sweep(g);
		st->changed += n;
		if (n == 0)
			break;
	}
	return 0;
}
