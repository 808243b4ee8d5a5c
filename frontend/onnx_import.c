/*
** onnx_import.c - ModelProto to ir_graph.
**
** Order of work: the default-domain opset; every node's op type, checked
** against the op table before anything is imported, so that all
** unsupported ops are reported in one error; initializers (constants);
** graph inputs, with dynamic dims taken from the caller's pins; the nodes
** in their (required topological) order, each through its handler in
** onnx_ops.c; graph outputs, checked against their declared types; dead
** code removal (folding leaves constants behind) and ir_verify, which an
** import must pass (a failure there is condense's bug).
**
** Names: ONNX value names map to IR values through an open-addressing
** table; each value keeps its ONNX name, so names are unique because ONNX
** names are single-assignment (a second definition is an error).  Values
** the import creates internally stay unnamed.  A name may be "poisoned":
** bound to an output the import does not produce (MaxPool's Indices), so
** that a use reports why instead of "not defined".
*/
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "frontend/onnx_internal.h"
#include "passes/pass.h"

struct onnx_name {
	const char *name;            /* NULL: free slot */
	ir_val v;                    /* IR_NOVAL: poisoned */
	const char *why;             /* poisoned: what the use cannot have */
};

/* ---- diagnostics ------------------------------------------------------------- */

ir_loc onnx_loc(const onnx_imp *m)
{
	return (ir_loc){m->file, 0, 0};
}

const char *onnx_str(const char *s)
{
	return s ? s : "";
}

static int vfail(onnx_imp *m, onnx_status st, const char *prefix, const char *fmt, va_list ap)
{
	char msg[sizeof m->c->first_error];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (m->status == ONNX_OK)
		m->status = st;
	return ir_error(m->c, onnx_loc(m), "%s%s", prefix, msg);
}

int onnx_fail(onnx_imp *m, onnx_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(m, st, "", fmt, ap);
	va_end(ap);
	return -1;
}

const char *onnx_node_label(const onnx_node *n, char *buf, size_t size)
{
	const char *name = onnx_str(n->p->name), *op = onnx_str(n->p->op_type);
	if (name[0])
		snprintf(buf, size, "node '%.80s' (%.40s)", name, op);
	else
		snprintf(buf, size, "node #%" PRId64 " (%.40s)", n->index, op);
	return buf;
}

int onnx_node_fail(onnx_imp *m, const onnx_node *n, onnx_status st, const char *fmt, ...)
{
	char prefix[200];
	onnx_node_label(n, prefix, sizeof prefix - 2);
	strcat(prefix, ": ");
	va_list ap;
	va_start(ap, fmt);
	vfail(m, st, prefix, fmt, ap);
	va_end(ap);
	return -1;
}

int onnx_limit(onnx_imp *m, const char *what, int64_t value, int64_t limit)
{
	if (ir_check_limit(m->c, onnx_loc(m), what, value, limit) == 0)
		return 0;
	if (m->status == ONNX_OK)
		m->status = ONNX_UNSUPPORTED;
	return -1;
}

const char *onnx_type_str(const ir_type *t, char *buf, size_t n)
{
	size_t k = (size_t)snprintf(buf, n, "%s[", ir_dtype_name(t->dtype));
	for (int i = 0; i < t->rank && i < IR_MAX_RANK && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%" PRId64, i ? "," : "", t->dims[i]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
	return buf;
}

/* ---- names ---------------------------------------------------------------------- */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static onnx_name *name_slot(onnx_name *tab, uint32_t cap, const char *s)
{
	uint32_t i = name_hash(s) & (cap - 1);
	while (tab[i].name && strcmp(tab[i].name, s) != 0)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static const onnx_name *name_find(onnx_imp *m, const char *s)
{
	if (!m->cap_names)
		return NULL;
	onnx_name *e = name_slot(m->names, m->cap_names, s);
	return e->name ? e : NULL;
}

static void name_grow(onnx_imp *m)
{
	if ((uint64_t)(m->n_names + 1) * 2 <= m->cap_names)
		return;
	uint32_t cap = m->cap_names ? m->cap_names * 2 : 256;
	onnx_name *tab = ir_alloc_array(m->c, cap, sizeof *tab);
	for (uint32_t i = 0; i < m->cap_names; i++)
		if (m->names[i].name)
			*name_slot(tab, cap, m->names[i].name) = m->names[i];
	m->names = tab;
	m->cap_names = cap;
}

/* Bind name to v (or poison it with why when v is IR_NOVAL). */
static int name_bind(onnx_imp *m, const char *s, ir_val v, const char *why)
{
	if (onnx_limit(m, "bytes in one name", (int64_t)strlen(s), IR_MAX_NAME_LEN) < 0)
		return -1;
	name_grow(m);
	onnx_name *e = name_slot(m->names, m->cap_names, s);
	if (e->name)
		return onnx_fail(m, ONNX_MALFORMED, "value '%s' is defined twice (ONNX names are "
				 "single-assignment)", s);
	*e = (onnx_name){ir_strdup(m->c, s), v, why ? ir_strdup(m->c, why) : NULL};
	m->n_names++;
	return 0;
}

/* Bind and give v the ONNX name unless it has one. */
static int name_value(onnx_imp *m, const char *s, ir_val v)
{
	if (name_bind(m, s, v, NULL) < 0)
		return -1;
	if (!m->g->vals[v].name)
		m->g->vals[v].name = name_find(m, s)->name;
	return 0;
}

/* ---- opset and op check -------------------------------------------------------- */

static bool default_domain(const char *d)
{
	return !d || !d[0] || strcmp(d, "ai.onnx") == 0;
}

/* The default-domain opset into m->opset (-1 when not imported). */
static int find_opset(onnx_imp *m)
{
	const Onnx__ModelProto *mp = m->model;
	m->opset = -1;
	for (size_t i = 0; i < mp->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
		if (!default_domain(o->domain))
			continue;
		if (m->opset >= 0)
			return onnx_fail(m, ONNX_MALFORMED, "the model imports the default domain twice");
		m->opset = o->has_version && o->version >= 0 ? o->version : 0;
	}
	return 0;
}

/* After check_ops, which reports ops of other domains first. */
static int check_opset(onnx_imp *m)
{
	if (m->opset < 0)
		return onnx_fail(m, ONNX_MALFORMED, "the model imports no opset of the default domain");
	if (m->opset < ONNX_MIN_OPSET || m->opset > ONNX_MAX_OPSET)
		return onnx_fail(m, ONNX_UNSUPPORTED, "default-domain opset %" PRId64 " is not supported "
				 "(condense supports opsets %d to %d)", m->opset, ONNX_MIN_OPSET, ONNX_MAX_OPSET);
	return 0;
}

typedef struct missing {
	const Onnx__NodeProto *first;
	int64_t index, count;
} missing;

static bool same_op(const Onnx__NodeProto *a, const Onnx__NodeProto *b)
{
	return strcmp(onnx_str(a->op_type), onnx_str(b->op_type)) == 0 &&
	       strcmp(onnx_str(a->domain), onnx_str(b->domain)) == 0;
}

/* "'Loop' (node 'l', opset 13)" for one unsupported op type. */
static void missing_str(const onnx_imp *m, const missing *x, char *buf, size_t n)
{
	const Onnx__NodeProto *p = x->first;
	char node[120], more[40] = "", where[120];
	if (p->name && p->name[0])
		snprintf(node, sizeof node, "node '%.80s'", p->name);
	else
		snprintf(node, sizeof node, "node #%" PRId64, x->index);
	if (x->count > 1)
		snprintf(more, sizeof more, " and %" PRId64 " more", x->count - 1);
	if (default_domain(p->domain) && m->opset >= 0)
		snprintf(where, sizeof where, "opset %" PRId64, m->opset);
	else if (default_domain(p->domain))
		snprintf(where, sizeof where, "no opset");
	else
		snprintf(where, sizeof where, "domain '%.80s'", p->domain);
	snprintf(buf, n, "'%.80s' (%s%s, %s)", onnx_str(p->op_type), node, more, where);
}

/* Distinct unsupported op types listed; nodes of further types are counted. */
#define MAX_MISSING 100

/* One error listing every unsupported op type (what does not fit in one
** message goes into notes). */
static int report_missing(onnx_imp *m, const missing *x, int64_t n, int64_t others)
{
	char msg[440], one[400];
	size_t k = (size_t)snprintf(msg, sizeof msg, "%" PRId64 "%s unsupported op%s: ", n, others ? "+" : "",
				    n == 1 && !others ? "" : "s");
	int64_t shown = 0;
	for (; shown < n; shown++) {
		missing_str(m, &x[shown], one, sizeof one);
		if (k + strlen(one) + 2 >= sizeof msg - 24 && shown > 0)
			break;
		k += (size_t)snprintf(msg + k, sizeof msg - k, "%s%s", shown ? ", " : "", one);
	}
	if (shown < n)
		snprintf(msg + k, sizeof msg - k, ", and %" PRId64 " more", n - shown);
	onnx_fail(m, ONNX_UNSUPPORTED, "%s", msg);
	for (int64_t i = shown; i < n; i++) {
		missing_str(m, &x[i], one, sizeof one);
		ir_note(m->c, onnx_loc(m), "also unsupported: %s", one);
	}
	if (others)
		ir_note(m->c, onnx_loc(m), "and %" PRId64 " more nodes of further unsupported op types", others);
	return -1;
}

/* Every node's op must be in the table (default domain); -1 after one
** error listing all that are not. */
static int check_ops(onnx_imp *m, const Onnx__GraphProto *gp)
{
	if (onnx_limit(m, "nodes in one graph", (int64_t)gp->n_node, ONNX_MAX_NODES) < 0)
		return -1;
	missing *x = ir_alloc_array(m->c, MAX_MISSING, sizeof *x);
	int64_t n = 0, others = 0;
	for (size_t i = 0; i < gp->n_node; i++) {
		const Onnx__NodeProto *p = gp->node[i];
		if (default_domain(p->domain) && onnx_op_find(onnx_str(p->op_type)))
			continue;
		int64_t j = 0;
		while (j < n && !same_op(x[j].first, p))
			j++;
		if (j == n && n == MAX_MISSING) {
			others++;
			continue;
		}
		if (j == n)
			x[n++] = (missing){p, (int64_t)i, 0};
		x[j].count++;
	}
	return n ? report_missing(m, x, n, others) : 0;
}

/* ---- initializers and graph inputs ------------------------------------------- */

/* Each initializer becomes a const op named after it. */
static int import_initializers(onnx_imp *m, const Onnx__GraphProto *gp)
{
	if (gp->n_sparse_initializer)
		return onnx_fail(m, ONNX_UNSUPPORTED, "sparse initializers are not supported");
	for (size_t i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *t = gp->initializer[i];
		char what[200];
		ir_type ty;
		const void *data;
		int64_t size;
		if (!t->name || !t->name[0])
			return onnx_fail(m, ONNX_MALFORMED, "initializer #%zu has no name", i);
		snprintf(what, sizeof what, "initializer '%.150s'", t->name);
		if (onnx_tensor(m, t, what, &ty, &data, &size) < 0)
			return -1;
		ir_val v = ir_const_new(m->g, &ty, data, size);
		m->g->vals[v].def->loc = onnx_loc(m);
		if (name_value(m, t->name, v) < 0)
			return -1;
	}
	return 0;
}

/* The tensor type of a graph input or output; unsupported for others. */
static int tensor_type(onnx_imp *m, const Onnx__ValueInfoProto *vi, const char *what,
		       const Onnx__TypeProto__Tensor **tt)
{
	const Onnx__TypeProto *tp = vi->type;
	if (!tp || tp->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET)
		return onnx_fail(m, ONNX_MALFORMED, "%s has no type", what);
	if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
		return onnx_fail(m, ONNX_UNSUPPORTED, "%s is not a tensor (sequence, map, optional and "
				 "sparse types are not supported)", what);
	*tt = tp->tensor_type;
	return 0;
}

static int elem_type(onnx_imp *m, const Onnx__TypeProto__Tensor *tt, const char *what, ir_dtype *dt)
{
	char b[24];
	if (!tt->has_elem_type || tt->elem_type == 0)
		return onnx_fail(m, ONNX_MALFORMED, "%s has no element type", what);
	if (onnx_dtype(tt->elem_type, dt) < 0)
		return onnx_fail(m, ONNX_UNSUPPORTED, "%s has element type %s, which condense does not support",
				 what, onnx_dtype_name(tt->elem_type, b));
	return 0;
}

static bool name_is(const char *name, const char *s, size_t len)
{
	len = len ? len : strlen(s);
	return strlen(name) == len && memcmp(name, s, len) == 0;
}

static const onnx_shape_pin *find_pin(const onnx_imp *m, const char *name)
{
	for (int32_t i = 0; i < m->opt->n_pins; i++)
		if (name_is(name, m->opt->pins[i].name, m->opt->pins[i].name_len))
			return &m->opt->pins[i];
	return NULL;
}

/* Declared dim i of shape into *d; -1 in *d when it is dynamic. */
static int declared_dim(onnx_imp *m, const Onnx__TensorShapeProto *s, int i, const char *what, int64_t *d)
{
	const Onnx__TensorShapeProto__Dimension *dim = s->dim[i];
	*d = -1;
	if (dim->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
		return 0;
	if (dim->dim_value < 0)
		return onnx_fail(m, ONNX_MALFORMED, "%s: dimension %d is %" PRId64 "; dimensions cannot be "
				 "negative", what, i, dim->dim_value);
	if (dim->dim_value > IR_MAX_DIM)
		return onnx_fail(m, ONNX_UNSUPPORTED, "%s: dimension %d is %" PRId64 "; too large (limit is %"
				 PRId64 ")", what, i, dim->dim_value, IR_MAX_DIM);
	*d = dim->dim_value;
	return 0;
}

static int pin_mismatch(onnx_imp *m, const char *what, const char *src, const char *fmt, int64_t a, int64_t b)
{
	char msg[200];
	snprintf(msg, sizeof msg, fmt, a, b);
	return onnx_fail(m, ONNX_MALFORMED, "%s: %s %s", what, src, msg);
}

static int check_pin(onnx_imp *m, const onnx_shape_pin *pin, const char *what, const char *src)
{
	if (pin->rank < 0 || pin->rank > IR_MAX_RANK)
		return onnx_fail(m, ONNX_MALFORMED, "%s: %s gives %d dims", what, src, (int)pin->rank);
	for (int i = 0; i < pin->rank; i++)
		if (pin->dims[i] < 0 || pin->dims[i] > IR_MAX_DIM)
			return pin_mismatch(m, what, src, "sets dimension %" PRId64 " to %" PRId64, i, pin->dims[i]);
	return 0;
}

/*
** The shape of graph input name into t: the declared dims, dynamic ones
** from pin (NULL if none), which src names in diagnostics.
*/
static int input_shape(onnx_imp *m, const Onnx__TypeProto__Tensor *tt, const char *name, const char *what,
		       const onnx_shape_pin *pin, const char *src, ir_type *t)
{
	const Onnx__TensorShapeProto *s = tt->shape;
	if (!s && !pin)
		return onnx_fail(m, ONNX_UNSUPPORTED, "%s has no shape; give it with --input-shape %s=D0,D1,...",
				 what, name);
	int rank = s ? (int)(s->n_dim < 1000 ? s->n_dim : 1000) : pin->rank;
	char lim[300];
	snprintf(lim, sizeof lim, "dims in %s", what);
	if (onnx_limit(m, lim, s ? (int64_t)s->n_dim : rank, IR_MAX_RANK) < 0 ||
	    (pin && check_pin(m, pin, what, src) < 0))
		return -1;
	if (pin && pin->rank != rank)
		return pin_mismatch(m, what, src, "gives %" PRId64 " dims, but the model declares %" PRId64,
				    pin->rank, rank);
	t->rank = rank;
	for (int i = 0; i < rank; i++) {
		int64_t d = -1;
		if (s && declared_dim(m, s, i, what, &d) < 0)
			return -1;
		if (pin && d >= 0 && pin->dims[i] != d)
			return pin_mismatch(m, what, src, "sets a dimension to %" PRId64 ", but the model declares %"
					    PRId64, pin->dims[i], d);
		if (!pin && d < 0) {
			const Onnx__TensorShapeProto__Dimension *dim = s->dim[i];
			const char *param = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM ?
				onnx_str(dim->dim_param) : "";
			return onnx_fail(m, ONNX_UNSUPPORTED, "%s: dimension %d%s%.80s%s is dynamic; give its size "
					 "with --input-shape %s=D0,D1,...", what, i, param[0] ? " ('" : "", param,
					 param[0] ? "')" : "", name);
		}
		t->dims[i] = pin ? pin->dims[i] : d;
	}
	int64_t n;
	snprintf(lim, sizeof lim, "elements in %s", what);
	if (ir_type_numel(t, &n) < 0)
		return onnx_limit(m, lim, IR_MAX_ELEMENTS + 1, IR_MAX_ELEMENTS);
	return 0;
}

/* Graph input vi as the constant value of pin k. */
static int const_input(onnx_imp *m, const Onnx__ValueInfoProto *vi, const Onnx__TypeProto__Tensor *tt,
		       const char *what, const onnx_shape_pin *k, ir_type *t)
{
	static const char src[] = "the constant given for it";
	const ir_type *kt = &k->value->type;
	onnx_shape_pin pin = {.name = vi->name, .rank = kt->rank};
	int64_t bytes;
	memcpy(pin.dims, kt->dims, sizeof pin.dims);
	if (input_shape(m, tt, vi->name, what, &pin, src, t) < 0)
		return -1;
	if (kt->dtype != t->dtype)
		return onnx_fail(m, ONNX_MALFORMED, "%s: %s has element type %s, but the model declares %s", what,
				 src, ir_dtype_name(kt->dtype), ir_dtype_name(t->dtype));
	if (ir_type_bytes(t, &bytes) < 0)
		return onnx_limit(m, "elements in a constant input", IR_MAX_ELEMENTS + 1, IR_MAX_ELEMENTS);
	ir_val v = ir_const_new(m->g, t, k->value->data, bytes);
	m->g->vals[v].def->loc = onnx_loc(m);
	return name_value(m, vi->name, v);
}

/* Graph inputs, in order: an initializer of the same name makes one a
** constant, so does a pin with a value; the rest become graph inputs. */
static int import_inputs(onnx_imp *m, const Onnx__GraphProto *gp)
{
	for (size_t i = 0; i < gp->n_input; i++) {
		const Onnx__ValueInfoProto *vi = gp->input[i];
		const Onnx__TypeProto__Tensor *tt;
		char what[200];
		ir_type t = {0};
		if (!vi->name || !vi->name[0])
			return onnx_fail(m, ONNX_MALFORMED, "graph input #%zu has no name", i);
		const onnx_name *e = name_find(m, vi->name);
		if (e && m->g->vals[e->v].def)
			continue; /* an initializer: a constant */
		snprintf(what, sizeof what, "graph input '%.150s'", vi->name);
		if (tensor_type(m, vi, what, &tt) < 0 || elem_type(m, tt, what, &t.dtype) < 0)
			return -1;
		const onnx_shape_pin *pin = find_pin(m, vi->name);
		if (pin && pin->value) {
			if (const_input(m, vi, tt, what, pin, &t) < 0)
				return -1;
			continue;
		}
		if (input_shape(m, tt, vi->name, what, pin, "--input-shape", &t) < 0)
			return -1;
		ir_val v = ir_add_input(m->g, &t, NULL);
		m->g->vals[v].loc = onnx_loc(m);
		if (name_value(m, vi->name, v) < 0)
			return -1;
	}
	return 0;
}

/* 1 when name is a graph input, 0 when not, -1 when it is an initializer. */
static int input_kind(const Onnx__GraphProto *gp, const char *name)
{
	for (size_t i = 0; i < gp->n_initializer; i++)
		if (strcmp(onnx_str(gp->initializer[i]->name), name) == 0)
			return -1;
	for (size_t i = 0; i < gp->n_input; i++)
		if (strcmp(onnx_str(gp->input[i]->name), name) == 0)
			return 1;
	return 0;
}

/* Every pin must name a graph input that is not an initializer, once. */
static int check_pins(onnx_imp *m, const Onnx__GraphProto *gp)
{
	static const char *const why[] = {", which is an initializer, not a graph input",
					  ", which is not a graph input", "", " more than once"};
	for (int32_t i = 0; i < m->opt->n_pins; i++) {
		const onnx_shape_pin *p = &m->opt->pins[i];
		size_t len = p->name_len ? p->name_len : strlen(p->name);
		const char *name = ir_strndup(m->c, p->name, len);
		int k = input_kind(gp, name);
		if (k == 1 && find_pin(m, name) != p)
			k = 2;
		if (k != 1)
			return onnx_fail(m, ONNX_MALFORMED, "--input-shape names '%s'%s", name, why[k + 1]);
	}
	return 0;
}

/* ---- nodes ------------------------------------------------------------------------- */

static int32_t trim(char **names, size_t n)
{
	while (n > 0 && (!names[n - 1] || !names[n - 1][0]))
		n--;
	return (int32_t)n;
}

/* The node's input names to values; an empty name is an absent input. */
static int resolve_inputs(onnx_imp *m, onnx_node *n)
{
	n->in = ir_alloc_array(m->c, (size_t)n->n_in + 1, sizeof *n->in);
	for (int32_t i = 0; i < n->n_in; i++) {
		const char *s = n->p->input[i];
		if (!s || !s[0])
			continue;
		const onnx_name *e = name_find(m, s);
		if (!e)
			return onnx_node_fail(m, n, ONNX_MALFORMED, "input '%s' is not defined by an earlier node, "
					      "an initializer or a graph input", s);
		if (!e->v)
			return onnx_node_fail(m, n, ONNX_UNSUPPORTED, "input '%s' %s", s, e->why);
		n->in[i] = e->v;
	}
	return 0;
}

/* Attribute count, names present and distinct, no function references. */
static int check_attributes(onnx_imp *m, onnx_node *n)
{
	const Onnx__NodeProto *p = n->p;
	if (onnx_limit(m, "attributes of one node", (int64_t)p->n_attribute, IR_MAX_ATTRS) < 0)
		return -1;
	for (size_t i = 0; i < p->n_attribute; i++) {
		const char *a = onnx_str(p->attribute[i]->name);
		if (!a[0])
			return onnx_node_fail(m, n, ONNX_MALFORMED, "attribute #%zu has no name", i);
		if (p->attribute[i]->ref_attr_name)
			return onnx_node_fail(m, n, ONNX_MALFORMED, "attribute '%s' refers to a function attribute "
					      "outside a function", a);
		for (size_t j = 0; j < i; j++)
			if (strcmp(a, onnx_str(p->attribute[j]->name)) == 0)
				return onnx_node_fail(m, n, ONNX_MALFORMED, "attribute '%s' is given twice", a);
	}
	return 0;
}

/* After the handler: an attribute it did not read is unknown. */
static int check_used(onnx_imp *m, onnx_node *n)
{
	for (size_t i = 0; i < n->p->n_attribute; i++)
		if (!n->used[i])
			return onnx_node_fail(m, n, ONNX_MALFORMED, "unknown attribute '%s'",
					      n->p->attribute[i]->name);
	return 0;
}

/* Name the handler's results after the node's outputs; an output it did
** not produce is poisoned with the reason. */
static int bind_outputs(onnx_imp *m, onnx_node *n)
{
	char why[300];
	for (int32_t i = 0; i < n->n_out; i++) {
		const char *s = n->p->output[i];
		if (!s || !s[0])
			continue;
		if (name_find(m, s))
			return onnx_node_fail(m, n, ONNX_MALFORMED, "output '%s' is already defined (ONNX names "
					      "are single-assignment)", s);
		if (n->out[i])
			name_value(m, s, n->out[i]);
		else {
			char label[200];
			snprintf(why, sizeof why, "is output %d of %s, which condense does not produce%s%.120s",
				 (int)i, onnx_node_label(n, label, sizeof label), n->why[i] ? ": " : "",
				 onnx_str(n->why[i]));
			name_bind(m, s, IR_NOVAL, why);
		}
		if (m->status)
			return -1;
	}
	return 0;
}

/* Limits, counts, opset of the op, arrays and inputs of node n. */
static int node_setup(onnx_imp *m, onnx_node *n)
{
	const Onnx__NodeProto *p = n->p;
	if (onnx_limit(m, "inputs of one node", (int64_t)p->n_input, IR_MAX_OPERANDS) < 0 ||
	    onnx_limit(m, "outputs of one node", (int64_t)p->n_output, IR_MAX_OPERANDS) < 0 ||
	    onnx_limit(m, "bytes in one name", (int64_t)strlen(onnx_str(p->name)), IR_MAX_NAME_LEN) < 0)
		return -1;
	n->n_in = trim(p->input, p->n_input);
	n->n_out = trim(p->output, p->n_output);
	if (n->e->since > m->opset)
		return onnx_node_fail(m, n, ONNX_MALFORMED, "%s is not defined in opset %" PRId64
				      " (it first appears in opset %d)", n->e->name, m->opset, n->e->since);
	if (n->n_out == 0)
		return onnx_node_fail(m, n, ONNX_MALFORMED, "the node has no outputs");
	n->out = ir_alloc_array(m->c, (size_t)n->n_out + 4, sizeof *n->out);
	n->why = ir_alloc_array(m->c, (size_t)n->n_out + 4, sizeof *n->why);
	n->used = ir_alloc_array(m->c, p->n_attribute + 1, sizeof *n->used);
	return check_attributes(m, n) < 0 ? -1 : resolve_inputs(m, n);
}

/* One node through its handler (the op is known: check_ops ran). */
static int import_node(onnx_imp *m, const Onnx__NodeProto *p, int64_t index)
{
	onnx_node n = {.p = p, .e = onnx_op_find(onnx_str(p->op_type)), .index = index};
	if (node_setup(m, &n) < 0 || n.e->fn(m, &n) < 0 || check_used(m, &n) < 0)
		return -1;
	return bind_outputs(m, &n);
}

/* ---- graph outputs ---------------------------------------------------------------- */

/* "f32[1,?,10]": a declared type, '?' for dynamic dims. */
static const char *declared_str(ir_dtype dt, const Onnx__TensorShapeProto *s, char *buf, size_t n)
{
	size_t k = (size_t)snprintf(buf, n, "%s[", ir_dtype_name(dt));
	for (size_t i = 0; i < s->n_dim && i < IR_MAX_RANK + 1 && k < n; i++) {
		const Onnx__TensorShapeProto__Dimension *d = s->dim[i];
		if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
			k += (size_t)snprintf(buf + k, n - k, "%s%" PRId64, i ? "," : "", d->dim_value);
		else
			k += (size_t)snprintf(buf + k, n - k, "%s?", i ? "," : "");
	}
	if (k < n)
		snprintf(buf + k, n - k, "%s]", s->n_dim > IR_MAX_RANK + 1 ? ",..." : "");
	return buf;
}

/* The declared type of a graph output, where given, must be the computed one. */
static int check_output_type(onnx_imp *m, const Onnx__ValueInfoProto *vi, const char *what, ir_val v)
{
	const Onnx__TypeProto__Tensor *tt;
	const ir_type *have = ir_type_of(m->g, v);
	char ts[200], ds[200];
	ir_dtype dt = have->dtype;
	if (!vi->type)
		return 0;
	if (tensor_type(m, vi, what, &tt) < 0)
		return -1;
	if (tt->has_elem_type && tt->elem_type && elem_type(m, tt, what, &dt) < 0)
		return -1;
	bool bad = dt != have->dtype;
	const Onnx__TensorShapeProto *s = tt->shape;
	if (s)
		bad |= (int64_t)s->n_dim != have->rank;
	for (int i = 0; s && !bad && i < have->rank; i++) {
		int64_t d;
		if (declared_dim(m, s, i, what, &d) < 0)
			return -1;
		bad = d >= 0 && d != have->dims[i];
	}
	if (!bad)
		return 0;
	if (s)
		declared_str(dt, s, ds, sizeof ds);
	else
		snprintf(ds, sizeof ds, "%s", ir_dtype_name(dt));
	return onnx_fail(m, ONNX_MALFORMED, "%s is declared %s, but the graph computes %s", what, ds,
			 onnx_type_str(have, ts, sizeof ts));
}

/* Graph outputs: defined, produced, distinct, of their declared types. */
static int import_outputs(onnx_imp *m, const Onnx__GraphProto *gp)
{
	if (gp->n_output == 0)
		return onnx_fail(m, ONNX_MALFORMED, "the graph has no outputs");
	if (onnx_limit(m, "graph outputs", (int64_t)gp->n_output, IR_MAX_IO) < 0)
		return -1;
	for (size_t i = 0; i < gp->n_output; i++) {
		const Onnx__ValueInfoProto *vi = gp->output[i];
		char what[200];
		if (!vi->name || !vi->name[0])
			return onnx_fail(m, ONNX_MALFORMED, "graph output #%zu has no name", i);
		snprintf(what, sizeof what, "graph output '%.150s'", vi->name);
		const onnx_name *e = name_find(m, vi->name);
		if (!e)
			return onnx_fail(m, ONNX_MALFORMED, "%s is not defined by any node, initializer or graph input",
					 what);
		if (!e->v)
			return onnx_fail(m, ONNX_UNSUPPORTED, "%s %s", what, e->why);
		for (size_t j = 0; j < i; j++)
			if (strcmp(vi->name, onnx_str(gp->output[j]->name)) == 0)
				return onnx_fail(m, ONNX_MALFORMED, "%s is listed twice", what);
		if (check_output_type(m, vi, what, e->v) < 0)
			return -1;
		ir_add_output(m->g, vi->name, e->v);
		m->g->outputs[m->g->n_outputs - 1].loc = onnx_loc(m);
	}
	return 0;
}

/* ---- the model ---------------------------------------------------------------------- */

/* Drop what folding left unused; the result must verify. */
static int finish_graph(onnx_imp *m)
{
	pass_stats st = {0};
	if (pass_dce(m->g, &st) < 0)
		return -1;
	if (ir_verify(m->g) == 0)
		return 0;
	return onnx_fail(m, ONNX_MALFORMED, "internal error: the imported graph does not verify "
			 "(a bug in condense's ONNX import)");
}

int onnx_import_model(ir_ctx *c, void *ud)
{
	onnx_imp *m = ud;
	const Onnx__GraphProto *gp = m->model->graph;
	if (!gp)
		return onnx_fail(m, ONNX_MALFORMED, "the model has no graph");
	if (find_opset(m) < 0 || (m->opset >= 0 && check_opset(m) < 0) || check_ops(m, gp) < 0 ||
	    check_opset(m) < 0)
		return -1;
	if (onnx_limit(m, "bytes in one name", (int64_t)strlen(onnx_str(gp->name)), IR_MAX_NAME_LEN) < 0)
		return -1;
	m->g = ir_graph_new(c, gp->name && gp->name[0] ? gp->name : "main");
	m->g->loc = onnx_loc(m);
	if (import_initializers(m, gp) < 0 || check_pins(m, gp) < 0 || import_inputs(m, gp) < 0)
		return -1;
	for (size_t i = 0; i < gp->n_node; i++)
		if (import_node(m, gp->node[i], (int64_t)i) < 0)
			return -1;
	if (import_outputs(m, gp) < 0)
		return -1;
	return finish_graph(m);
}
