/*
** plan.c - the static memory plan (see plan.h): storage sharing by views
** and in-place ops, then placement of the remaining buffers.
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

/* Elementwise ops: result element k depends on operand elements at k
** (or broadcast), read before it is written. */
static bool is_elementwise(ir_opkind k)
{
	switch (k) {
#define OP(id, name, inlo, inhi, outlo, outhi, ty, rule, kern, attrs, doc) \
	case IR_OP_##id: return !strcmp(#kern, "unary") || !strcmp(#kern, "binary") || \
		!strcmp(#kern, "clip") || !strcmp(#kern, "where") || !strcmp(#kern, "cast");
#include "ir/ops.h"
#undef OP
	default: return false;
	}
}

bool plan_can_overwrite(const ir_graph *g, const ir_op *op, int i)
{
	if (!is_elementwise(op->kind) || op->n_out != 1 || i >= op->n_in || op->in[i] == IR_NOVAL)
		return false;
	const ir_type *a = ir_type_of(g, op->in[i]), *r = ir_type_of(g, op->out[0]);
	if (a->rank != r->rank || ir_dtype_bits(a->dtype) != ir_dtype_bits(r->dtype) ||
	    a->dtype == IR_I4 || r->dtype == IR_I4)
		return false;
	for (int d = 0; d < a->rank; d++)
		if (a->dims[d] != r->dims[d])
			return false;
	return true;
}

typedef struct planner {
	ir_graph *g;
	plan_result *r;
	int32_t *first, *last;    /* per value: live steps */
	int64_t *bytes;           /* per value */
} planner;

static int value_bytes(planner *p, ir_val v)
{
	int64_t n;
	if (ir_type_bytes(ir_type_of(p->g, v), &n) < 0)
		return ir_error(p->g->ctx, p->g->loc, "a tensor's size overflows");
	p->bytes[v] = n;
	return 0;
}

/* Last use of every value; graph outputs live to the end. */
static void liveness(planner *p)
{
	ir_graph *g = p->g;
	for (uint32_t v = 1; v < g->n_vals; v++)
		p->first[v] = p->last[v] = -1;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		const ir_op *op = g->ops[i];
		for (int32_t k = 0; k < op->n_out; k++)
			p->first[op->out[k]] = p->last[op->out[k]] = (int32_t)i;
		for (int32_t k = 0; k < op->n_in; k++)
			if (op->in[k] != IR_NOVAL)
				p->last[op->in[k]] = (int32_t)i;
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
		loc[g->inputs[k]] = (plan_loc){PLAN_INPUT, (int32_t)k, 0, g->inputs[k]};
	for (uint32_t k = 0; k < g->n_outputs; k++) {
		ir_val v = g->outputs[k].val;
		if (loc[v].kind == PLAN_NONE)
			loc[v] = (plan_loc){PLAN_OUTPUT, (int32_t)k, 0, v};
	}
}

/* Give result v of op (step i) its storage: a view, in place, or its own. */
static void assign(planner *p, const ir_op *op, int32_t i, ir_val v)
{
	plan_loc *loc = p->r->loc;
	if (loc[v].kind != PLAN_NONE)
		return;                         /* a graph output */
	if (plan_is_view(op)) {
		ir_val root = loc[op->in[0]].root;
		loc[v] = loc[root];
		if (p->last[v] > p->last[root])
			p->last[root] = p->last[v];
		p->r->n_views++;
		return;
	}
	for (int32_t k = 0; k < op->n_in; k++) {
		ir_val a = op->in[k];
		if (a == IR_NOVAL)
			continue;
		ir_val root = loc[a].root;
		if (loc[root].kind == PLAN_SCRATCH && p->last[root] == i &&
		    plan_can_overwrite(p->g, op, k)) {
			loc[v] = loc[root];
			p->last[root] = p->last[v] > i ? p->last[v] : i;
			p->r->n_inplace++;
			return;
		}
	}
	loc[v] = (plan_loc){PLAN_SCRATCH, 0, 0, v};
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
		     ir_alloc_array(c, g->n_vals, sizeof(int64_t))};
	liveness(&p);
	fixed_locations(&p);
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
	static const char *const names[] = {"none", "input", "output", "const", "scratch"};
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
	fprintf(out, "scratch %lld bytes, lower bound %lld, buffers %d, views %d, in place %d, heuristic %s\n",
		(long long)r->scratch_size, (long long)r->lower_bound, r->n_buffers, r->n_views,
		r->n_inplace, r->heuristic);
	return ferror(out) ? -1 : 0;
}
