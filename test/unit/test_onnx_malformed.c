/*
** test_onnx_malformed.c - the ONNX loader on broken bytes.
**
**   unit_test_onnx_malformed [MODEL.onnx...]
**
** A small valid model is built here with protobuf-c (Conv, Relu, a
** shape-computing subgraph that folds, Reshape, Softmax, a Constant node, a
** pinned dynamic dim, typed and raw tensor data), and so is every model
** named on the command line.  Each is imported (a) truncated at every byte
** offset and (b) with single bytes replaced at 10,000 positions drawn by a
** fixed-seed xorshift.  The loader must never crash (the sanitizer build
** runs this too), every rejection must come with a diagnostic and a status,
** and every accepted variant must verify.
*/
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "onnx.pb-c.h"

#include "check.h"
#include "frontend/onnx.h"

#define FLIPS 10000

/* ---- building the model ------------------------------------------------------ */

static unsigned char pool[1 << 16];
static size_t pool_used;

/* Zeroed memory for the model under construction (freed with the process). */
static void *get(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (pool_used + n > sizeof pool)
		abort();
	pool_used += n;
	return pool + pool_used - n;
}

static char **strs(const char *const *s, size_t n)
{
	char **a = get(n * sizeof *a + 8);
	if (n)
		memcpy(a, s, n * sizeof *a);
	return a;
}

static Onnx__TensorProto *tensor(const char *name, int32_t dt, size_t rank, const int64_t *dims)
{
	Onnx__TensorProto *t = get(sizeof *t);
	onnx__tensor_proto__init(t);
	t->name = (char *)name;
	t->has_data_type = 1;
	t->data_type = dt;
	t->n_dims = rank;
	t->dims = get(rank * 8 + 8);
	if (rank)
		memcpy(t->dims, dims, rank * 8);
	return t;
}

static Onnx__AttributeProto *attr(const char *name, Onnx__AttributeProto__AttributeType type)
{
	Onnx__AttributeProto *a = get(sizeof *a);
	onnx__attribute_proto__init(a);
	a->name = (char *)name;
	a->has_type = 1;
	a->type = type;
	return a;
}

static Onnx__AttributeProto *attr_ints(const char *name, size_t n, const int64_t *v)
{
	Onnx__AttributeProto *a = attr(name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
	a->n_ints = n;
	a->ints = get(n * 8);
	memcpy(a->ints, v, n * 8);
	return a;
}

static Onnx__AttributeProto *attr_int(const char *name, int64_t v)
{
	Onnx__AttributeProto *a = attr(name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
	a->has_i = 1;
	a->i = v;
	return a;
}

static Onnx__NodeProto *node(const char *op, const char *name, size_t n_in, const char *const *in,
			     const char *out, size_t n_attr, Onnx__AttributeProto *const *attrs)
{
	Onnx__NodeProto *p = get(sizeof *p);
	onnx__node_proto__init(p);
	p->op_type = (char *)op;
	p->name = (char *)name;
	p->n_input = n_in;
	p->input = strs(in, n_in);
	p->n_output = 1;
	p->output = strs(&out, 1);
	p->n_attribute = n_attr;
	p->attribute = get(n_attr * sizeof *p->attribute + 8);
	if (n_attr)
		memcpy(p->attribute, attrs, n_attr * sizeof *attrs);
	return p;
}

/* dims[i] < 0 is a dynamic dim named "N". */
static Onnx__ValueInfoProto *value(const char *name, size_t rank, const int64_t *dims)
{
	Onnx__ValueInfoProto *v = get(sizeof *v);
	Onnx__TypeProto *tp = get(sizeof *tp);
	Onnx__TypeProto__Tensor *tt = get(sizeof *tt);
	Onnx__TensorShapeProto *s = get(sizeof *s);
	onnx__value_info_proto__init(v);
	onnx__type_proto__init(tp);
	onnx__type_proto__tensor__init(tt);
	onnx__tensor_shape_proto__init(s);
	s->n_dim = rank;
	s->dim = get(rank * sizeof *s->dim);
	for (size_t i = 0; i < rank; i++) {
		Onnx__TensorShapeProto__Dimension *d = get(sizeof *d);
		onnx__tensor_shape_proto__dimension__init(d);
		d->value_case = dims[i] < 0 ? ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
			: ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
		if (dims[i] < 0)
			d->dim_param = "N";
		else
			d->dim_value = dims[i];
		s->dim[i] = d;
	}
	tt->has_elem_type = 1;
	tt->elem_type = 1;
	tt->shape = s;
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	v->name = (char *)name;
	v->type = tp;
	return v;
}

static Onnx__TensorProto **initializers(size_t *n)
{
	static float w[3 * 2 * 3 * 3], b[3] = {0.5f, -0.25f, 0.125f};
	static int64_t idx0 = 0, axes[1] = {0}, minus1[1] = {-1};
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
		w[i] = (float)((int)(i % 7) - 3) * 0.1f;
	Onnx__TensorProto **t = get(5 * sizeof *t);
	t[0] = tensor("w", 1, 4, (int64_t[]){3, 2, 3, 3});
	t[0]->has_raw_data = 1;
	t[0]->raw_data = (ProtobufCBinaryData){sizeof w, (uint8_t *)w};
	t[1] = tensor("b", 1, 1, (int64_t[]){3});
	t[1]->n_float_data = 3;
	t[1]->float_data = b;
	t[2] = tensor("idx0", 7, 0, NULL);
	t[2]->n_int64_data = 1;
	t[2]->int64_data = &idx0;
	t[3] = tensor("axes", 7, 1, (int64_t[]){1});
	t[3]->n_int64_data = 1;
	t[3]->int64_data = axes;
	t[4] = tensor("minus1", 7, 1, (int64_t[]){1});
	t[4]->n_int64_data = 1;
	t[4]->int64_data = minus1;
	*n = 5;
	return t;
}

static Onnx__NodeProto **nodes(size_t *n)
{
	static float half = 0.5f;
	Onnx__TensorProto *c = tensor("c", 1, 0, NULL);
	c->n_float_data = 1;
	c->float_data = &half;
	Onnx__AttributeProto *value = attr("value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
	value->t = c;
	Onnx__NodeProto **p = get(10 * sizeof *p);
	p[0] = node("Conv", "conv", 3, (const char *[]){"x", "w", "b"}, "c1", 2,
		    (Onnx__AttributeProto *[]){attr_ints("pads", 4, (int64_t[]){1, 1, 1, 1}),
					       attr_ints("kernel_shape", 2, (int64_t[]){3, 3})});
	p[1] = node("Relu", "relu", 1, (const char *[]){"c1"}, "r", 0, NULL);
	p[2] = node("Shape", "shape", 1, (const char *[]){"r"}, "s", 0, NULL);
	p[3] = node("Gather", "gather", 2, (const char *[]){"s", "idx0"}, "n", 1,
		    (Onnx__AttributeProto *[]){attr_int("axis", 0)});
	p[4] = node("Unsqueeze", "unsq", 2, (const char *[]){"n", "axes"}, "n1", 0, NULL);
	p[5] = node("Concat", "concat", 2, (const char *[]){"n1", "minus1"}, "shp", 1,
		    (Onnx__AttributeProto *[]){attr_int("axis", 0)});
	p[6] = node("Reshape", "reshape", 2, (const char *[]){"r", "shp"}, "flat", 0, NULL);
	p[7] = node("Constant", "half", 0, NULL, "h", 1, (Onnx__AttributeProto *[]){value});
	p[8] = node("Mul", "mul", 2, (const char *[]){"flat", "h"}, "m", 0, NULL);
	p[9] = node("Softmax", "softmax", 1, (const char *[]){"m"}, "y", 1,
		    (Onnx__AttributeProto *[]){attr_int("axis", 1)});
	*n = 10;
	return p;
}

/* The packed model, malloc'd. */
static uint8_t *build_model(size_t *len)
{
	Onnx__GraphProto *g = get(sizeof *g);
	onnx__graph_proto__init(g);
	g->name = "malformed";
	g->node = nodes(&g->n_node);
	g->initializer = initializers(&g->n_initializer);
	g->n_input = 1;
	g->input = get(sizeof *g->input);
	g->input[0] = value("x", 4, (int64_t[]){-1, 2, 4, 4});
	g->n_output = 1;
	g->output = get(sizeof *g->output);
	g->output[0] = value("y", 2, (int64_t[]){1, 48});
	Onnx__OperatorSetIdProto *o = get(sizeof *o);
	onnx__operator_set_id_proto__init(o);
	o->domain = "";
	o->has_version = 1;
	o->version = 13;
	Onnx__ModelProto *m = get(sizeof *m);
	onnx__model_proto__init(m);
	m->has_ir_version = 1;
	m->ir_version = 8;
	m->n_opset_import = 1;
	m->opset_import = &o;
	m->graph = g;
	*len = onnx__model_proto__get_packed_size(m);
	uint8_t *buf = malloc(*len);
	onnx__model_proto__pack(m, buf);
	return buf;
}

/* ---- importing variants ----------------------------------------------------------- */

typedef struct tally {
	long ok, malformed, unsupported;
} tally;

/* Import one variant; every outcome must be consistent. */
static void try_bytes(const uint8_t *b, size_t n, const onnx_options *opts, tally *t)
{
	ir_ctx *c = ir_ctx_new((size_t)1 << 30);
	c->diag_out = NULL;
	onnx_status st = ONNX_OK;
	ir_graph *g = onnx_import_bytes(c, "variant.onnx", b, n, opts, &st);
	if (g) {
		CHECK(st == ONNX_OK && c->n_errors == 0);
		CHECK(ir_verify(g) == 0);
		t->ok++;
	} else {
		CHECK(st == ONNX_MALFORMED || st == ONNX_UNSUPPORTED);
		CHECK(c->n_errors > 0 && c->first_error[0]);
		if (c->n_errors == 0)
			fprintf(stderr, "rejected without a diagnostic (%zu bytes)\n", n);
		t->malformed += st == ONNX_MALFORMED;
		t->unsupported += st == ONNX_UNSUPPORTED;
	}
	ir_ctx_free(c);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void mutate(const char *what, const uint8_t *model, size_t len, const onnx_options *opts)
{
	tally tr = {0}, tf = {0};
	clock_t t0 = clock();
	uint8_t *b = malloc(len + 1);
	try_bytes(model, len, opts, &tr);
	CHECK(tr.ok == 1);
	for (size_t cut = 0; cut < len; cut++) {
		memcpy(b, model, cut);
		try_bytes(b, cut, opts, &tr);
	}
	uint64_t seed = 0x9e3779b97f4a7c15u;
	for (int i = 0; i < FLIPS; i++) {
		uint64_t r = xorshift(&seed);
		size_t pos = (size_t)(r % len);
		memcpy(b, model, len);
		b[pos] ^= (uint8_t)((r >> 32) % 255 + 1);
		try_bytes(b, len, opts, &tf);
	}
	free(b);
	printf("%s (%zu bytes): truncations %ld ok, %ld malformed, %ld unsupported; "
	       "flips %ld ok, %ld malformed, %ld unsupported; %.1f s\n", what, len, tr.ok, tr.malformed,
	       tr.unsupported, tf.ok, tf.malformed, tf.unsupported, (double)(clock() - t0) / CLOCKS_PER_SEC);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	if (!f || fseek(f, 0, SEEK_END) != 0 || (*len = (size_t)ftell(f)) == 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    !(buf = malloc(*len)) || fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	static const onnx_shape_pin pin = {.name = "x", .rank = 4, .dims = {1, 2, 4, 4}};
	static const onnx_options pinned = {&pin, 1}, none = {0};
	size_t len;
	uint8_t *model = build_model(&len);
	mutate("built-in model", model, len, &pinned);
	free(model);
	for (int i = 1; i < argc; i++) {
		model = read_file(argv[i], &len);
		CHECK(model != NULL);
		if (model)
			mutate(argv[i], model, len, &none);
		free(model);
	}
	return check_done("test_onnx_malformed");
}
