/*
** cse.c - common-subexpression elimination.
**
** Two ops are equivalent when they have the same kind, the same operands in
** order (IR_NOVAL matching IR_NOVAL), the same attributes (name, kind and
** value; floats compared bit for bit, so 0.0 and -0.0 differ and a NaN
** equals itself), and the same result types including quantization.  A
** const op compares its blob and mask indices, which is a content
** comparison because the store deduplicates blobs by content hash.  The
** source node name (op->name) is not compared; the first op's is kept.
**
** One forward sweep: each op's operands are first rewritten through the
** remap array, then the op is looked up in a hash table of the live ops
** seen so far.  On a hit its results are remapped to the earlier op's and
** it is marked dead, so equal chains fold in one run and every use, graph
** outputs included, is rewritten once.  An earlier op dominates every later
** one, so the rewrite keeps the topological order.  Names of the dropped
** values disappear.  All memory is arena memory.
*/
#include <string.h>

#include "passes/pass.h"

typedef struct table {
	ir_op **ops;            /* open addressing, NULL for an empty slot */
	uint64_t *hash;         /* hash of the op in the same slot */
	uint32_t mask;          /* capacity - 1, capacity a power of two */
} table;

static uint64_t mix(uint64_t h, uint64_t x)
{
	h ^= x + 0x9e3779b97f4a7c15u + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdu;
}

static uint64_t mix_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = mix(h, s[i]);
	return h;
}

static uint64_t hash_type(uint64_t h, const ir_type *t)
{
	h = mix(mix(h, (uint64_t)t->dtype), (uint64_t)t->rank);
	for (int i = 0; i < t->rank; i++)
		h = mix(h, (uint64_t)t->dims[i]);
	return mix(h, t->quant != NULL);
}

static uint64_t hash_attr(uint64_t h, const ir_attr *a)
{
	h = mix_bytes(mix(h, (uint64_t)a->kind), a->name, strlen(a->name));
	switch (a->kind) {
	case IR_ATTR_INT: return mix(h, (uint64_t)a->u.i);
	case IR_ATTR_FLOAT: return mix_bytes(h, &a->u.f, sizeof a->u.f);
	case IR_ATTR_STR: return mix_bytes(h, a->u.s, strlen(a->u.s));
	case IR_ATTR_INTS: return mix_bytes(mix(h, (uint64_t)a->n), a->u.ints, sizeof(int64_t) * (size_t)a->n);
	case IR_ATTR_FLOATS: return mix_bytes(mix(h, (uint64_t)a->n), a->u.floats, sizeof(float) * (size_t)a->n);
	}
	return h;
}

static uint64_t hash_op(const ir_graph *g, const ir_op *op)
{
	uint64_t h = mix(mix(mix(0, (uint64_t)op->kind), op->blob), op->mask);
	h = mix(h, (uint64_t)op->n_in);
	for (int32_t i = 0; i < op->n_in; i++)
		h = mix(h, op->in[i]);
	for (int32_t i = 0; i < op->n_attrs; i++)
		h = hash_attr(h, &op->attrs[i]);
	h = mix(h, (uint64_t)op->n_out);
	for (int32_t i = 0; i < op->n_out; i++)
		h = hash_type(h, ir_type_of(g, op->out[i]));
	return h;
}

static bool attr_equal(const ir_attr *a, const ir_attr *b)
{
	if (a->kind != b->kind || strcmp(a->name, b->name) != 0)
		return false;
	switch (a->kind) {
	case IR_ATTR_INT: return a->u.i == b->u.i;
	case IR_ATTR_FLOAT: return memcmp(&a->u.f, &b->u.f, sizeof a->u.f) == 0;
	case IR_ATTR_STR: return strcmp(a->u.s, b->u.s) == 0;
	case IR_ATTR_INTS:
		return a->n == b->n && memcmp(a->u.ints, b->u.ints, sizeof(int64_t) * (size_t)a->n) == 0;
	case IR_ATTR_FLOATS:
		return a->n == b->n && memcmp(a->u.floats, b->u.floats, sizeof(float) * (size_t)a->n) == 0;
	}
	return false;
}

/* The equivalence of the file comment; attributes are sorted by name. */
static bool op_equal(const ir_graph *g, const ir_op *a, const ir_op *b)
{
	if (a->kind != b->kind || a->blob != b->blob || a->mask != b->mask || a->n_in != b->n_in ||
	    a->n_out != b->n_out || a->n_attrs != b->n_attrs)
		return false;
	if (a->n_in && memcmp(a->in, b->in, sizeof *a->in * (size_t)a->n_in) != 0)
		return false;
	for (int32_t i = 0; i < a->n_attrs; i++)
		if (!attr_equal(&a->attrs[i], &b->attrs[i]))
			return false;
	for (int32_t i = 0; i < a->n_out; i++)
		if (!ir_type_equal(ir_type_of(g, a->out[i]), ir_type_of(g, b->out[i])))
			return false;
	return true;
}

static table table_new(ir_ctx *c, uint32_t n_ops)
{
	uint32_t cap = 16;
	while (cap < 2 * (uint64_t)n_ops)
		cap *= 2;
	return (table){ir_alloc_array(c, cap, sizeof(ir_op *)), ir_alloc_array(c, cap, sizeof(uint64_t)), cap - 1};
}

/* The live op equivalent to op, or NULL after adding op to the table. */
static ir_op *find_or_add(table *t, const ir_graph *g, ir_op *op)
{
	uint64_t h = hash_op(g, op);
	uint32_t i = (uint32_t)h & t->mask;
	for (; t->ops[i]; i = (i + 1) & t->mask)
		if (t->hash[i] == h && op_equal(g, t->ops[i], op))
			return t->ops[i];
	t->ops[i] = op;
	t->hash[i] = h;
	return NULL;
}

static ir_val remapped(const ir_val *remap, ir_val v)
{
	return v != IR_NOVAL && remap[v] ? remap[v] : v;
}

int pass_cse(ir_graph *g, pass_stats *st)
{
	table t = table_new(g->ctx, g->n_ops);
	ir_val *remap = ir_alloc_array(g->ctx, g->n_vals, sizeof *remap);
	int64_t merged = 0;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		ir_op *op = g->ops[i];
		for (int32_t j = 0; j < op->n_in; j++)
			op->in[j] = remapped(remap, op->in[j]);
		ir_op *first = find_or_add(&t, g, op);
		if (!first)
			continue;
		for (int32_t j = 0; j < op->n_out; j++)
			remap[op->out[j]] = first->out[j];
		op->dead = true;
		merged++;
	}
	for (uint32_t i = 0; i < g->n_outputs; i++)
		g->outputs[i].val = remapped(remap, g->outputs[i].val);
	if (merged)
		ir_graph_compact(g);
	st->changed += merged;
	return 0;
}
