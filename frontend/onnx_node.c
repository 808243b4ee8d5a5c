/*
** onnx_node.c - what the op handlers share: attributes, constant inputs,
** and emitting IR ops.
**
** An attribute's kind is its declared type or, for old models that leave
** the type out, the field that is set.  Every attribute a handler reads is
** marked used; the importer rejects a node with an attribute left unused.
**
** Emitting: onnx_emit appends an op with placeholder result types;
** onnx_finish runs the op's shape rule (ir_infer) for the real types and
** folds the op when every operand is a constant (the reference
** interpreter evaluates it; the result becomes const ops, and dead-code
** removal drops the op later).  That is how shape-computing subgraphs
** (Shape -> Gather -> Concat -> Reshape) disappear at import.  Not folded:
** DequantizeLinear (quantized weights stay quantized for later passes) and
** results over ONNX_MAX_FOLD_BYTES.
**
** A diagnostic of ir_infer or the interpreter is about an IR op; it is
** captured (the context's diag_out points at a memory stream meanwhile)
** and emitted again as the node's error, so that it names the node.
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "frontend/onnx_internal.h"

typedef Onnx__AttributeProto attr_t;

enum {
	A_UNDEF = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED,
	A_FLOAT = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT,
	A_INT = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT,
	A_STRING = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING,
	A_FLOATS = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS,
	A_INTS = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS,
};

static const char *const kind_names[] = {
	"untyped", "a float", "an int", "a string", "a tensor", "a graph", "a list of floats",
	"a list of ints", "a list of strings", "a list of tensors", "a list of graphs",
	"a sparse tensor", "a list of sparse tensors", "a type", "a list of types",
};

/* ---- attributes ------------------------------------------------------------ */

static int attr_type(const attr_t *a)
{
	if (a->has_type && (int)a->type != A_UNDEF)
		return (int)a->type;
	if (a->has_f) return A_FLOAT;
	if (a->has_i) return A_INT;
	if (a->has_s) return A_STRING;
	if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
	if (a->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
	if (a->n_floats) return A_FLOATS;
	if (a->n_ints) return A_INTS;
	if (a->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
	if (a->n_tensors) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS;
	if (a->n_graphs) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
	return A_UNDEF;
}

static const char *kind_name(int t)
{
	return t >= 0 && t < (int)(sizeof kind_names / sizeof kind_names[0]) ? kind_names[t] : "of an unknown type";
}

const Onnx__AttributeProto *onnx_attr(onnx_node *n, const char *name)
{
	for (size_t i = 0; i < n->p->n_attribute; i++) {
		if (strcmp(onnx_str(n->p->attribute[i]->name), name) == 0) {
			n->used[i] = true;
			return n->p->attribute[i];
		}
	}
	return NULL;
}

void onnx_attr_ignore(onnx_node *n, const char *const *names)
{
	for (; *names; names++)
		onnx_attr(n, *names);
}

/* The attribute name, NULL when absent; -1 when present with another kind
** (an empty list may come untyped). */
static int typed(onnx_imp *m, onnx_node *n, const char *name, int want, const attr_t **a)
{
	*a = onnx_attr(n, name);
	if (!*a)
		return 0;
	int t = attr_type(*a);
	if (t == want || (t == A_UNDEF && (want == A_INTS || want == A_FLOATS)))
		return 0;
	return onnx_node_fail(m, n, ONNX_MALFORMED, "attribute '%s' must be %s; it is %s", name,
			      kind_name(want), kind_name(t));
}

int onnx_attr_int(onnx_imp *m, onnx_node *n, const char *name, int64_t dflt, int64_t *v)
{
	const attr_t *a;
	if (typed(m, n, name, A_INT, &a) < 0)
		return -1;
	*v = a ? a->i : dflt;
	return 0;
}

int onnx_attr_float(onnx_imp *m, onnx_node *n, const char *name, float dflt, float *v)
{
	const attr_t *a;
	if (typed(m, n, name, A_FLOAT, &a) < 0)
		return -1;
	*v = a ? a->f : dflt;
	return 0;
}

int onnx_attr_str(onnx_imp *m, onnx_node *n, const char *name, const char *dflt, const char **s)
{
	const attr_t *a;
	if (typed(m, n, name, A_STRING, &a) < 0)
		return -1;
	*s = dflt;
	if (!a)
		return 0;
	if (onnx_limit(m, "bytes in one string attribute", (int64_t)a->s.len, IR_MAX_NAME_LEN) < 0)
		return -1;
	*s = ir_strndup(m->c, a->s.len ? (const char *)a->s.data : "", a->s.len);
	return 0;
}

int onnx_attr_tensor(onnx_imp *m, onnx_node *n, const char *name, bool *present, ir_type *t,
		     const void **data, int64_t *size)
{
	const attr_t *a;
	char what[300], label[200];
	*present = false;
	if (typed(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR, &a) < 0)
		return -1;
	if (!a)
		return 0;
	if (!a->t)
		return onnx_node_fail(m, n, ONNX_MALFORMED, "attribute '%s' holds no tensor", name);
	snprintf(what, sizeof what, "%s: attribute '%.60s'", onnx_node_label(n, label, sizeof label), name);
	*present = true;
	return onnx_tensor(m, a->t, what, t, data, size);
}

static int list_limit(onnx_imp *m, const char *name, size_t cnt)
{
	char what[120];
	snprintf(what, sizeof what, "values in attribute '%.60s'", name);
	return onnx_limit(m, what, (int64_t)cnt, IR_MAX_ATTR_ELEMS);
}

int onnx_attr_ints(onnx_imp *m, onnx_node *n, const char *name, const int64_t **v, int32_t *cnt)
{
	const attr_t *a;
	*v = NULL;
	*cnt = 0;
	if (typed(m, n, name, A_INTS, &a) < 0 || (a && list_limit(m, name, a->n_ints) < 0))
		return -1;
	if (a && a->n_ints) {
		*v = a->ints;
		*cnt = (int32_t)a->n_ints;
	}
	return 0;
}

int onnx_attr_floats(onnx_imp *m, onnx_node *n, const char *name, const float **v, int32_t *cnt)
{
	const attr_t *a;
	*v = NULL;
	*cnt = 0;
	if (typed(m, n, name, A_FLOATS, &a) < 0 || (a && list_limit(m, name, a->n_floats) < 0))
		return -1;
	if (a && a->n_floats) {
		*v = a->floats;
		*cnt = (int32_t)a->n_floats;
	}
	return 0;
}

/* Attribute a onto op as the IR schema's kind k. */
static int copy_attr(onnx_imp *m, onnx_node *n, ir_op *op, const char *name, ir_attr_kind k)
{
	int64_t i;
	float f;
	const char *s;
	const int64_t *iv;
	const float *fv;
	int32_t cnt;
	switch (k) {
	case IR_ATTR_INT:
		return onnx_attr_int(m, n, name, 0, &i) < 0 ? -1 : (ir_op_set_int(m->g, op, name, i), 0);
	case IR_ATTR_FLOAT:
		return onnx_attr_float(m, n, name, 0, &f) < 0 ? -1 : (ir_op_set_float(m->g, op, name, f), 0);
	case IR_ATTR_STR:
		return onnx_attr_str(m, n, name, "", &s) < 0 ? -1 : (ir_op_set_str(m->g, op, name, s), 0);
	case IR_ATTR_INTS:
		return onnx_attr_ints(m, n, name, &iv, &cnt) < 0 ? -1 : (ir_op_set_ints(m->g, op, name, iv, cnt), 0);
	default:
		return onnx_attr_floats(m, n, name, &fv, &cnt) < 0 ? -1 :
			(ir_op_set_floats(m->g, op, name, fv, cnt), 0);
	}
}

int onnx_copy_attrs(onnx_imp *m, onnx_node *n, ir_op *op)
{
	for (size_t i = 0; i < n->p->n_attribute; i++) {
		const char *name = onnx_str(n->p->attribute[i]->name);
		const ir_attr_spec *spec = ir_op_attr_spec(op->kind, name);
		if (n->used[i] || !spec)
			continue; /* an unknown one is reported once the handler is done */
		if (copy_attr(m, n, op, spec->name, spec->kind) < 0)
			return -1;
	}
	return 0;
}

/* ---- constant inputs --------------------------------------------------------- */

const ir_blob *onnx_input_const(onnx_imp *m, const onnx_node *n, int i)
{
	if (i >= n->n_in || !n->in[i])
		return NULL;
	const ir_blob *b = ir_const_of(m->g, n->in[i]);
	return b && !m->g->vals[n->in[i]].def->mask ? b : NULL;
}

int onnx_need_const(onnx_imp *m, const onnx_node *n, int i, const char *what)
{
	if (i >= n->n_in || !n->in[i])
		return onnx_node_fail(m, n, ONNX_MALFORMED, "input %d (%s) is required", i, what);
	if (!onnx_input_const(m, n, i))
		return onnx_node_fail(m, n, ONNX_UNSUPPORTED, "input %d (%s) must be a constant "
				      "(dynamic shapes are not supported)", i, what);
	return 0;
}

int64_t onnx_numel(onnx_imp *m, ir_val v)
{
	int64_t k = 0;
	ir_type_numel(ir_type_of(m->g, v), &k);
	return k;
}

/* Input i constant, of rank 0 or 1, one of the element types ok[0..nok). */
static int const_list(onnx_imp *m, onnx_node *n, int i, const char *what, const ir_dtype *ok, int nok,
		      interp_tensor *t)
{
	char ts[200];
	if (onnx_need_const(m, n, i, what) < 0)
		return -1;
	t->type = *ir_type_of(m->g, n->in[i]);
	t->data = (void *)onnx_input_const(m, n, i)->data;
	bool good = t->type.rank <= 1;
	for (int k = 0; good && k < nok && t->type.dtype != ok[k]; k++)
		good = k + 1 < nok;
	if (!good)
		return onnx_node_fail(m, n, ONNX_MALFORMED, "input %d (%s) must be a %s scalar or 1-D tensor; "
				      "it is %s", i, what, ok[0] == IR_I64 ? "i64 or i32" : "f32 or f16",
				      onnx_type_str(&t->type, ts, sizeof ts));
	char lim[120];
	snprintf(lim, sizeof lim, "values in input %d (%s)", i, what);
	return onnx_limit(m, lim, onnx_numel(m, n->in[i]), IR_MAX_ATTR_ELEMS);
}

int onnx_const_ints(onnx_imp *m, onnx_node *n, int i, const char *what, int64_t **v, int32_t *cnt)
{
	static const ir_dtype ok[] = {IR_I64, IR_I32};
	interp_tensor t;
	if (const_list(m, n, i, what, ok, 2, &t) < 0)
		return -1;
	*cnt = (int32_t)onnx_numel(m, n->in[i]);
	*v = ir_alloc_array(m->c, (size_t)*cnt + 1, sizeof **v);
	for (int32_t k = 0; k < *cnt; k++)
		(*v)[k] = interp_get_i(&t, k);
	return 0;
}

int onnx_const_floats(onnx_imp *m, onnx_node *n, int i, const char *what, float **v, int32_t *cnt)
{
	static const ir_dtype ok[] = {IR_F32, IR_F16};
	interp_tensor t;
	if (const_list(m, n, i, what, ok, 2, &t) < 0)
		return -1;
	*cnt = (int32_t)onnx_numel(m, n->in[i]);
	*v = ir_alloc_array(m->c, (size_t)*cnt + 1, sizeof **v);
	for (int32_t k = 0; k < *cnt; k++)
		(*v)[k] = (float)interp_get_f(&t, k);
	return 0;
}

/* ---- captured diagnostics ---------------------------------------------------- */

typedef struct capture {
	FILE *saved, *mem;
	int32_t errors;
	char buf[1024];
} capture;

static void capture_begin(ir_ctx *c, capture *k)
{
	memset(k->buf, 0, sizeof k->buf);
	k->saved = c->diag_out;
	k->errors = c->n_errors;
	k->mem = fmemopen(k->buf, sizeof k->buf - 1, "w");
	c->diag_out = k->mem;
}

/* End the capture; when rc < 0, emit the first captured error (without its
** "file: error: " head) as the node's error. */
static int capture_end(onnx_imp *m, onnx_node *n, capture *k, int rc, const char *doing)
{
	if (k->mem)
		fclose(k->mem);
	m->c->diag_out = k->saved;
	if (rc >= 0)
		return rc;
	m->c->n_errors = k->errors;
	const char *msg = strstr(k->buf, "error: ");
	msg = msg ? msg + 7 : "the operands do not fit the op";
	return onnx_node_fail(m, n, ONNX_MALFORMED, "%s%.*s", doing, (int)strcspn(msg, "\n"), msg);
}

/* ---- emitting ops ----------------------------------------------------------------- */

ir_op *onnx_emit(onnx_imp *m, onnx_node *n, ir_opkind k, const ir_val *in, int32_t n_in, int32_t n_out)
{
	ir_op *op = ir_op_append(m->g, k, in, n_in, NULL, n_out);
	op->loc = onnx_loc(m);
	if (n->p->name && n->p->name[0])
		op->name = ir_strdup(m->c, n->p->name);
	return op;
}

ir_val onnx_const_new(onnx_imp *m, onnx_node *n, const ir_type *t, const void *data, int64_t size)
{
	ir_val v = ir_const_new(m->g, t, data, size);
	ir_op *op = m->g->vals[v].def;
	op->loc = onnx_loc(m);
	if (n->p->name && n->p->name[0])
		op->name = ir_strdup(m->c, n->p->name);
	return v;
}

/* The IR schema's required attributes must be set (ir_infer assumes it). */
static int required_attrs(onnx_imp *m, onnx_node *n, const ir_op *op)
{
	int cnt;
	const ir_attr_spec *spec = ir_op_attr_specs(op->kind, &cnt);
	for (int i = 0; i < cnt; i++)
		if (spec[i].required && !ir_op_attr(op, spec[i].name))
			return onnx_node_fail(m, n, ONNX_MALFORMED, "missing required attribute '%s'", spec[i].name);
	return 0;
}

/* Every present operand an unmasked constant, at least one present, each
** result (types t) at most ONNX_MAX_FOLD_BYTES, the work at most
** IR_MAX_FOLD_WORK; not a const or a DequantizeLinear. */
static bool foldable(onnx_imp *m, const ir_op *op, const ir_type *t)
{
	int present = 0;
	if (op->kind == IR_OP_CONST || op->kind == IR_OP_DEQUANTIZE)
		return false;
	for (int32_t i = 0; i < op->n_in; i++) {
		ir_val v = op->in[i];
		if (!v)
			continue;
		const ir_blob *b = ir_const_of(m->g, v);
		if (!b || m->g->vals[v].def->mask)
			return false;
		present++;
	}
	for (int32_t r = 0; r < op->n_out; r++) {
		int64_t bytes;
		if (ir_type_bytes(&t[r], &bytes) < 0 || bytes > ONNX_MAX_FOLD_BYTES)
			return false;
	}
	return present > 0 && interp_cost(m->g, op) <= IR_MAX_FOLD_WORK;
}

/* Evaluate op with the interpreter; its results become const ops in res.
** op itself stays, unused, for dead-code removal. */
static int fold(onnx_imp *m, onnx_node *n, ir_op *op, ir_val *res)
{
	const interp_tensor **in = ir_alloc_array(m->c, (size_t)op->n_in + 1, sizeof *in);
	interp_tensor *out = ir_alloc_array(m->c, (size_t)op->n_out, sizeof *out);
	for (int32_t i = 0; i < op->n_in; i++) {
		if (!op->in[i])
			continue;
		interp_tensor *t = ir_alloc(m->c, sizeof *t);
		*t = (interp_tensor){*ir_type_of(m->g, op->in[i]), (void *)ir_const_of(m->g, op->in[i])->data};
		in[i] = t;
	}
	capture k;
	op->loc = (ir_loc){0};
	capture_begin(m->c, &k);
	int rc = interp_op(m->c, m->g, op, in, out);
	op->loc = onnx_loc(m);
	if (capture_end(m, n, &k, rc, "evaluating the node at import: ") < 0)
		return -1;
	for (int32_t r = 0; r < op->n_out; r++) {
		int64_t bytes;
		ir_type_bytes(&out[r].type, &bytes);
		res[r] = onnx_const_new(m, n, &out[r].type, out[r].data, bytes);
	}
	return 0;
}

int onnx_finish(onnx_imp *m, onnx_node *n, ir_op *op, ir_val *res)
{
	ir_type *t = ir_alloc_array(m->c, (size_t)op->n_out, sizeof *t);
	if (required_attrs(m, n, op) < 0)
		return -1;
	capture k;
	op->loc = (ir_loc){0};
	capture_begin(m->c, &k);
	int rc = ir_infer(m->g, op, t);
	op->loc = onnx_loc(m);
	if (capture_end(m, n, &k, rc, "") < 0)
		return -1;
	for (int32_t r = 0; r < op->n_out; r++)
		m->g->vals[op->out[r]].type = t[r];
	if (foldable(m, op, t))
		return fold(m, n, op, res);
	for (int32_t r = 0; r < op->n_out; r++)
		res[r] = op->out[r];
	return 0;
}

int onnx_emit1(onnx_imp *m, onnx_node *n, ir_opkind k, const ir_val *in, int32_t n_in, ir_val *res)
{
	return onnx_finish(m, n, onnx_emit(m, n, k, in, n_in, 1), res);
}

/* ---- constants ------------------------------------------------------------------- */

/* Bytes of t into *bytes; unsupported beyond ONNX_MAX_FOLD_BYTES. */
static int fold_size(onnx_imp *m, onnx_node *n, const ir_type *t, int64_t *bytes)
{
	char ts[200];
	if (ir_type_bytes(t, bytes) < 0 || *bytes > ONNX_MAX_FOLD_BYTES)
		return onnx_node_fail(m, n, ONNX_UNSUPPORTED, "the constant result %s is larger than condense "
				      "evaluates at import (limit is %" PRId64 " bytes)",
				      onnx_type_str(t, ts, sizeof ts), ONNX_MAX_FOLD_BYTES);
	return 0;
}

ir_val onnx_const_splat(onnx_imp *m, onnx_node *n, const ir_type *t, const void *elem)
{
	int64_t bytes, cnt;
	size_t w = (size_t)ir_dtype_bits(t->dtype) / 8;
	if (fold_size(m, n, t, &bytes) < 0)
		return IR_NOVAL;
	ir_type_numel(t, &cnt);
	uint8_t *d = ir_alloc(m->c, (size_t)bytes);
	for (int64_t i = 0; i < cnt; i++)
		memcpy(d + (size_t)i * w, elem, w);
	return onnx_const_new(m, n, t, d, bytes);
}

ir_val onnx_const_fill(onnx_imp *m, onnx_node *n, const ir_type *t, double v)
{
	uint64_t elem = 0;
	interp_tensor x = {{.dtype = t->dtype}, &elem};
	interp_set_f(&x, 0, v);
	return onnx_const_splat(m, n, t, &elem);
}

ir_val onnx_const_i64(onnx_imp *m, onnx_node *n, const int64_t *v, int32_t cnt)
{
	ir_type t = {.dtype = IR_I64, .rank = 1, .dims = {cnt}};
	return onnx_const_new(m, n, &t, v, (int64_t)cnt * 8);
}
