/*
** test_onnx_api.c - the frontend API beyond what condense-opt reaches:
** onnx_parse_shape_pin, onnx_load_tensor_file, constant-valued pins, and
** the element types and data fields of TensorProto.
*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnx.pb-c.h"

#include "check.h"
#include "frontend/onnx.h"

static char dir[] = "/tmp/test_onnx_api.XXXXXX";

/* ---- shape pins -------------------------------------------------------------- */

static void parse_pins(void)
{
	onnx_shape_pin p;
	CHECK(onnx_parse_shape_pin("x=1,3,224,224", &p) == 0);
	CHECK(p.rank == 4 && p.dims[0] == 1 && p.dims[3] == 224 && p.name_len == 1 && !p.value);
	CHECK(onnx_parse_shape_pin("a=b=2,5", &p) == 0); /* the name ends at the last '=' */
	CHECK(p.name_len == 3 && memcmp(p.name, "a=b", 3) == 0 && p.rank == 2 && p.dims[1] == 5);
	CHECK(onnx_parse_shape_pin("s=", &p) == 0 && p.rank == 0);
	CHECK(onnx_parse_shape_pin("x=1,2,3,4,5,6,7,8", &p) == 0 && p.rank == 8);
	CHECK(onnx_parse_shape_pin("x=1,2,3,4,5,6,7,8,9", &p) < 0);
	CHECK(onnx_parse_shape_pin("x=1099511627776", &p) == 0);  /* IR_MAX_DIM */
	CHECK(onnx_parse_shape_pin("x=1099511627777", &p) < 0);
	CHECK(onnx_parse_shape_pin("x=99999999999999999999999", &p) < 0);
	const char *bad[] = {"=1", "x", "", "x=-1", "x=1,", "x=,1", "x=1,,2", "x=1 ", "x=a", "x=1;2"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(onnx_parse_shape_pin(bad[i], &p) < 0);
}

/* ---- tensor files -------------------------------------------------------------- */

static void write_tensor(const char *name, const Onnx__TensorProto *t)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s.pb", dir, name);
	size_t n = onnx__tensor_proto__get_packed_size(t);
	uint8_t *buf = malloc(n + 1);
	onnx__tensor_proto__pack(t, buf);
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(buf, 1, n, f) == n);
	if (f)
		fclose(f);
	free(buf);
}

/* Load dir/name.pb into t; the diagnostic, if any, into c->first_error. */
static int load(ir_ctx *c, const char *name, interp_tensor *t, const char **tname)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s.pb", dir, name);
	c->diag_out = NULL;
	return onnx_load_tensor_file(c, path, t, tname);
}

static Onnx__TensorProto tensor(int32_t dt, size_t rank, int64_t *dims)
{
	Onnx__TensorProto t = ONNX__TENSOR_PROTO__INIT;
	t.has_data_type = 1;
	t.data_type = dt;
	t.n_dims = rank;
	t.dims = dims;
	return t;
}

static void typed_fields(void)
{
	int64_t d2[] = {2}, d23[] = {2, 3};
	float f[2] = {1.5f, -2};
	int32_t i32[2] = {-1, 0x3c00};
	int64_t i64[2] = {-5, 1ll << 40};
	Onnx__TensorProto t = tensor(1, 1, d2);
	t.name = "f";
	t.n_float_data = 2;
	t.float_data = f;
	write_tensor("f32", &t);
	t = tensor(10, 1, d2); /* f16 bits in int32_data */
	t.n_int32_data = 2;
	t.int32_data = i32;
	write_tensor("f16", &t);
	t = tensor(3, 1, d2); /* i8, narrowed */
	t.n_int32_data = 2;
	t.int32_data = i32;
	write_tensor("i8", &t);
	t = tensor(9, 1, d2); /* bool: nonzero is 1 */
	t.n_int32_data = 2;
	t.int32_data = i32;
	write_tensor("bool", &t);
	t = tensor(7, 1, d2);
	t.n_int64_data = 2;
	t.int64_data = i64;
	write_tensor("i64", &t);
	t = tensor(7, 1, d2); /* wrong field */
	t.n_float_data = 2;
	t.float_data = f;
	write_tensor("wrong_field", &t);
	t = tensor(1, 2, d23); /* too few values */
	t.n_float_data = 2;
	t.float_data = f;
	write_tensor("short", &t);
	t = tensor(1, 1, d2); /* two fields */
	t.n_float_data = 2;
	t.float_data = f;
	t.has_raw_data = 1;
	t.raw_data = (ProtobufCBinaryData){8, (uint8_t *)f};
	write_tensor("two_fields", &t);
	t = tensor(11, 1, d2); /* double */
	write_tensor("double", &t);
	t = tensor(1, 1, d2); /* no data */
	write_tensor("nodata", &t);
	t = tensor(1, 0, NULL);
	t.has_data_type = 0;
	write_tensor("notype", &t);
}

static void tensor_files(void)
{
	ir_ctx *c = ir_ctx_new(0);
	interp_tensor t;
	const char *name = "unset";
	typed_fields();
	CHECK(load(c, "f32", &t, &name) == 0 && name && strcmp(name, "f") == 0);
	CHECK(t.type.dtype == IR_F32 && t.type.rank == 1 && ((float *)t.data)[1] == -2);
	CHECK(load(c, "f16", &t, &name) == 0 && !name && t.type.dtype == IR_F16);
	CHECK(((uint16_t *)t.data)[0] == 0xffff && ((uint16_t *)t.data)[1] == 0x3c00);
	CHECK(load(c, "i8", &t, NULL) == 0 && ((int8_t *)t.data)[0] == -1 && ((int8_t *)t.data)[1] == 0);
	CHECK(load(c, "bool", &t, NULL) == 0 && ((uint8_t *)t.data)[0] == 1 && ((uint8_t *)t.data)[1] == 1);
	CHECK(load(c, "i64", &t, NULL) == 0 && ((int64_t *)t.data)[1] == 1ll << 40);
	CHECK(load(c, "wrong_field", &t, NULL) < 0 && strstr(c->first_error, "cannot be stored in float_data"));
	ir_ctx_free(c);
	static const struct {
		const char *file, *msg;
	} bad[] = {
		{"short", "float_data has 2 values, but f32[2,3] needs 6"},
		{"two_fields", "holds data in both raw_data and float_data"},
		{"double", "element type DOUBLE, which condense does not support"},
		{"nodata", "holds no data (f32[2] needs 8 bytes)"},
		{"notype", "has no element type"},
		{"missing", "cannot open"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		c = ir_ctx_new(0);
		CHECK(load(c, bad[i].file, &t, NULL) < 0 && c->n_errors == 1);
		CHECK(strstr(c->first_error, bad[i].msg) != NULL);
		if (!strstr(c->first_error, bad[i].msg))
			fprintf(stderr, "%s: %s\n", bad[i].file, c->first_error);
		ir_ctx_free(c);
	}
}

/* ---- constant pins ------------------------------------------------------------------ */

/* Squeeze(x, axes) with axes a graph input. */
static uint8_t *squeeze_model(size_t *len)
{
	static Onnx__TensorShapeProto__Dimension dx[3], da[1];
	static Onnx__TensorShapeProto__Dimension *px[3] = {&dx[0], &dx[1], &dx[2]}, *pa[1] = {&da[0]};
	static const int64_t xs[3] = {1, 3, 1};
	for (int i = 0; i < 3; i++) {
		onnx__tensor_shape_proto__dimension__init(&dx[i]);
		dx[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
		dx[i].dim_value = xs[i];
	}
	onnx__tensor_shape_proto__dimension__init(&da[0]);
	da[0].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
	da[0].dim_param = "K";
	Onnx__TensorShapeProto sx = ONNX__TENSOR_SHAPE_PROTO__INIT, sa = ONNX__TENSOR_SHAPE_PROTO__INIT;
	sx.n_dim = 3, sx.dim = px, sa.n_dim = 1, sa.dim = pa;
	Onnx__TypeProto__Tensor tx = ONNX__TYPE_PROTO__TENSOR__INIT, ta = ONNX__TYPE_PROTO__TENSOR__INIT;
	tx.has_elem_type = ta.has_elem_type = 1, tx.elem_type = 1, ta.elem_type = 7, tx.shape = &sx, ta.shape = &sa;
	Onnx__TypeProto ptx = ONNX__TYPE_PROTO__INIT, pta = ONNX__TYPE_PROTO__INIT;
	ptx.value_case = pta.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, ptx.tensor_type = &tx, pta.tensor_type = &ta;
	Onnx__ValueInfoProto vx = ONNX__VALUE_INFO_PROTO__INIT, va = ONNX__VALUE_INFO_PROTO__INIT,
		vy = ONNX__VALUE_INFO_PROTO__INIT;
	vx.name = "x", vx.type = &ptx, va.name = "axes", va.type = &pta, vy.name = "y";
	Onnx__ValueInfoProto *ins[2] = {&vx, &va}, *outs[1] = {&vy};
	char *nin[2] = {"x", "axes"}, *nout[1] = {"y"};
	Onnx__NodeProto nd = ONNX__NODE_PROTO__INIT, *nodes[1] = {&nd};
	nd.op_type = "Squeeze", nd.n_input = 2, nd.input = nin, nd.n_output = 1, nd.output = nout;
	Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
	g.name = "sq", g.n_node = 1, g.node = nodes, g.n_input = 2, g.input = ins, g.n_output = 1, g.output = outs;
	Onnx__OperatorSetIdProto o = ONNX__OPERATOR_SET_ID_PROTO__INIT, *os[1] = {&o};
	o.has_version = 1, o.version = 13;
	Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
	m.n_opset_import = 1, m.opset_import = os, m.graph = &g;
	*len = onnx__model_proto__get_packed_size(&m);
	uint8_t *buf = malloc(*len);
	onnx__model_proto__pack(&m, buf);
	return buf;
}

static void const_pins(void)
{
	size_t len;
	uint8_t *model = squeeze_model(&len);
	int64_t axes[2] = {0, 2};
	interp_tensor v = {{.dtype = IR_I64, .rank = 1, .dims = {2}}, axes};
	onnx_shape_pin pin = {.name = "axes", .value = &v};
	onnx_options opt = {&pin, 1};
	ir_ctx *c = ir_ctx_new(0);
	c->diag_out = NULL;
	ir_graph *g = onnx_import_bytes(c, "sq.onnx", model, len, &opt, NULL);
	CHECK(g && g->n_inputs == 1 && g->n_outputs == 1);
	CHECK(g && ir_type_of(g, g->outputs[0].val)->rank == 1 && ir_type_of(g, g->outputs[0].val)->dims[0] == 3);
	ir_ctx_free(c);
	interp_tensor wrong = {{.dtype = IR_I32, .rank = 1, .dims = {2}}, axes};
	pin.value = &wrong;
	c = ir_ctx_new(0);
	c->diag_out = NULL;
	onnx_status st = ONNX_OK;
	CHECK(!onnx_import_bytes(c, "sq.onnx", model, len, &opt, &st) && st == ONNX_MALFORMED);
	CHECK(strstr(c->first_error, "graph input 'axes': the constant given for it has element type i32, "
		     "but the model declares i64") != NULL);
	ir_ctx_free(c);
	c = ir_ctx_new(0);
	c->diag_out = NULL;
	CHECK(!onnx_import_bytes(c, "sq.onnx", model, len, NULL, &st) && st == ONNX_UNSUPPORTED);
	CHECK(strstr(c->first_error, "graph input 'axes': dimension 0 ('K') is dynamic") != NULL);
	ir_ctx_free(c);
	free(model);
}

int main(void)
{
	if (!mkdtemp(dir))
		return fprintf(stderr, "cannot create %s\n", dir), 1;
	parse_pins();
	tensor_files();
	const_pins();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	return check_done("test_onnx_api");
}
