/*
** graph.c - building and editing graphs, and the constant store.
**
** Arrays grow by doubling inside the arena; the old copy is abandoned (the
** arena frees it with everything else), which costs at most 2x the final
** size.  Graph-wide limits (values, ops, graph inputs and outputs) are
** enforced here, so no builder, parser or pass can exceed them; exceeding
** one emits the limit diagnostic and unwinds to the ir_protect boundary.
*/
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "ir/ir.h"

/* Grow *arr (n used, *cap capacity, elements of sz bytes) to hold one more. */
static void *grow(ir_ctx *c, void *arr, uint32_t n, uint32_t *cap, size_t sz)
{
	if (n < *cap)
		return arr;
	uint32_t ncap = *cap ? *cap * 2 : 8;
	void *p = ir_alloc_array(c, ncap, sz);
	if (n)
		memcpy(p, arr, (size_t)n * sz);
	*cap = ncap;
	return p;
}

_Noreturn void ir_unwind(ir_ctx *c)
{
	if (c->jmp)
		longjmp(*(jmp_buf *)c->jmp, 1);
	abort(); /* internal error: no ir_protect boundary */
}

static void limit(ir_graph *g, const char *what, int64_t n, int64_t max)
{
	if (ir_check_limit(g->ctx, (ir_loc){0}, what, n, max) < 0)
		ir_unwind(g->ctx);
}

ir_graph *ir_graph_new(ir_ctx *c, const char *name)
{
	ir_graph *g = ir_alloc(c, sizeof *g);
	g->ctx = c;
	g->name = ir_strdup(c, name ? name : "main");
	g->vals = grow(c, NULL, 0, &g->cap_vals, sizeof *g->vals);
	g->n_vals = 1;
	g->blobs = grow(c, NULL, 0, &g->cap_blobs, sizeof *g->blobs);
	g->n_blobs = 1;
	return g;
}

ir_val ir_value_new(ir_graph *g, const ir_type *t, const char *name)
{
	limit(g, "values", (int64_t)g->n_vals, IR_MAX_VALUES);
	g->vals = grow(g->ctx, g->vals, g->n_vals, &g->cap_vals, sizeof *g->vals);
	ir_value *v = &g->vals[g->n_vals];
	memset(v, 0, sizeof *v);
	if (t)
		v->type = *t;
	v->name = ir_strdup(g->ctx, name);
	return g->n_vals++;
}

void ir_input_append(ir_graph *g, ir_val v)
{
	limit(g, "graph inputs", (int64_t)g->n_inputs + 1, IR_MAX_IO);
	g->inputs = grow(g->ctx, g->inputs, g->n_inputs, &g->cap_inputs, sizeof *g->inputs);
	g->inputs[g->n_inputs++] = v;
}

ir_val ir_add_input(ir_graph *g, const ir_type *t, const char *name)
{
	ir_val v = ir_value_new(g, t, name);
	ir_input_append(g, v);
	return v;
}

void ir_add_output(ir_graph *g, const char *name, ir_val v)
{
	limit(g, "graph outputs", (int64_t)g->n_outputs + 1, IR_MAX_IO);
	g->outputs = grow(g->ctx, g->outputs, g->n_outputs, &g->cap_outputs, sizeof *g->outputs);
	g->outputs[g->n_outputs++] = (ir_output){ir_strdup(g->ctx, name), v, {0}};
}

static ir_op *op_new(ir_graph *g, ir_opkind k, const ir_val *in, int32_t n_in,
		     const ir_type *out_types, int32_t n_out)
{
	ir_ctx *c = g->ctx;
	limit(g, "ops", (int64_t)g->n_ops + 1, IR_MAX_OPS);
	limit(g, "operands of one op", n_in, IR_MAX_OPERANDS);
	limit(g, "results of one op", n_out, IR_MAX_OPERANDS);
	ir_op *op = ir_alloc(c, sizeof *op);
	op->kind = k;
	op->n_in = n_in;
	op->n_out = n_out;
	op->in = ir_alloc_array(c, (size_t)n_in, sizeof *op->in);
	if (n_in)
		memcpy(op->in, in, sizeof *in * (size_t)n_in);
	op->out = ir_alloc_array(c, (size_t)n_out, sizeof *op->out);
	for (int32_t i = 0; i < n_out; i++) {
		ir_val v = ir_value_new(g, out_types ? &out_types[i] : NULL, NULL);
		g->vals[v].def = op;
		g->vals[v].res = i;
		op->out[i] = v;
	}
	return op;
}

ir_op *ir_op_insert(ir_graph *g, uint32_t pos, ir_opkind k, const ir_val *in, int32_t n_in,
		    const ir_type *out_types, int32_t n_out)
{
	ir_op *op = op_new(g, k, in, n_in, out_types, n_out);
	g->ops = grow(g->ctx, g->ops, g->n_ops, &g->cap_ops, sizeof *g->ops);
	if (pos > g->n_ops)
		pos = g->n_ops;
	memmove(&g->ops[pos + 1], &g->ops[pos], sizeof *g->ops * (g->n_ops - pos));
	g->ops[pos] = op;
	g->n_ops++;
	return op;
}

ir_op *ir_op_append(ir_graph *g, ir_opkind k, const ir_val *in, int32_t n_in,
		    const ir_type *out_types, int32_t n_out)
{
	return ir_op_insert(g, g->n_ops, k, in, n_in, out_types, n_out);
}

ir_val ir_const_new(ir_graph *g, const ir_type *t, const void *data, int64_t size)
{
	ir_op *op = ir_op_append(g, IR_OP_CONST, NULL, 0, t, 1);
	op->blob = ir_blob_intern(g, data, size);
	return op->out[0];
}

/* ---- attributes ---------------------------------------------------------- */

void ir_op_set_attr(ir_graph *g, ir_op *op, const ir_attr *a)
{
	int32_t i = 0;
	while (i < op->n_attrs && strcmp(op->attrs[i].name, a->name) < 0)
		i++;
	if (i < op->n_attrs && strcmp(op->attrs[i].name, a->name) == 0) {
		op->attrs[i] = *a;
		return;
	}
	limit(g, "attributes of one op", op->n_attrs + 1, IR_MAX_ATTRS);
	ir_attr *na = ir_alloc_array(g->ctx, (size_t)op->n_attrs + 1, sizeof *na);
	if (op->n_attrs) {
		memcpy(na, op->attrs, sizeof *na * (size_t)i);
		memcpy(na + i + 1, op->attrs + i, sizeof *na * (size_t)(op->n_attrs - i));
	}
	na[i] = *a;
	op->attrs = na;
	op->n_attrs++;
}

void ir_op_set_int(ir_graph *g, ir_op *op, const char *name, int64_t v)
{
	ir_attr a = {.name = ir_strdup(g->ctx, name), .kind = IR_ATTR_INT, .u.i = v};
	ir_op_set_attr(g, op, &a);
}

void ir_op_set_float(ir_graph *g, ir_op *op, const char *name, float v)
{
	ir_attr a = {.name = ir_strdup(g->ctx, name), .kind = IR_ATTR_FLOAT, .u.f = v};
	ir_op_set_attr(g, op, &a);
}

void ir_op_set_str(ir_graph *g, ir_op *op, const char *name, const char *s)
{
	ir_attr a = {.name = ir_strdup(g->ctx, name), .kind = IR_ATTR_STR, .u.s = ir_strdup(g->ctx, s)};
	ir_op_set_attr(g, op, &a);
}

void ir_op_set_ints(ir_graph *g, ir_op *op, const char *name, const int64_t *v, int32_t n)
{
	int64_t *d = ir_alloc_array(g->ctx, (size_t)n, sizeof *d);
	if (n)
		memcpy(d, v, sizeof *d * (size_t)n);
	ir_attr a = {.name = ir_strdup(g->ctx, name), .kind = IR_ATTR_INTS, .n = n, .u.ints = d};
	ir_op_set_attr(g, op, &a);
}

void ir_op_set_floats(ir_graph *g, ir_op *op, const char *name, const float *v, int32_t n)
{
	float *d = ir_alloc_array(g->ctx, (size_t)n, sizeof *d);
	if (n)
		memcpy(d, v, sizeof *d * (size_t)n);
	ir_attr a = {.name = ir_strdup(g->ctx, name), .kind = IR_ATTR_FLOATS, .n = n, .u.floats = d};
	ir_op_set_attr(g, op, &a);
}

const ir_attr *ir_op_attr(const ir_op *op, const char *name)
{
	for (int32_t i = 0; i < op->n_attrs; i++)
		if (strcmp(op->attrs[i].name, name) == 0)
			return &op->attrs[i];
	return NULL;
}

int64_t ir_op_int(const ir_op *op, const char *name, int64_t dflt)
{
	const ir_attr *a = ir_op_attr(op, name);
	if (a && a->kind == IR_ATTR_INT)
		return a->u.i;
	const ir_attr_spec *s = ir_op_attr_spec(op->kind, name);
	return s && s->has_default ? strtoll(s->dflt, NULL, 10) : dflt;
}

float ir_op_float(const ir_op *op, const char *name, float dflt)
{
	const ir_attr *a = ir_op_attr(op, name);
	if (a && a->kind == IR_ATTR_FLOAT)
		return a->u.f;
	const ir_attr_spec *s = ir_op_attr_spec(op->kind, name);
	return s && s->has_default ? strtof(s->dflt, NULL) : dflt;
}

const char *ir_op_str(const ir_op *op, const char *name, const char *dflt)
{
	const ir_attr *a = ir_op_attr(op, name);
	if (a && a->kind == IR_ATTR_STR)
		return a->u.s;
	const ir_attr_spec *s = ir_op_attr_spec(op->kind, name);
	return s && s->has_default ? s->dflt : dflt;
}

/* ---- editing ------------------------------------------------------------- */

void ir_replace_uses(ir_graph *g, ir_val from, ir_val to)
{
	for (uint32_t i = 0; i < g->n_ops; i++) {
		ir_op *op = g->ops[i];
		for (int32_t j = 0; j < op->n_in; j++)
			if (op->in[j] == from)
				op->in[j] = to;
	}
	for (uint32_t i = 0; i < g->n_outputs; i++)
		if (g->outputs[i].val == from)
			g->outputs[i].val = to;
}

void ir_graph_compact(ir_graph *g)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < g->n_ops; i++)
		if (!g->ops[i]->dead)
			g->ops[n++] = g->ops[i];
	g->n_ops = n;
}

uint32_t *ir_use_counts(ir_graph *g)
{
	uint32_t *uses = ir_alloc_array(g->ctx, g->n_vals, sizeof *uses);
	for (uint32_t i = 0; i < g->n_ops; i++) {
		const ir_op *op = g->ops[i];
		for (int32_t j = 0; j < op->n_in; j++)
			if (op->in[j] != IR_NOVAL && op->in[j] < g->n_vals)
				uses[op->in[j]]++;
	}
	for (uint32_t i = 0; i < g->n_outputs; i++)
		if (g->outputs[i].val < g->n_vals)
			uses[g->outputs[i].val]++;
	return uses;
}

/* ---- constant store ------------------------------------------------------ */

ir_hash ir_hash_bytes(const void *data, size_t size)
{
	XXH128_hash_t h = XXH3_128bits(data, size);
	return (ir_hash){h.low64, h.high64};
}

static void index_put(uint32_t *tab, uint32_t cap, const ir_blob *blobs, uint32_t i)
{
	uint32_t m = cap - 1;
	uint32_t h = (uint32_t)blobs[i].hash.lo & m;
	while (tab[h])
		h = (h + 1) & m;
	tab[h] = i;
}

/* Keep the index at most half full. */
static void index_grow(ir_graph *g)
{
	if (g->cap_index && (uint64_t)g->n_blobs * 2 < g->cap_index)
		return;
	uint32_t cap = g->cap_index ? g->cap_index * 2 : 64;
	g->blob_index = ir_alloc_array(g->ctx, cap, sizeof *g->blob_index);
	g->cap_index = cap;
	for (uint32_t i = 1; i < g->n_blobs; i++)
		index_put(g->blob_index, cap, g->blobs, i);
}

uint32_t ir_blob_find(const ir_graph *g, ir_hash h)
{
	if (!g->cap_index)
		return 0;
	uint32_t m = g->cap_index - 1;
	for (uint32_t i = (uint32_t)h.lo & m; g->blob_index[i]; i = (i + 1) & m) {
		const ir_blob *b = &g->blobs[g->blob_index[i]];
		if (b->hash.lo == h.lo && b->hash.hi == h.hi)
			return g->blob_index[i];
	}
	return 0;
}

uint32_t ir_blob_intern(ir_graph *g, const void *data, int64_t size)
{
	if (size < 0 || ir_check_limit(g->ctx, (ir_loc){0}, "bytes in one constant", size, IR_MAX_BLOB_BYTES) < 0)
		ir_unwind(g->ctx);
	ir_hash h = ir_hash_bytes(data, (size_t)size);
	uint32_t found = ir_blob_find(g, h);
	if (found) {
		const ir_blob *b = &g->blobs[found];
		if (b->size == size && (size == 0 || memcmp(b->data, data, (size_t)size) == 0))
			return found;
		ir_error(g->ctx, (ir_loc){0}, "two different constants share the content hash %016llx%016llx",
			 (unsigned long long)h.hi, (unsigned long long)h.lo);
		ir_unwind(g->ctx);
	}
	uint8_t *copy = ir_alloc(g->ctx, (size_t)size);
	if (size)
		memcpy(copy, data, (size_t)size);
	index_grow(g);
	g->blobs = grow(g->ctx, g->blobs, g->n_blobs, &g->cap_blobs, sizeof *g->blobs);
	g->blobs[g->n_blobs] = (ir_blob){h, size, copy};
	index_put(g->blob_index, g->cap_index, g->blobs, g->n_blobs);
	return g->n_blobs++;
}

const ir_blob *ir_const_of(const ir_graph *g, ir_val v)
{
	if (v == IR_NOVAL || v >= g->n_vals)
		return NULL;
	const ir_op *d = g->vals[v].def;
	if (!d || d->kind != IR_OP_CONST || !d->blob || d->blob >= g->n_blobs)
		return NULL;
	return &g->blobs[d->blob];
}
