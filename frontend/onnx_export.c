/*
** onnx_export.c - a graph as an ONNX model (QDQ form for quantized graphs).
**
** The graph is first unfolded completely (quant_unfold with a predicate
** that accepts nothing): every op on quantized types goes back to float
** between a DequantizeLinear of each quantized operand and a
** QuantizeLinear of its result, with the op's own scales and zero points.
** What remains is ONNX as it is: constants become initializers (raw
** little-endian data, so f32 scales keep their exact bits), Q/DQ carry
** their parameters as operands, and every other op is written with its
** attributes under their ONNX names (the importer copies attributes by
** name, so the two directions agree).  A fused activation (the IR's
** activation attributes) is written as the separate Relu, Clip or
** LeakyRelu node it was before fusion; import and fuse-activation fold it
** back.  Importing the file and folding it (int8_fold_qdq) gives the
** integer graph again: test/tools/export.test checks that it is the same
** program (up to value labels and constant order), export-semantics.test
** that the file read as float QDQ computes that program's logits exactly.
**
** Only ops whose IR form is the ONNX opset-13 form are written; any other
** is an error naming the op, never a model ONNX Runtime would misread.
** Value names are kept (unnamed values get "_vN"), node names too.
*/
#include <stdio.h>
#include <string.h>

#include "frontend/onnx_export.h"
#include "frontend/onnx_internal.h"
#include "passes/quant_fold.h"

#define EXPORT_OPSET 13
#define EXPORT_IR_VERSION 8

/* Names are unique in ONNX (SSA); in the IR they are labels only, and an
** unfolded op and its new QuantizeLinear may share one.  An open-addressed
** set of the names taken so far, over the arena. */
typedef struct nameset {
	const char **slot;
	size_t cap;
} nameset;

typedef struct xp {
	ir_graph *g;
	ir_ctx *c;
	const char **names;          /* per value */
	nameset taken;
	Onnx__NodeProto **nodes;
	size_t n_nodes, cap_nodes;
	Onnx__TensorProto **inits;
	size_t n_inits;
} xp;

static void *xalloc(xp *x, size_t n, size_t sz)
{
	return ir_alloc_array(x->c, n ? n : 1, sz);
}

/* ONNX's TensorProto.DataType of dt; 0 when it has none here. */
static int32_t onnx_type_of(ir_dtype dt)
{
	switch (dt) {
	case IR_F32: return 1;
	case IR_U8: return 2;
	case IR_I8: return 3;
	case IR_I16: return 5;
	case IR_I32: return 6;
	case IR_I64: return 7;
	case IR_BOOL: return 9;
	case IR_F16: return 10;
	default: return 0;
	}
}

/* The ops written as they are: their IR operands and attributes are the
** ONNX opset-13 ones. */
static bool exportable(ir_opkind k)
{
	switch (k) {
	case IR_OP_CONV: case IR_OP_GEMM: case IR_OP_MATMUL: case IR_OP_ADD: case IR_OP_SUB:
	case IR_OP_MUL: case IR_OP_DIV: case IR_OP_RELU: case IR_OP_CLIP: case IR_OP_LEAKYRELU:
	case IR_OP_SIGMOID: case IR_OP_TANH: case IR_OP_MAXPOOL: case IR_OP_AVGPOOL:
	case IR_OP_GLOBALAVGPOOL: case IR_OP_GLOBALMAXPOOL: case IR_OP_FLATTEN: case IR_OP_RESHAPE:
	case IR_OP_TRANSPOSE: case IR_OP_CONCAT: case IR_OP_SOFTMAX: case IR_OP_IDENTITY:
	case IR_OP_QUANTIZE: case IR_OP_DEQUANTIZE:
		return true;
	default:
		return false;
	}
}

static bool never(const ir_graph *g, const ir_op *op)
{
	(void)g;
	(void)op;
	return false;
}

/* ---- names ------------------------------------------------------------------- */

static size_t name_hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* Take name; false when it was taken already. */
static bool take(nameset *ns, const char *name)
{
	size_t i = name_hash(name) & (ns->cap - 1);
	while (ns->slot[i]) {
		if (!strcmp(ns->slot[i], name))
			return false;
		i = (i + 1) & (ns->cap - 1);
	}
	ns->slot[i] = name;
	return true;
}

/* v's name: its own, or "_vN" when it has none or the name is taken (N
** is the value's index, unique). */
static void name_value(xp *x, nameset *ns, ir_val v)
{
	const char *n = x->g->vals[v].name;
	if (!n || !take(ns, n)) {
		char buf[32];
		snprintf(buf, sizeof buf, "_v%u", v);
		n = ir_strdup(x->c, buf);
		take(ns, n);
	}
	x->names[v] = n;
}

/* The live values in graph order (inputs, then results op by op), so that
** values of removed ops do not take names. */
static void name_values(xp *x)
{
	ir_graph *g = x->g;
	nameset ns = {NULL, 64};
	while (ns.cap < 4 * (size_t)g->n_vals + 64)
		ns.cap *= 2;
	ns.slot = xalloc(x, ns.cap, sizeof *ns.slot);
	x->names = xalloc(x, g->n_vals, sizeof *x->names);
	/* A graph output's value is written under the output's name (ONNX has
	** no other way to name an output); the first output of a value wins,
	** the others become Identity nodes (build_graph). */
	for (uint32_t i = 0; i < g->n_outputs; i++) {
		const ir_output *o = &g->outputs[i];
		if (!x->names[o->val] && take(&ns, o->name))
			x->names[o->val] = o->name;
	}
	for (uint32_t i = 0; i < g->n_inputs; i++)
		if (!x->names[g->inputs[i]])
			name_value(x, &ns, g->inputs[i]);
	for (uint32_t i = 0; i < g->n_ops; i++)
		for (int32_t k = 0; k < g->ops[i]->n_out; k++)
			if (!x->names[g->ops[i]->out[k]])
				name_value(x, &ns, g->ops[i]->out[k]);
	x->taken = ns;
}

/* A fresh name derived from base (the pre-activation value of a fused op). */
static const char *derived(xp *x, const char *base, const char *suffix)
{
	size_t n = strlen(base) + strlen(suffix) + 1;
	char *s = ir_alloc(x->c, n);
	snprintf(s, n, "%s%s", base, suffix);
	return s;
}

/* ---- tensors and value infos ----------------------------------------------------- */

static Onnx__TensorProto *tensor(xp *x, const char *name, const ir_type *t, const void *data, int64_t size)
{
	Onnx__TensorProto *p = xalloc(x, 1, sizeof *p);
	onnx__tensor_proto__init(p);
	p->name = (char *)name;
	p->has_data_type = 1;
	p->data_type = onnx_type_of(t->dtype);
	p->n_dims = (size_t)t->rank;
	p->dims = xalloc(x, (size_t)t->rank, sizeof *p->dims);
	memcpy(p->dims, t->dims, (size_t)t->rank * sizeof *p->dims);
	p->has_raw_data = 1;
	p->raw_data.len = (size_t)size;
	p->raw_data.data = (uint8_t *)data;
	return p;
}

static Onnx__ValueInfoProto *value_info(xp *x, const char *name, const ir_type *t)
{
	Onnx__ValueInfoProto *vi = xalloc(x, 1, sizeof *vi);
	Onnx__TypeProto *tp = xalloc(x, 1, sizeof *tp);
	Onnx__TypeProto__Tensor *tt = xalloc(x, 1, sizeof *tt);
	Onnx__TensorShapeProto *sh = xalloc(x, 1, sizeof *sh);
	onnx__value_info_proto__init(vi);
	onnx__type_proto__init(tp);
	onnx__type_proto__tensor__init(tt);
	onnx__tensor_shape_proto__init(sh);
	sh->n_dim = (size_t)t->rank;
	sh->dim = xalloc(x, (size_t)t->rank, sizeof *sh->dim);
	for (int32_t i = 0; i < t->rank; i++) {
		Onnx__TensorShapeProto__Dimension *d = xalloc(x, 1, sizeof *d);
		onnx__tensor_shape_proto__dimension__init(d);
		d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
		d->dim_value = t->dims[i];
		sh->dim[i] = d;
	}
	tt->has_elem_type = 1;
	tt->elem_type = onnx_type_of(t->dtype);
	tt->shape = sh;
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	vi->name = (char *)name;
	vi->type = tp;
	return vi;
}

/* ---- nodes ---------------------------------------------------------------------- */

static Onnx__AttributeProto *attribute(xp *x, const ir_attr *a)
{
	Onnx__AttributeProto *p = xalloc(x, 1, sizeof *p);
	onnx__attribute_proto__init(p);
	p->name = (char *)a->name;
	p->has_type = 1;
	switch (a->kind) {
	case IR_ATTR_INT:
		p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
		p->has_i = 1;
		p->i = a->u.i;
		break;
	case IR_ATTR_FLOAT:
		p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
		p->has_f = 1;
		p->f = a->u.f;
		break;
	case IR_ATTR_STR:
		p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
		p->has_s = 1;
		p->s.data = (uint8_t *)a->u.s;
		p->s.len = strlen(a->u.s);
		break;
	case IR_ATTR_INTS:
		p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
		p->n_ints = (size_t)a->n;
		p->ints = (int64_t *)a->u.ints;
		break;
	case IR_ATTR_FLOATS:
		p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
		p->n_floats = (size_t)a->n;
		p->floats = (float *)a->u.floats;
		break;
	}
	return p;
}

static Onnx__NodeProto *node(xp *x, const char *type, const char *name, int n_in, int n_out)
{
	Onnx__NodeProto *p = xalloc(x, 1, sizeof *p);
	onnx__node_proto__init(p);
	p->op_type = (char *)type;
	p->name = (char *)(name ? name : "");
	p->n_input = (size_t)n_in;
	p->input = xalloc(x, (size_t)n_in, sizeof *p->input);
	p->n_output = (size_t)n_out;
	p->output = xalloc(x, (size_t)n_out, sizeof *p->output);
	if (x->n_nodes == x->cap_nodes) {
		size_t cap = x->cap_nodes ? 2 * x->cap_nodes : 64;
		Onnx__NodeProto **nn = xalloc(x, cap, sizeof *nn);
		if (x->n_nodes)
			memcpy(nn, x->nodes, x->n_nodes * sizeof *nn);
		x->nodes = nn;
		x->cap_nodes = cap;
	}
	x->nodes[x->n_nodes++] = p;
	return p;
}

/* A scalar f32 initializer (a Clip bound). */
static const char *scalar(xp *x, const char *name, float v)
{
	ir_type t = {.dtype = IR_F32};
	float *d = xalloc(x, 1, sizeof *d);
	*d = v;
	x->inits[x->n_inits++] = tensor(x, name, &t, d, sizeof *d);
	return name;
}

/* The fused activation of op as its own node from pre to out. */
static void activation_node(xp *x, const ir_op *op, const ir_activation *a, const char *pre, const char *out)
{
	static const char *const type[] = {"", "Relu", "Clip", "LeakyRelu"};
	const char *nm = op->name ? derived(x, op->name, ".act") : NULL;
	Onnx__NodeProto *n = node(x, type[a->kind], nm, a->kind == IR_ACT_CLIP ? 3 : 1, 1);
	n->input[0] = (char *)pre;
	n->output[0] = (char *)out;
	if (a->kind == IR_ACT_CLIP) {
		n->input[1] = (char *)scalar(x, derived(x, out, ".lo"), a->lo);
		n->input[2] = (char *)scalar(x, derived(x, out, ".hi"), a->hi);
	} else if (a->kind == IR_ACT_LEAKYRELU) {
		ir_attr al = {.name = "alpha", .kind = IR_ATTR_FLOAT, .u.f = a->alpha};
		n->n_attribute = 1;
		n->attribute = xalloc(x, 1, sizeof *n->attribute);
		n->attribute[0] = attribute(x, &al);
	}
}

/*
** A DequantizeLinear's zero point that is a constant 0 is left out (its
** default).  Written out, it would be a constant equal to any all-zero
** tensor of its type, such as the int32 bias of a model whose biases are
** 0, and the importer's constant sharing would then make the bias and
** the zero point one value, which quant-fold cannot annotate.
*/
static bool zero_point_redundant(const ir_graph *g, const ir_op *op)
{
	if (op->kind != IR_OP_DEQUANTIZE || op->n_in < 3 || op->in[2] == IR_NOVAL)
		return false;
	const ir_blob *b = ir_const_of(g, op->in[2]);
	if (!b)
		return false;
	for (int64_t i = 0; i < b->size; i++)
		if (b->data[i])
			return false;
	return true;
}

static int not_exportable(ir_ctx *c, const ir_op *op)
{
	return ir_error(c, op->loc, "'%s' op%s%s%s: cannot be written as ONNX (export supports the ops of the "
			"int8 graphs: docs/quantization.md)", ir_op_name(op->kind), op->name ? " (node '" : "",
			op->name ? op->name : "", op->name ? "')" : "");
}

int onnx_export_check(const ir_graph *g)
{
	int rc = 0;
	for (uint32_t i = 0; i < g->n_ops; i++) {
		const ir_op *op = g->ops[i];
		ir_activation a;
		if (op->kind != IR_OP_CONST && (!exportable(op->kind) || ir_op_activation(op, &a) < 0))
			rc = not_exportable(g->ctx, op);
	}
	return rc;
}

static int op_node(xp *x, const ir_op *op)
{
	ir_activation a;
	if (!exportable(op->kind) || ir_op_activation(op, &a) < 0)
		return not_exportable(x->c, op);
	Onnx__NodeProto *n = node(x, ir_op_name(op->kind), op->name, op->n_in, op->n_out);
	if (zero_point_redundant(x->g, op))
		n->n_input = 2;
	for (int32_t i = 0; i < (int32_t)n->n_input; i++)
		n->input[i] = (char *)(op->in[i] == IR_NOVAL ? "" : x->names[op->in[i]]);
	for (int32_t i = 0; i < op->n_out; i++)
		n->output[i] = (char *)x->names[op->out[i]];
	n->attribute = xalloc(x, (size_t)op->n_attrs, sizeof *n->attribute);
	for (int32_t i = 0; i < op->n_attrs; i++)
		if (strncmp(op->attrs[i].name, "activation", 10))
			n->attribute[n->n_attribute++] = attribute(x, &op->attrs[i]);
	if (a.kind != IR_ACT_NONE) {
		/* The op's result keeps its name (fuse-activation keeps the
		** producer's on import); the activation's is new, and the
		** consumers, all later in the graph, read it. */
		const char *pre = x->names[op->out[0]], *out = derived(x, pre, ".act");
		for (int i = 2; !take(&x->taken, out); i++) {
			char sfx[32];
			snprintf(sfx, sizeof sfx, ".act%d", i);
			out = derived(x, pre, sfx);
		}
		activation_node(x, op, &a, pre, out);
		x->names[op->out[0]] = out;
	}
	return 0;
}

/* ---- the model -------------------------------------------------------------------- */

static int build_graph(xp *x, Onnx__GraphProto *gp)
{
	ir_graph *g = x->g;
	uint32_t *uses = ir_use_counts(g);   /* unused constants are left out */
	uint32_t n_consts = 0;
	for (uint32_t i = 0; i < g->n_ops; i++)
		if (zero_point_redundant(g, g->ops[i]))
			uses[g->ops[i]->in[2]]--;
	for (uint32_t i = 0; i < g->n_ops; i++)
		n_consts += g->ops[i]->kind == IR_OP_CONST;
	/* two Clip bounds per op at most, beside the constants */
	x->inits = xalloc(x, n_consts + 2 * (size_t)g->n_ops, sizeof *x->inits);
	for (uint32_t i = 0; i < g->n_ops; i++) {
		const ir_op *op = g->ops[i];
		if (op->kind == IR_OP_CONST && !uses[op->out[0]])
			continue;
		if (op->kind == IR_OP_CONST) {
			const ir_blob *b = ir_blob_get(g, op->blob);
			const ir_type *t = ir_type_of(g, op->out[0]);
			if (!onnx_type_of(t->dtype))
				return ir_error(x->c, op->loc, "constant of type %s: no ONNX type for it here",
						ir_dtype_name(t->dtype));
			x->inits[x->n_inits++] = tensor(x, x->names[op->out[0]], t, b->data, b->size);
		} else if (op_node(x, op) < 0) {
			return -1;
		}
	}
	gp->n_input = g->n_inputs;
	gp->input = xalloc(x, g->n_inputs, sizeof *gp->input);
	for (uint32_t i = 0; i < g->n_inputs; i++)
		gp->input[i] = value_info(x, x->names[g->inputs[i]], ir_type_of(g, g->inputs[i]));
	gp->n_output = g->n_outputs;
	gp->output = xalloc(x, g->n_outputs, sizeof *gp->output);
	for (uint32_t i = 0; i < g->n_outputs; i++) {
		const ir_output *o = &g->outputs[i];
		if (strcmp(o->name, x->names[o->val])) {
			Onnx__NodeProto *n = node(x, "Identity", NULL, 1, 1);
			n->input[0] = (char *)x->names[o->val];
			n->output[0] = (char *)o->name;
		}
		gp->output[i] = value_info(x, o->name, ir_type_of(g, o->val));
	}
	gp->name = (char *)(g->name ? g->name : "condense");
	gp->n_node = x->n_nodes;
	gp->node = x->nodes;
	gp->n_initializer = x->n_inits;
	gp->initializer = x->inits;
	return 0;
}

static int write_model(xp *x, Onnx__ModelProto *m, const char *path)
{
	size_t n = onnx__model_proto__get_packed_size(m);
	uint8_t *buf = xalloc(x, n, 1);
	onnx__model_proto__pack(m, buf);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, n, f) != n || fclose(f)) {
		if (f)
			fclose(f);
		remove(path);
		return ir_error(x->c, (ir_loc){0}, "cannot write '%s'", path);
	}
	return 0;
}

typedef struct export_job {
	ir_graph *g;
	const char *path;
} export_job;

static int export_protected(ir_ctx *c, void *ud)
{
	export_job *j = ud;
	xp x = {.g = j->g, .c = c};
	quant_unfold(j->g, never);
	name_values(&x);
	Onnx__GraphProto gp;
	Onnx__ModelProto m;
	Onnx__OperatorSetIdProto os;
	Onnx__OperatorSetIdProto *osp = &os;
	onnx__graph_proto__init(&gp);
	onnx__model_proto__init(&m);
	onnx__operator_set_id_proto__init(&os);
	if (build_graph(&x, &gp) < 0)
		return -1;
	os.domain = "";
	os.has_version = 1;
	os.version = EXPORT_OPSET;
	m.has_ir_version = 1;
	m.ir_version = EXPORT_IR_VERSION;
	m.n_opset_import = 1;
	m.opset_import = &osp;
	m.producer_name = "condense";
	m.graph = &gp;
	return write_model(&x, &m, j->path);
}

int onnx_export_file(ir_graph *g, const char *path)
{
	export_job j = {g, path};
	return ir_protect(g->ctx, export_protected, &j);
}
