/*
** verify.c - the IR verifier.
**
** Checks every invariant a pass may rely on, in an order where each check
** may assume the previous ones: graph inputs and outputs, then per op its
** kind and arity, operand validity and SSA dominance (a use must come after
** its definition in the op order), result ownership, attributes against the
** op table's schema, types (shape sanity and quantization consistency),
** constant data sizes, and finally the op's shape rule (ir_infer), whose
** types must equal the declared ones; for an op on quantized types the
** rule also checks the forms of docs/ir.md "Quantized arithmetic" (operand
** and result parameters, the int32 accumulator bound, the requantization
** multipliers), reading the declared result's parameters.  An op that
** fails an early check is not inferred, so one mistake gives one
** diagnostic.  Diagnostics name the op and the value as the printer shows
** them and carry the op's location.
*/
#include <math.h>
#include <string.h>

#include "ir/ir.h"
#include "ir/util.h"

typedef struct verifier {
	ir_graph *g;
	ir_ctx *c;
	uint32_t *num;     /* printer numbering of unnamed values */
	int64_t *defpos;   /* per value: position of its def op, -1 for a graph input, -2 undefined */
	int errors;
} verifier;

static const char *label(verifier *V, ir_val v, char *buf, size_t n)
{
	ir_value_label(V->g, V->num, v, buf, n);
	return buf;
}

#define VERR(V, loc, ...) ((V)->errors++, ir_error((V)->c, (loc), __VA_ARGS__))

/* ---- types --------------------------------------------------------------- */

static int int_range(ir_dtype dt, int64_t *lo, int64_t *hi)
{
	switch (dt) {
	case IR_I8: *lo = INT8_MIN; *hi = INT8_MAX; return 0;
	case IR_U8: *lo = 0; *hi = UINT8_MAX; return 0;
	case IR_I16: *lo = INT16_MIN; *hi = INT16_MAX; return 0;
	case IR_I32: *lo = INT32_MIN; *hi = INT32_MAX; return 0;
	case IR_I4: *lo = -8; *hi = 7; return 0;
	default: return -1;
	}
}

/* Quantization parameters: an integer type, a valid axis, n pairs, positive
** finite scales, zero points inside the element type's range. */
static int check_quant(verifier *V, ir_loc loc, const char *what, const ir_type *t)
{
	const ir_quant *q = t->quant;
	int64_t lo, hi;
	if (int_range(t->dtype, &lo, &hi) < 0)
		return VERR(V, loc, "%s: quantization parameters on element type %s (only i4, i8, u8, i16, i32)",
			    what, ir_dtype_name(t->dtype));
	if (q->axis >= t->rank)
		return VERR(V, loc, "%s: quantization axis %d is out of range for rank %d", what, (int)q->axis,
			    (int)t->rank);
	int64_t want = q->axis < 0 ? 1 : t->dims[q->axis];
	if (q->n != want)
		return VERR(V, loc, "%s: %d quantization scales, but %s needs %lld", what, (int)q->n,
			    q->axis < 0 ? "per-tensor" : "the quantized axis", (long long)want);
	for (int32_t i = 0; i < q->n; i++) {
		if (!(q->scale[i] > 0) || isinf(q->scale[i]))
			return VERR(V, loc, "%s: quantization scale #%d is %g; scales must be positive and finite",
				    what, (int)i, (double)q->scale[i]);
		if (q->zero[i] < lo || q->zero[i] > hi)
			return VERR(V, loc, "%s: zero point #%d is %d, outside the range of %s", what, (int)i,
				    (int)q->zero[i], ir_dtype_name(t->dtype));
	}
	return 0;
}

static int check_type(verifier *V, ir_loc loc, const char *what, const ir_type *t)
{
	int64_t n;
	if ((unsigned)t->dtype >= IR_NDTYPES)
		return VERR(V, loc, "%s: invalid element type", what);
	if (t->rank < 0 || t->rank > IR_MAX_RANK)
		return VERR(V, loc, "%s: rank %d is out of range (limit is %d)", what, (int)t->rank, IR_MAX_RANK);
	for (int i = 0; i < t->rank; i++)
		if (t->dims[i] < 0 || t->dims[i] > IR_MAX_DIM)
			return VERR(V, loc, "%s: dimension %d is %lld; dimensions are between 0 and %lld", what, i,
				    (long long)t->dims[i], (long long)IR_MAX_DIM);
	if (ir_type_numel(t, &n) < 0)
		return VERR(V, loc, "%s: too many elements (limit is %lld)", what, (long long)IR_MAX_ELEMENTS);
	return t->quant ? check_quant(V, loc, what, t) : 0;
}

/* ---- graph interface ------------------------------------------------------ */

static bool valid_val(const ir_graph *g, ir_val v)
{
	return v != IR_NOVAL && v < g->n_vals;
}

static void check_inputs(verifier *V)
{
	ir_graph *g = V->g;
	char buf[300], what[340];
	for (uint32_t i = 0; i < g->n_inputs; i++) {
		ir_val v = g->inputs[i];
		ir_loc loc = valid_val(g, v) ? g->vals[v].loc : g->loc;
		if (!valid_val(g, v)) {
			VERR(V, loc, "graph input #%u is not a valid value", (unsigned)i);
			continue;
		}
		if (!g->vals[v].name)
			VERR(V, loc, "graph input #%u has no name", (unsigned)i);
		if (V->defpos[v] != -2)
			VERR(V, loc, "graph input %s is also defined by an op", label(V, v, buf, sizeof buf));
		V->defpos[v] = -1;
		snprintf(what, sizeof what, "graph input %s", label(V, v, buf, sizeof buf));
		check_type(V, loc, what, &g->vals[v].type);
	}
}

static void check_outputs(verifier *V)
{
	ir_graph *g = V->g;
	for (uint32_t i = 0; i < g->n_outputs; i++) {
		const ir_output *o = &g->outputs[i];
		if (!o->name || !o->name[0])
			VERR(V, o->loc, "graph output #%u has an empty name", (unsigned)i);
		for (uint32_t j = 0; o->name && j < i; j++)
			if (g->outputs[j].name && strcmp(g->outputs[j].name, o->name) == 0) {
				VERR(V, o->loc, "graph output name \"%s\" is used twice", o->name);
				break;
			}
		if (!valid_val(g, o->val) || V->defpos[o->val] == -2)
			VERR(V, o->loc, "graph output \"%s\" is not a defined value", o->name ? o->name : "");
	}
	if (g->n_outputs == 0)
		VERR(V, g->loc, "graph %s%s%s has no outputs", ir_is_bare_ident(g->name, strlen(g->name)) ? "@" : "@\"",
		     g->name, ir_is_bare_ident(g->name, strlen(g->name)) ? "" : "\"");
}

/* Two values may not share a name: the text form could not tell them apart. */
static void check_names(verifier *V)
{
	ir_graph *g = V->g;
	uint32_t cap = 64;
	while (cap < g->n_vals * 2)
		cap *= 2;
	ir_val *tab = ir_alloc_array(V->c, cap, sizeof *tab);
	for (ir_val v = 1; v < g->n_vals; v++) {
		const char *s = g->vals[v].name;
		if (!s || V->defpos[v] == -2)
			continue;
		uint32_t h = 2166136261u;
		for (const char *p = s; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		for (h &= cap - 1; tab[h]; h = (h + 1) & (cap - 1))
			if (strcmp(g->vals[tab[h]].name, s) == 0)
				break;
		if (tab[h])
			VERR(V, g->vals[v].def ? g->vals[v].def->loc : g->vals[v].loc, "two values are named %s",
			     label(V, v, (char[300]){0}, 300));
		tab[h] = v;
	}
}

/* ---- ops ------------------------------------------------------------------ */

/* "2", "2 to 3" */
static const char *range(char *buf, size_t n, int lo, int hi)
{
	if (lo == hi)
		snprintf(buf, n, "%d", lo);
	else
		snprintf(buf, n, "%d to %d", lo, hi);
	return buf;
}

static int check_arity(verifier *V, const ir_op *op)
{
	int lo, hi, olo, ohi;
	char r[32];
	const char *name = ir_op_name(op->kind);
	ir_op_arity(op->kind, &lo, &hi, &olo, &ohi);
	if (op->n_in < lo || op->n_in > hi)
		return VERR(V, op->loc, "'%s' op: takes %s operand%s, not %d", name, range(r, sizeof r, lo, hi),
			    hi == 1 ? "" : "s", (int)op->n_in);
	if (op->n_out < olo || op->n_out > ohi)
		return VERR(V, op->loc, "'%s' op: has %s result%s, not %d", name, range(r, sizeof r, olo, ohi),
			    ohi == 1 ? "" : "s", (int)op->n_out);
	for (int32_t i = 0; i < lo && i < op->n_in; i++)
		if (op->in[i] == IR_NOVAL)
			return VERR(V, op->loc, "'%s' op: operand #%d is required", name, (int)i);
	return 0;
}

/* Operands must be defined before the op (SSA dominance in a straight-line graph). */
static int check_operands(verifier *V, const ir_op *op, int64_t pos)
{
	char buf[300];
	int bad = 0;
	for (int32_t i = 0; i < op->n_in; i++) {
		ir_val v = op->in[i];
		if (v == IR_NOVAL)
			continue;
		if (v >= V->g->n_vals)
			bad = VERR(V, op->loc, "'%s' op: operand #%d is not a valid value", ir_op_name(op->kind), (int)i);
		else if (V->defpos[v] == -2)
			bad = VERR(V, op->loc, "'%s' op: operand #%d (%s) is not defined by any op or graph input",
				   ir_op_name(op->kind), (int)i, label(V, v, buf, sizeof buf));
		else if (V->defpos[v] >= pos)
			bad = VERR(V, op->loc, "'%s' op: operand #%d (%s) is used before its definition at line %d",
				   ir_op_name(op->kind), (int)i, label(V, v, buf, sizeof buf),
				   (int)V->g->vals[v].def->loc.line);
	}
	return bad;
}

static const char *const kind_names[] = {"an int", "a float", "a string", "a list of ints", "a list of floats"};

static int check_attrs(verifier *V, const ir_op *op)
{
	int n, bad = 0;
	const ir_attr_spec *spec = ir_op_attr_specs(op->kind, &n);
	const char *name = ir_op_name(op->kind);
	for (int32_t i = 0; i < op->n_attrs; i++) {
		const ir_attr *a = &op->attrs[i];
		const ir_attr_spec *s = ir_op_attr_spec(op->kind, a->name);
		if (!s)
			bad = VERR(V, op->loc, "'%s' op: unknown attribute '%s'", name, a->name);
		else if (s->kind != a->kind)
			bad = VERR(V, op->loc, "'%s' op: attribute '%s' must be %s", name, a->name, kind_names[s->kind]);
		else if ((a->kind == IR_ATTR_INTS || a->kind == IR_ATTR_FLOATS) && a->n > IR_MAX_ATTR_ELEMS)
			bad = VERR(V, op->loc, "'%s' op: too many elements in attribute '%s' (limit is %d)", name,
				   a->name, IR_MAX_ATTR_ELEMS);
	}
	for (int i = 0; i < n; i++)
		if (spec[i].required && !ir_op_attr(op, spec[i].name))
			bad = VERR(V, op->loc, "'%s' op: missing required attribute '%s'", name, spec[i].name);
	return bad;
}

static int check_const(verifier *V, const ir_op *op)
{
	const ir_type *t = &V->g->vals[op->out[0]].type;
	int64_t bytes, n;
	if (!op->blob || op->blob >= V->g->n_blobs)
		return VERR(V, op->loc, "'const' op: no constant data");
	if (ir_type_bytes(t, &bytes) == 0 && V->g->blobs[op->blob].size != bytes)
		return VERR(V, op->loc, "'const' op: data has %lld bytes but the type needs %lld",
			    (long long)V->g->blobs[op->blob].size, (long long)bytes);
	if (!op->mask)
		return 0;
	if (op->mask >= V->g->n_blobs || ir_type_numel(t, &n) < 0 || V->g->blobs[op->mask].size != (n + 7) / 8)
		return VERR(V, op->loc, "'const' op: the sparsity mask must hold one bit per element");
	return 0;
}

/* The op's shape rule must reproduce the declared result types. */
static void check_inferred(verifier *V, ir_op *op)
{
	ir_type *want = ir_alloc_array(V->c, (size_t)op->n_out, sizeof *want);
	char buf[300], a[200], b[200];
	if (ir_infer(V->g, op, want) < 0) {
		V->errors++;
		return;
	}
	for (int32_t i = 0; i < op->n_out; i++) {
		ir_type have = V->g->vals[op->out[i]].type;
		have.quant = NULL;
		want[i].quant = NULL;
		if (ir_type_equal(&have, &want[i]))
			continue;
		ir_type_str(&have, a, sizeof a);
		ir_type_str(&want[i], b, sizeof b);
		VERR(V, op->loc, "'%s' op: result %s is declared %s but the operands give %s", ir_op_name(op->kind),
		     label(V, op->out[i], buf, sizeof buf), a, b);
	}
}

static bool check_results(verifier *V, ir_op *op)
{
	char what[340], buf[300];
	bool ok = true;
	for (int32_t i = 0; i < op->n_out; i++) {
		ir_val v = op->out[i];
		if (!valid_val(V->g, v) || V->g->vals[v].def != op || V->g->vals[v].res != i) {
			VERR(V, op->loc, "'%s' op: result #%d is not owned by this op", ir_op_name(op->kind), (int)i);
			ok = false;
			continue;
		}
		snprintf(what, sizeof what, "'%s' op: result %s", ir_op_name(op->kind), label(V, v, buf, sizeof buf));
		ok &= check_type(V, op->loc, what, &V->g->vals[v].type) == 0;
	}
	return ok;
}

/* One (scale, zero) pair per tensor, or per index of an existing axis. */
static bool quant_fits(const ir_type *t)
{
	const ir_quant *q = t->quant;
	return q->axis < t->rank && q->n == (q->axis < 0 ? 1 : t->dims[q->axis]);
}

static bool operand_types_ok(verifier *V, const ir_op *op)
{
	for (int32_t i = 0; i < op->n_in; i++) {
		ir_val v = op->in[i];
		if (v == IR_NOVAL)
			continue;
		const ir_type *t = &V->g->vals[v].type;
		int64_t n;
		if ((unsigned)t->dtype >= IR_NDTYPES || t->rank < 0 || t->rank > IR_MAX_RANK || ir_type_numel(t, &n) < 0)
			return false; /* already reported where the value is defined */
		if (t->quant && !quant_fits(t))
			return false; /* so are parameters that do not fit the shape */
	}
	return true;
}

static void check_op(verifier *V, ir_op *op, int64_t pos)
{
	if ((unsigned)op->kind >= IR_NOPS) {
		VERR(V, op->loc, "op #%lld has an invalid kind", (long long)pos);
		return;
	}
	if (check_arity(V, op) < 0)
		return;
	bool ok = check_operands(V, op, pos) == 0;
	ok &= check_results(V, op);
	ok &= check_attrs(V, op) == 0;
	if (op->kind == IR_OP_CONST)
		ok &= op->n_in == 0 && check_const(V, op) == 0;
	if (ok && operand_types_ok(V, op))
		check_inferred(V, op);
}

/* Record where each value is defined; a value defined twice is an error. */
static void collect_defs(verifier *V)
{
	ir_graph *g = V->g;
	for (ir_val v = 0; v < g->n_vals; v++)
		V->defpos[v] = -2;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		ir_op *op = g->ops[i];
		for (int32_t j = 0; j < op->n_out; j++) {
			ir_val v = op->out[j];
			if (!valid_val(g, v))
				continue;
			if (V->defpos[v] != -2)
				VERR(V, op->loc, "'%s' op: result #%d is already defined by another op",
				     ir_op_name(op->kind), (int)j);
			V->defpos[v] = i;
		}
	}
}

static int verify_all(ir_ctx *c, void *ud)
{
	verifier V = {.g = ud, .c = c};
	ir_graph *g = V.g;
	V.num = ir_number_values(g);
	V.defpos = ir_alloc_array(c, g->n_vals, sizeof *V.defpos);
	collect_defs(&V);
	check_inputs(&V);
	check_names(&V);
	for (uint32_t i = 0; i < g->n_ops; i++)
		check_op(&V, g->ops[i], i);
	check_outputs(&V);
	return V.errors ? -1 : 0;
}

int ir_verify(ir_graph *g)
{
	return ir_protect(g->ctx, verify_all, g);
}
