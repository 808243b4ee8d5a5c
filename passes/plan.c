/*
** plan.c - the static memory plan (see plan.h): fused groups, storage
** sharing by views and in-place ops, then placement of the remaining
** buffers.
*/
#include <string.h>

#include "ir/util.h"
#include "passes/plan.h"

bool plan_is_view(const ir_op *op)
{
	switch (op->kind) {
	case IR_OP_IDENTITY: case IR_OP_RESHAPE: case IR_OP_FLATTEN:
	case IR_OP_SQUEEZE: case IR_OP_UNSQUEEZE:
		return true;
	default:
		return false;
	}
}

/* The kernel family of an op kind (column KERN of ir/ops.h). */
static const char *kern_of(ir_opkind k)
{
	static const char *const kern[] = {
#define OP(id, name, inlo, inhi, outlo, outhi, ty, rule, kern, attrs, doc) #kern,
#include "ir/ops.h"
#undef OP
	};
	return kern[k];
}

/* Elementwise ops: result element k depends on operand elements at k
** (or broadcast), read before it is written. */
static bool is_elementwise(ir_opkind k)
{
	const char *s = kern_of(k);
	return !strcmp(s, "unary") || !strcmp(s, "binary") || !strcmp(s, "clip") ||
	       !strcmp(s, "where") || !strcmp(s, "cast");
}

/* Elementwise ops that may be a node of a fused group: all but Where,
** whose kernel moves operands as bits rather than computed values. */
static bool is_fusable(ir_opkind k)
{
	return is_elementwise(k) && k != IR_OP_WHERE;
}

static bool same_dims(const ir_type *a, const ir_type *b)
{
	if (a->rank != b->rank)
		return false;
	for (int d = 0; d < a->rank; d++)
		if (a->dims[d] != b->dims[d])
			return false;
	return true;
}

bool plan_can_overwrite(const ir_graph *g, const ir_op *op, int i)
{
	if (!is_elementwise(op->kind) || op->n_out != 1 || i >= op->n_in || op->in[i] == IR_NOVAL)
		return false;
	const ir_type *a = ir_type_of(g, op->in[i]), *r = ir_type_of(g, op->out[0]);
	return same_dims(a, r) && ir_dtype_bits(a->dtype) == ir_dtype_bits(r->dtype) &&
	       a->dtype != IR_I4 && r->dtype != IR_I4;
}

bool plan_is_group_root(const plan_result *r, const ir_op *op)
{
	for (int32_t k = 0; k < op->n_in; k++)
		if (op->in[k] != IR_NOVAL && r->loc[op->in[k]].kind == PLAN_FUSED)
			return true;
	return false;
}

static void walk_leaves(const ir_graph *g, const plan_loc *loc, const ir_op *op, ir_val *leaves,
			int *n, int cap)
{
	for (int32_t k = 0; k < op->n_in; k++) {
		ir_val v = op->in[k];
		if (v == IR_NOVAL)
			continue;
		if (loc[v].kind == PLAN_FUSED) {
			walk_leaves(g, loc, g->vals[v].def, leaves, n, cap);
			continue;
		}
		int j = 0;
		while (j < *n && leaves[j] != v)
			j++;
		if (j == *n && *n < cap)
			leaves[(*n)++] = v;
	}
}

int plan_group_leaves(const ir_graph *g, const plan_result *r, const ir_op *op, ir_val *leaves,
		      int cap)
{
	int n = 0;
	walk_leaves(g, r->loc, op, leaves, &n, cap);
	return n;
}

/* A group being formed: its op count and distinct leaves. */
typedef struct group {
	int32_t ops;
	int32_t n_leaves;
	ir_val leaves[PLAN_FUSE_MAX_LEAVES];
} group;

typedef struct planner {
	ir_graph *g;
	plan_result *r;
	int32_t *first, *last;    /* per value: live steps (first: the defining op) */
	int64_t *bytes;           /* per value */
	int32_t *uses;            /* per value: operand slots reading it */
	group *grp;               /* per op: the group it roots while groups form */
} planner;

static int value_bytes(planner *p, ir_val v)
{
	int64_t n;
	if (ir_type_bytes(ir_type_of(p->g, v), &n) < 0)
		return ir_error(p->g->ctx, p->g->loc, "a tensor's size overflows");
	p->bytes[v] = n;
	return 0;
}

/* Last use and use count of every value; graph outputs live to the end. */
static void liveness(planner *p)
{
	ir_graph *g = p->g;
	for (uint32_t v = 1; v < g->n_vals; v++)
		p->first[v] = p->last[v] = -1;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		const ir_op *op = g->ops[i];
		for (int32_t k = 0; k < op->n_out; k++)
			p->first[op->out[k]] = p->last[op->out[k]] = (int32_t)i;
		for (int32_t k = 0; k < op->n_in; k++) {
			if (op->in[k] == IR_NOVAL)
				continue;
			p->last[op->in[k]] = (int32_t)i;
			p->uses[op->in[k]]++;
		}
	}
	for (uint32_t k = 0; k < g->n_outputs; k++)
		p->last[g->outputs[k].val] = (int32_t)g->n_ops;
}

/* Inputs, constants and outputs: storage outside the arena. */
static void fixed_locations(planner *p)
{
	ir_graph *g = p->g;
	plan_loc *loc = p->r->loc;
	for (uint32_t v = 1; v < g->n_vals; v++) {
		loc[v].root = v;
		if (g->vals[v].def && g->vals[v].def->kind == IR_OP_CONST)
			loc[v].kind = PLAN_CONST;
	}
	for (uint32_t k = 0; k < g->n_inputs; k++)
		loc[g->inputs[k]] = (plan_loc){PLAN_INPUT, (int32_t)k, 0, g->inputs[k], IR_NOVAL};
	for (uint32_t k = 0; k < g->n_outputs; k++) {
		ir_val v = g->outputs[k].val;
		if (loc[v].kind == PLAN_NONE)
			loc[v] = (plan_loc){PLAN_OUTPUT, (int32_t)k, 0, v, IR_NOVAL};
	}
}

/* ---- fused groups ---------------------------------------------------------- */

/* Whether op reads or writes a quantized tensor: its arithmetic is then
** on real values (docs/ir.md), which a chain of integer bodies is not. */
static bool touches_quant(const ir_graph *g, const ir_op *op)
{
	for (int32_t k = 0; k < op->n_in; k++)
		if (op->in[k] != IR_NOVAL && ir_type_of(g, op->in[k])->quant)
			return true;
	for (int32_t k = 0; k < op->n_out; k++)
		if (ir_type_of(g, op->out[k])->quant)
			return true;
	return false;
}

/* Whether operand k of op c (a fusable op) may be computed inside c's loop
** (the conditions of plan.h). */
static bool fusable_operand(const planner *p, const ir_op *c, int32_t k)
{
	ir_val v = c->in[k];
	if (v == IR_NOVAL || (c->kind == IR_OP_CLIP && k > 0))
		return false;           /* Clip reads its bounds once, before the loop */
	const ir_op *d = p->g->vals[v].def;
	if (!d || !is_fusable(d->kind) || d->n_out != 1 || p->uses[v] != 1 ||
	    p->r->loc[v].kind != PLAN_NONE || touches_quant(p->g, c) || touches_quant(p->g, d))
		return false;
	const ir_type *t = ir_type_of(p->g, v);
	return t->dtype != IR_I4 && same_dims(t, ir_type_of(p->g, c->out[0]));
}

/* Add v to s's leaves unless there; false when they are full. */
static bool add_leaf(group *s, ir_val v)
{
	for (int32_t j = 0; j < s->n_leaves; j++)
		if (s->leaves[j] == v)
			return true;
	if (s->n_leaves == PLAN_FUSE_MAX_LEAVES)
		return false;
	s->leaves[s->n_leaves++] = v;
	return true;
}

/*
** Form the group rooted at op i, taking in the groups of its fusable
** operands while the bounds allow, in operand order.  A refused operand
** becomes a leaf, so every candidate still pending keeps a leaf slot in
** reserve.  The bounds are checked here and nowhere else.
*/
static void form_group(planner *p, int32_t i)
{
	const ir_op *c = p->g->ops[i];
	group *s = &p->grp[i];
	int pending = 0;
	s->ops = 1;
	for (int32_t k = 0; k < c->n_in; k++) {
		if (fusable_operand(p, c, k))
			pending++;
		else if (c->in[k] != IR_NOVAL)
			add_leaf(s, c->in[k]);  /* at most 3 operands: always room */
	}
	for (int32_t k = 0; k < c->n_in; k++) {
		if (!fusable_operand(p, c, k))
			continue;
		ir_val v = c->in[k];
		const group *t = &p->grp[p->first[v]];
		group u = *s;
		bool fits = s->ops + t->ops <= PLAN_FUSE_MAX_OPS;
		for (int32_t j = 0; j < t->n_leaves && fits; j++)
			fits = add_leaf(&u, t->leaves[j]);
		pending--;
		if (!fits || u.n_leaves + pending > PLAN_FUSE_MAX_LEAVES) {
			add_leaf(s, v);
			continue;
		}
		u.ops += t->ops;
		*s = u;
		p->r->loc[v] = (plan_loc){PLAN_FUSED, 0, 0, v, c->out[0]};
		p->r->n_fused++;
	}
}

/* Form the groups; point every fused value at its group's root; keep
** every leaf live until its root's step. */
static void fuse(planner *p)
{
	ir_graph *g = p->g;
	plan_loc *loc = p->r->loc;
	for (uint32_t i = 0; i < g->n_ops; i++)
		if (is_fusable(g->ops[i]->kind) && g->ops[i]->n_out == 1)
			form_group(p, (int32_t)i);
	for (uint32_t i = g->n_ops; i-- > 0;) {
		ir_val v = g->ops[i]->n_out == 1 ? g->ops[i]->out[0] : IR_NOVAL;
		if (v != IR_NOVAL && loc[v].kind == PLAN_FUSED && loc[loc[v].into].kind == PLAN_FUSED)
			loc[v].into = loc[loc[v].into].into;
	}
	ir_val leaves[PLAN_FUSE_MAX_LEAVES];
	for (uint32_t i = 0; i < g->n_ops; i++) {
		if (!plan_is_group_root(p->r, g->ops[i]))
			continue;
		int n = plan_group_leaves(g, p->r, g->ops[i], leaves, PLAN_FUSE_MAX_LEAVES);
		for (int k = 0; k < n; k++)
			if (p->last[leaves[k]] < (int32_t)i)
				p->last[leaves[k]] = (int32_t)i;
	}
}

/* ---- storage ------------------------------------------------------------------ */

/* Result v of op (step i) takes the storage of operand a when that lives
** in scratch and dies here. */
static bool take_over(planner *p, int32_t i, ir_val v, ir_val a)
{
	plan_loc *loc = p->r->loc;
	ir_val root = loc[a].root;
	if (loc[root].kind != PLAN_SCRATCH || p->last[root] != i)
		return false;
	loc[v] = loc[root];
	p->last[root] = p->last[v] > i ? p->last[v] : i;
	p->r->n_inplace++;
	return true;
}

/* A group root writes over a leaf only of its own shape and element size:
** a broadcast leaf is still read after its elements would be overwritten. */
static bool root_takes_over(planner *p, const ir_op *op, int32_t i, ir_val v)
{
	ir_val leaves[PLAN_FUSE_MAX_LEAVES];
	int n = plan_group_leaves(p->g, p->r, op, leaves, PLAN_FUSE_MAX_LEAVES);
	const ir_type *r = ir_type_of(p->g, v);
	for (int k = 0; k < n; k++) {
		const ir_type *a = ir_type_of(p->g, leaves[k]);
		if (same_dims(a, r) && ir_dtype_bits(a->dtype) == ir_dtype_bits(r->dtype) &&
		    a->dtype != IR_I4 && r->dtype != IR_I4 && take_over(p, i, v, leaves[k]))
			return true;
	}
	return false;
}

/* Give result v of op (step i) its storage: a view, in place, or its own. */
static void assign(planner *p, const ir_op *op, int32_t i, ir_val v)
{
	plan_loc *loc = p->r->loc;
	if (loc[v].kind != PLAN_NONE)
		return;                         /* a graph output, or fused */
	if (plan_is_view(op)) {
		ir_val root = loc[op->in[0]].root;
		loc[v] = loc[root];
		if (p->last[v] > p->last[root])
			p->last[root] = p->last[v];
		p->r->n_views++;
		return;
	}
	if (plan_is_group_root(p->r, op)) {
		if (root_takes_over(p, op, i, v))
			return;
	} else {
		for (int32_t k = 0; k < op->n_in; k++)
			if (op->in[k] != IR_NOVAL && plan_can_overwrite(p->g, op, k) &&
			    take_over(p, i, v, op->in[k]))
				return;
	}
	loc[v] = (plan_loc){PLAN_SCRATCH, 0, 0, v, IR_NOVAL};
	if (p->last[v] < i)
		p->last[v] = i;
}

static int share_storage(planner *p)
{
	ir_graph *g = p->g;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		const ir_op *op = g->ops[i];
		if (op->kind == IR_OP_CONST)
			continue;
		for (int32_t k = 0; k < op->n_out; k++) {
			if (value_bytes(p, op->out[k]) < 0)
				return -1;
			assign(p, op, (int32_t)i, op->out[k]);
		}
	}
	return 0;
}

/* Place roots and workspaces; write offsets back. */
static int place(planner *p, plan_workspace_fn ws, void *ud)
{
	ir_graph *g = p->g;
	plan_result *r = p->r;
	uint32_t nb = 0, cap = g->n_vals + g->n_ops;
	memplan_buf *bufs = ir_alloc_array(g->ctx, cap ? cap : 1, sizeof *bufs);
	ir_val *owner = ir_alloc_array(g->ctx, cap ? cap : 1, sizeof *owner);
	for (uint32_t v = 1; v < g->n_vals; v++) {
		if (r->loc[v].kind != PLAN_SCRATCH || r->loc[v].root != v || p->bytes[v] <= 0)
			continue;
		owner[nb] = v;
		bufs[nb++] = (memplan_buf){p->bytes[v], p->first[v], p->last[v], PLAN_ALIGN, 0};
	}
	for (uint32_t i = 0; i < g->n_ops; i++) {
		r->ws_offset[i] = -1;
		r->ws_size[i] = ws ? ws(g, g->ops[i], ud) : 0;
		if (r->ws_size[i] > 0) {
			owner[nb] = IR_NOVAL - 1 - i;   /* marks workspace i */
			bufs[nb++] = (memplan_buf){r->ws_size[i], (int32_t)i, (int32_t)i, PLAN_ALIGN, 0};
		}
	}
	memplan_result mr = {0};
	if (nb && memplan_place(g->ctx, bufs, (int32_t)nb, &mr) < 0)
		return -1;
	for (uint32_t k = 0; k < nb; k++) {
		if (owner[k] < g->n_vals)
			r->loc[owner[k]].offset = bufs[k].offset;
		else
			r->ws_offset[IR_NOVAL - 1 - owner[k]] = bufs[k].offset;
	}
	r->scratch_size = mr.total;
	r->lower_bound = mr.lower_bound;
	r->heuristic = nb ? mr.heuristic : "none";
	r->n_buffers = (int32_t)nb;
	return 0;
}

/* Views and in-place results take their root's final offset. */
static void propagate(planner *p)
{
	plan_loc *loc = p->r->loc;
	for (uint32_t v = 1; v < p->g->n_vals; v++)
		if (loc[v].root != v && loc[loc[v].root].kind == PLAN_SCRATCH)
			loc[v].offset = loc[loc[v].root].offset;
}

typedef struct plan_job {
	ir_graph *g;
	plan_workspace_fn ws;
	void *ud;
	plan_result *r;
} plan_job;

static int plan_protected(ir_ctx *c, void *ud)
{
	plan_job *j = ud;
	ir_graph *g = j->g;
	plan_result *r = j->r;
	r->scratch_align = PLAN_ALIGN;
	r->loc = ir_alloc_array(c, g->n_vals, sizeof *r->loc);
	r->ws_offset = ir_alloc_array(c, g->n_ops ? g->n_ops : 1, sizeof *r->ws_offset);
	r->ws_size = ir_alloc_array(c, g->n_ops ? g->n_ops : 1, sizeof *r->ws_size);
	planner p = {g, r, ir_alloc_array(c, g->n_vals, sizeof(int32_t)),
		     ir_alloc_array(c, g->n_vals, sizeof(int32_t)),
		     ir_alloc_array(c, g->n_vals, sizeof(int64_t)),
		     ir_alloc_array(c, g->n_vals, sizeof(int32_t)),
		     ir_alloc_array(c, g->n_ops ? g->n_ops : 1, sizeof(group))};
	liveness(&p);
	fixed_locations(&p);
	fuse(&p);
	if (share_storage(&p) < 0 || place(&p, j->ws, j->ud) < 0)
		return -1;
	propagate(&p);
	return 0;
}

int plan_graph(ir_graph *g, plan_workspace_fn ws, void *ud, plan_result *r)
{
	memset(r, 0, sizeof *r);
	plan_job j = {g, ws, ud, r};
	return ir_protect(g->ctx, plan_protected, &j);
}

static const char *kind_name(plan_kind k)
{
	static const char *const names[] = {"none", "input", "output", "const", "scratch", "fused"};
	return names[k];
}

int plan_print(const ir_graph *g, const plan_result *r, FILE *out)
{
	uint32_t *num = ir_number_values(g);
	char a[160], b[160];
	for (uint32_t i = 0; i < g->n_ops; i++) {
		const ir_op *op = g->ops[i];
		if (op->kind == IR_OP_CONST)
			continue;
		for (int32_t k = 0; k < op->n_out; k++) {
			ir_val v = op->out[k];
			const plan_loc *l = &r->loc[v];
			ir_value_label(g, num, v, a, sizeof a);
			fprintf(out, "%s = %s: %s", a, ir_op_name(op->kind), kind_name(l->kind));
			if (l->kind == PLAN_SCRATCH)
				fprintf(out, " @%lld", (long long)l->offset);
			if (l->kind == PLAN_INPUT || l->kind == PLAN_OUTPUT)
				fprintf(out, " #%d", l->index);
			if (l->kind == PLAN_FUSED) {
				ir_value_label(g, num, l->into, b, sizeof b);
				fprintf(out, " into %s", b);
			}
			if (l->root != v) {
				ir_value_label(g, num, l->root, b, sizeof b);
				fprintf(out, " %s %s", plan_is_view(op) ? "view of" : "in place over", b);
			}
			fputc('\n', out);
		}
		if (r->ws_size[i] > 0)
			fprintf(out, "  workspace %lld bytes @%lld\n", (long long)r->ws_size[i],
				(long long)r->ws_offset[i]);
	}
	fprintf(out, "scratch %lld bytes, lower bound %lld, buffers %d, views %d, in place %d, "
		"fused %d, heuristic %s\n",
		(long long)r->scratch_size, (long long)r->lower_bound, r->n_buffers, r->n_views,
		r->n_inplace, r->n_fused, r->heuristic);
	return ferror(out) ? -1 : 0;
}
