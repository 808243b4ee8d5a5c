/*
** test_infer.c - unit test of shape and type inference (ir/infer.c).
**
** Builds small graphs with the IR API and calls ir_infer() on single ops:
** OK() expects success and a result type, written as the text form prints
** it ("f32[1,16,8,8]"); BAD() expects failure with exactly one diagnostic
** that contains the given text.  Failures go to stderr; the exit status is
** non-zero when any check failed.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

static int n_checks, n_failed;

/* "f32[1,3,8,8]" (or "i64[]" for a scalar) as a type. */
static ir_type T(const char *s)
{
	ir_type t = {0};
	const char *b = strchr(s, '[');
	int dt = ir_dtype_from_name(s, (size_t)(b - s));
	if (dt < 0) {
		fprintf(stderr, "test_infer: bad type text %s\n", s);
		exit(2);
	}
	t.dtype = (ir_dtype)dt;
	for (const char *p = b + 1; *p != ']';) {
		char *e;
		t.dims[t.rank++] = strtoll(p, &e, 10);
		p = *e == ',' ? e + 1 : e;
	}
	return t;
}

static void fmt(const ir_type *t, char *buf, size_t n)
{
	size_t k = (size_t)snprintf(buf, n, "%s[", ir_dtype_name(t->dtype));
	for (int i = 0; i < t->rank && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)t->dims[i]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
}

static ir_val in(ir_graph *g, const char *type)
{
	ir_type t = T(type);
	return ir_add_input(g, &t, NULL);
}

static ir_val ci64(ir_graph *g, const int64_t *v, int n)
{
	ir_type t = {.dtype = IR_I64, .rank = 1, .dims = {n}};
	return ir_const_new(g, &t, v, 8 * (int64_t)n);
}

static ir_op *mk(ir_graph *g, ir_opkind k, const ir_val *v, int n)
{
	ir_type t = {0};
	return ir_op_append(g, k, v, n, &t, 1);
}

#define VALS(...) (ir_val[]){__VA_ARGS__}, (int)(sizeof((ir_val[]){__VA_ARGS__}) / sizeof(ir_val))
#define I64S(...) (int64_t[]){__VA_ARGS__}, (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t))
#define OPN(kind, ...) mk(g, IR_OP_##kind, VALS(__VA_ARGS__))
#define CONST(...) ci64(g, I64S(__VA_ARGS__))
#define INTS(op, name, ...) ir_op_set_ints(g, op, name, I64S(__VA_ARGS__))
#define OK(op, want) ok(g, op, want, __LINE__)
#define BAD(op, text) bad(g, op, text, __LINE__)

static void ok(ir_graph *g, const ir_op *op, const char *want, int line)
{
	ir_type out[1];
	char got[256];
	n_checks++;
	g->ctx->n_errors = 0;
	if (ir_infer(g, op, out) < 0) {
		fprintf(stderr, "test_infer.c:%d: %s: unexpected error: %s\n", line,
			ir_op_name(op->kind), g->ctx->first_error);
		n_failed++;
		return;
	}
	fmt(&out[0], got, sizeof got);
	if (strcmp(got, want) != 0 || out[0].quant) {
		fprintf(stderr, "test_infer.c:%d: %s: got %s, want %s\n", line, ir_op_name(op->kind), got, want);
		n_failed++;
	}
}

static void bad(ir_graph *g, const ir_op *op, const char *text, int line)
{
	ir_ctx *c = g->ctx;
	ir_type out[1];
	n_checks++;
	c->n_errors = 0;
	c->first_error[0] = 0;
	int rc = ir_infer(g, op, out);
	if (rc != -1 || c->n_errors != 1 || !strstr(c->first_error, text)) {
		fprintf(stderr, "test_infer.c:%d: %s: rc %d, %d errors, first \"%s\"; want one containing \"%s\"\n",
			line, ir_op_name(op->kind), rc, (int)c->n_errors, c->first_error, text);
		n_failed++;
	}
}

/* ---- successful inference ------------------------------------------------ */

static void test_conv(ir_graph *g)
{
	ir_op *op = OPN(CONV, in(g, "f32[1,3,8,8]"), in(g, "f32[16,3,3,3]"), in(g, "f32[16]"));
	INTS(op, "pads", 1, 1, 1, 1);
	OK(op, "f32[1,16,8,8]");
	op = OPN(CONV, in(g, "f32[1,3,224,224]"), in(g, "f32[64,3,7,7]"));
	INTS(op, "strides", 2, 2);
	INTS(op, "pads", 3, 3, 3, 3);
	INTS(op, "kernel_shape", 7, 7);
	OK(op, "f32[1,64,112,112]");
	op = OPN(CONV, in(g, "f32[1,8,32,32]"), in(g, "f32[8,8,3,3]"));
	INTS(op, "dilations", 2, 2);
	OK(op, "f32[1,8,28,28]");
	op = OPN(CONV, in(g, "f32[2,32,16,16]"), in(g, "f32[64,8,3,3]"));
	ir_op_set_int(g, op, "group", 4);
	INTS(op, "pads", 1, 1, 1, 1);
	OK(op, "f32[2,64,16,16]");
	op = OPN(CONV, in(g, "f32[1,32,10,10]"), in(g, "f32[32,1,3,3]"));
	ir_op_set_int(g, op, "group", 32);
	INTS(op, "strides", 2, 2);
	INTS(op, "pads", 1, 1, 1, 1);
	OK(op, "f32[1,32,5,5]");
	op = OPN(CONV, in(g, "f32[1,3,7,9]"), in(g, "f32[4,3,3,3]"));
	ir_op_set_str(g, op, "auto_pad", "SAME_UPPER");
	INTS(op, "strides", 2, 2);
	OK(op, "f32[1,4,4,5]");
	op = OPN(CONV, in(g, "f32[1,1,5,5]"), in(g, "f32[1,1,2,2]"));
	ir_op_set_str(g, op, "auto_pad", "VALID");
	INTS(op, "strides", 2, 2);
	OK(op, "f32[1,1,2,2]");
	op = OPN(CONV, in(g, "f16[1,4,10]"), in(g, "f16[2,4,3]"));
	INTS(op, "pads", 2, 0);
	OK(op, "f16[1,2,10]");
}

static void test_pool(ir_graph *g)
{
	ir_op *op = OPN(MAXPOOL, in(g, "f32[1,1,6,6]"));
	INTS(op, "kernel_shape", 3, 3);
	INTS(op, "strides", 2, 2);
	OK(op, "f32[1,1,2,2]");
	ir_op_set_int(g, op, "ceil_mode", 1);
	OK(op, "f32[1,1,3,3]");
	/* ceil mode would add a window starting in the end padding: dropped */
	op = OPN(MAXPOOL, in(g, "f32[1,1,6,6]"));
	INTS(op, "kernel_shape", 3, 3);
	INTS(op, "strides", 3, 3);
	INTS(op, "pads", 0, 0, 2, 2);
	ir_op_set_int(g, op, "ceil_mode", 1);
	OK(op, "f32[1,1,2,2]");
	op = OPN(MAXPOOL, in(g, "u8[2,3,9,9]"));
	INTS(op, "kernel_shape", 3, 3);
	INTS(op, "dilations", 2, 2);
	OK(op, "u8[2,3,5,5]");
	op = OPN(AVGPOOL, in(g, "f32[1,3,32,32]"));
	INTS(op, "kernel_shape", 2, 2);
	INTS(op, "strides", 2, 2);
	OK(op, "f32[1,3,16,16]");
	op = OPN(AVGPOOL, in(g, "f32[1,3,32,32]"));
	INTS(op, "kernel_shape", 3, 3);
	INTS(op, "pads", 1, 1, 1, 1);
	OK(op, "f32[1,3,32,32]");
	op = OPN(AVGPOOL, in(g, "f32[1,3,7,7]"));
	INTS(op, "kernel_shape", 2, 2);
	INTS(op, "strides", 2, 2);
	ir_op_set_str(g, op, "auto_pad", "SAME_LOWER");
	OK(op, "f32[1,3,4,4]");
	OK(OPN(GLOBALAVGPOOL, in(g, "f32[2,64,7,7]")), "f32[2,64,1,1]");
	OK(OPN(GLOBALMAXPOOL, in(g, "f32[2,64,5,6,7]")), "f32[2,64,1,1,1]");
}

static void test_linear(ir_graph *g)
{
	ir_op *op = OPN(GEMM, in(g, "f32[4,8]"), in(g, "f32[16,8]"), in(g, "f32[16]"));
	ir_op_set_int(g, op, "transB", 1);
	OK(op, "f32[4,16]");
	op = OPN(GEMM, in(g, "f32[8,4]"), in(g, "f32[8,3]"), in(g, "f32[4,1]"));
	ir_op_set_int(g, op, "transA", 1);
	OK(op, "f32[4,3]");
	OK(OPN(GEMM, in(g, "f32[2,3]"), in(g, "f32[3,5]")), "f32[2,5]");
	OK(OPN(MATMUL, in(g, "f32[2,1,3,4]"), in(g, "f32[5,4,6]")), "f32[2,5,3,6]");
	OK(OPN(MATMUL, in(g, "f32[3,4]"), in(g, "f32[4,6]")), "f32[3,6]");
	OK(OPN(MATMUL, in(g, "f32[4]"), in(g, "f32[4]")), "f32[]");
	OK(OPN(MATMUL, in(g, "f32[4]"), in(g, "f32[2,4,6]")), "f32[2,6]");
	OK(OPN(MATMUL, in(g, "i8[2,3,4]"), in(g, "i8[4]")), "i8[2,3]");
	ir_val x = in(g, "f32[1,3,8,8]"), c = in(g, "f32[3]");
	OK(OPN(BATCHNORM, x, c, c, c, c), "f32[1,3,8,8]");
}

static void test_shape(ir_graph *g)
{
	ir_val x = in(g, "f32[2,3,4]");
	OK(OPN(RESHAPE, x, CONST(0, -1)), "f32[2,12]");
	OK(OPN(RESHAPE, x, CONST(-1)), "f32[24]");
	OK(OPN(RESHAPE, x, CONST(4, 0, 2)), "f32[4,3,2]");
	OK(OPN(RESHAPE, in(g, "f32[1,1]"), ci64(g, NULL, 0)), "f32[]");
	ir_op *op = OPN(RESHAPE, in(g, "f32[0,3]"), CONST(0, 5));
	ir_op_set_int(g, op, "allowzero", 1);
	OK(op, "f32[0,5]");
	ir_val y = in(g, "i64[2,3,4,5]");
	op = OPN(FLATTEN, y);
	ir_op_set_int(g, op, "axis", 2);
	OK(op, "i64[6,20]");
	OK(OPN(FLATTEN, y), "i64[2,60]");
	op = OPN(FLATTEN, y);
	ir_op_set_int(g, op, "axis", 0);
	OK(op, "i64[1,120]");
	op = OPN(FLATTEN, y);
	ir_op_set_int(g, op, "axis", -1);
	OK(op, "i64[24,5]");
	OK(OPN(TRANSPOSE, x), "f32[4,3,2]");
	op = OPN(TRANSPOSE, x);
	INTS(op, "perm", 0, 2, 1);
	OK(op, "f32[2,4,3]");
	ir_val s = in(g, "f32[1,3,1,5]");
	OK(OPN(SQUEEZE, s), "f32[3,5]");
	OK(OPN(SQUEEZE, s, IR_NOVAL), "f32[3,5]");
	OK(OPN(SQUEEZE, s, CONST(-2)), "f32[1,3,5]");
	OK(OPN(SQUEEZE, s, CONST(0, 2)), "f32[3,5]");
	ir_val u = in(g, "f32[3,4]");
	OK(OPN(UNSQUEEZE, u, CONST(0, -1)), "f32[1,3,4,1]");
	OK(OPN(UNSQUEEZE, u, CONST(1)), "f32[3,1,4]");
	OK(OPN(UNSQUEEZE, in(g, "f32[]"), CONST(0)), "f32[1]");
	op = OPN(CONCAT, in(g, "f32[2,3]"), in(g, "f32[2,5]"), in(g, "f32[2,1]"));
	ir_op_set_int(g, op, "axis", 1);
	OK(op, "f32[2,9]");
	op = OPN(CONCAT, in(g, "f32[2,3]"), in(g, "f32[4,3]"));
	ir_op_set_int(g, op, "axis", -2);
	OK(op, "f32[6,3]");
}

static void test_elementwise(ir_graph *g)
{
	OK(OPN(ADD, in(g, "f32[2,3,4]"), in(g, "f32[3,1]")), "f32[2,3,4]");
	OK(OPN(MUL, in(g, "i32[5,1,4]"), in(g, "i32[1,6,1]")), "i32[5,6,4]");
	OK(OPN(SUB, in(g, "f32[]"), in(g, "f32[3]")), "f32[3]");
	OK(OPN(ADD, in(g, "f32[0,3]"), in(g, "f32[1,3]")), "f32[0,3]");
	OK(OPN(LESS, in(g, "f32[2,3]"), in(g, "f32[3]")), "bool[2,3]");
	OK(OPN(AND, in(g, "bool[2]"), in(g, "bool[2]")), "bool[2]");
	OK(OPN(WHERE, in(g, "bool[2,1]"), in(g, "f32[1,3]"), in(g, "f32[]")), "f32[2,3]");
	ir_op *op = OPN(CAST, in(g, "f32[2,3]"));
	ir_op_set_str(g, op, "to", "i64");
	OK(op, "i64[2,3]");
	OK(OPN(RELU, in(g, "i8[4]")), "i8[4]");
	OK(OPN(IDENTITY, in(g, "bool[2]")), "bool[2]");
	OK(OPN(CLIP, in(g, "f32[2,2]"), IR_NOVAL, in(g, "f32[]")), "f32[2,2]");
	OK(OPN(SOFTMAX, in(g, "f32[2,10]")), "f32[2,10]");
	op = OPN(SOFTMAX, in(g, "f32[2,10]"));
	ir_op_set_int(g, op, "axis", -2);
	OK(op, "f32[2,10]");
	ir_val k = CONST(1, 2, 3);
	OK(g->vals[k].def, "i64[3]");
}

static void test_quant(ir_graph *g)
{
	ir_val x = in(g, "f32[1,8,4,4]");
	OK(OPN(QUANTIZE, x, in(g, "f32[8]"), in(g, "i8[8]")), "i8[1,8,4,4]");
	OK(OPN(QUANTIZE, x, in(g, "f32[]")), "u8[1,8,4,4]");
	OK(OPN(QUANTIZE, x, in(g, "f32[]"), in(g, "u8[]")), "u8[1,8,4,4]");
	ir_op *op = OPN(DEQUANTIZE, in(g, "i8[16,3,3,3]"), in(g, "f32[16]"), in(g, "i8[16]"));
	ir_op_set_int(g, op, "axis", 0);
	OK(op, "f32[16,3,3,3]");
	op = OPN(DEQUANTIZE, in(g, "i32[6,5]"), in(g, "f32[5]"));
	ir_op_set_int(g, op, "axis", -1);
	OK(op, "f32[6,5]");
	OK(OPN(DEQUANTIZE, in(g, "u8[2,2]"), in(g, "f32[]"), in(g, "u8[]")), "f32[2,2]");
}

/* ---- errors -------------------------------------------------------------- */

static void test_errors_elementwise(ir_graph *g)
{
	BAD(OPN(ADD, in(g, "f32[2,3]"), in(g, "f32[4,3]")),
	    "'Add' op: operand shapes f32[2,3] and f32[4,3] do not broadcast");
	BAD(OPN(RELU, in(g, "bool[2]")), "'Relu' op: operand 0 has element type bool; expected a numeric type");
	BAD(OPN(SIGMOID, in(g, "i32[2]")), "expected a float type");
	BAD(OPN(ADD, in(g, "f32[2]"), in(g, "i32[2]")), "different element types (f32[2] and i32[2])");
	BAD(OPN(WHERE, in(g, "f32[2]"), in(g, "f32[2]"), in(g, "f32[2]")), "expected bool");
	BAD(OPN(WHERE, in(g, "bool[2]"), in(g, "f32[2]"), in(g, "f16[2]")), "different element types");
	BAD(OPN(WHERE, in(g, "bool[3]"), in(g, "f32[2,1]"), in(g, "f32[4]")), "do not broadcast");
	ir_op *op = OPN(CAST, in(g, "f32[2]"));
	ir_op_set_str(g, op, "to", "float");
	BAD(op, "'float', which is not an element type");
	BAD(OPN(CLIP, in(g, "f32[2]"), in(g, "f32[1]")), "operand 1 (the lower bound) must be a scalar f32[]");
	BAD(OPN(CLIP, in(g, "f32[2]"), IR_NOVAL, in(g, "f16[]")), "upper bound");
	op = OPN(SOFTMAX, in(g, "f32[2,3]"));
	ir_op_set_int(g, op, "axis", 2);
	BAD(op, "axis 2 is out of range for rank 2");
	BAD(OPN(SOFTMAX, in(g, "f32[]")), "axis -1 is out of range for rank 0");
	BAD(OPN(ADD, IR_NOVAL, in(g, "f32[2]")), "operand 0 is required");
}

static void test_errors_linear(ir_graph *g)
{
	BAD(OPN(MATMUL, in(g, "f32[2,3]"), in(g, "f32[4,5]")), "inner dims of f32[2,3] and f32[4,5] differ");
	BAD(OPN(MATMUL, in(g, "f32[]"), in(g, "f32[4]")), "rank >= 1");
	BAD(OPN(MATMUL, in(g, "f32[2,2,3]"), in(g, "f32[3,3,4]")), "batch dims");
	BAD(OPN(GEMM, in(g, "f32[4]"), in(g, "f32[4,2]")), "A and B must have rank 2");
	BAD(OPN(GEMM, in(g, "f32[2,3]"), in(g, "f32[3,4]"), in(g, "f32[3]")), "does not broadcast to the result f32[2,4]");
	ir_val c = in(g, "f32[4]");
	BAD(OPN(BATCHNORM, in(g, "f32[1,3,2,2]"), c, c, c, c), "operand 1 (scale) f32[4] must be [3]");
	BAD(OPN(BATCHNORM, in(g, "f32[3]"), c, c, c, c), "rank >= 2");
}

static void test_errors_conv(ir_graph *g)
{
	ir_op *op = OPN(CONV, in(g, "f32[1,6,8,8]"), in(g, "f32[4,4,3,3]"));
	ir_op_set_int(g, op, "group", 2);
	BAD(op, "with group 2");
	BAD(OPN(CONV, in(g, "f32[1,3,2,2]"), in(g, "f32[4,3,3,3]")), "the dilated kernel (3) exceeds the padded input (2)");
	BAD(OPN(CONV, in(g, "f32[]"), in(g, "f32[]")), "X must have rank >= 3");
	BAD(OPN(CONV, in(g, "f32[1,3,8,8]"), in(g, "f32[4,3,3]")), "must have the rank of X");
	BAD(OPN(CONV, in(g, "f32[1,3,8,8]"), in(g, "f32[4,3,3,3]"), in(g, "f32[3]")), "bias f32[3] must be [4]");
	op = OPN(CONV, in(g, "f32[1,3,8,8]"), in(g, "f32[4,3,3,3]"));
	INTS(op, "strides", 1, 0);
	BAD(op, "attribute 'strides' value 0 (index 1) must be >= 1");
	op = OPN(CONV, in(g, "f32[1,3,8,8]"), in(g, "f32[4,3,3,3]"));
	INTS(op, "pads", 1, 1);
	BAD(op, "attribute 'pads' has 2 values; expected 4");
	op = OPN(CONV, in(g, "f32[1,3,8,8]"), in(g, "f32[4,3,3,3]"));
	INTS(op, "kernel_shape", 3, 2);
	BAD(op, "'kernel_shape' does not match");
	op = OPN(CONV, in(g, "f32[1,3,8,8]"), in(g, "f32[4,3,3,3]"));
	INTS(op, "pads", 1, 1, 1, 1);
	ir_op_set_str(g, op, "auto_pad", "SAME_UPPER");
	BAD(op, "'pads' cannot be combined with auto_pad 'SAME_UPPER'");
	op = OPN(CONV, in(g, "f32[1,3,8,8]"), in(g, "f32[4,3,3,3]"));
	ir_op_set_str(g, op, "auto_pad", "SAME");
	BAD(op, "attribute 'auto_pad' is 'SAME'");
	op = OPN(CONV, in(g, "f32[1,3,8,8]"), in(g, "f32[4,3,3,3]"));
	INTS(op, "pads", INT64_MAX, 0, 0, 0);
	BAD(op, "spatial dim 0: window arithmetic overflows");
	op = OPN(CONV, in(g, "f32[1,3,8,8]"), in(g, "f32[4,3,3,3]"));
	INTS(op, "dilations", INT64_MAX / 2 + 1, 1);
	BAD(op, "window arithmetic overflows");
	op = OPN(CONV, in(g, "f32[1,1,8]"), in(g, "f32[1,1,1]"));
	INTS(op, "pads", (int64_t)1 << 41, 0);
	BAD(op, "too many elements in dim 2 of result 0 (limit is 1099511627776)");
	op = OPN(MAXPOOL, in(g, "f32[1,1,6,6]"));
	BAD(op, "missing required attribute 'kernel_shape'");
	op = OPN(MAXPOOL, in(g, "f32[1,1,6,6]"));
	INTS(op, "kernel_shape", 2, 2);
	ir_op_set_int(g, op, "ceil_mode", 2);
	BAD(op, "'ceil_mode' is 2");
	op = OPN(AVGPOOL, in(g, "f32[4,4]"));
	INTS(op, "kernel_shape", 2, 2);
	BAD(op, "rank >= 3");
	op = OPN(AVGPOOL, in(g, "f32[1,1,4,4]"));
	INTS(op, "kernel_shape", 2, 0);
	BAD(op, "'kernel_shape' value 0 (index 1) must be >= 1");
	BAD(OPN(GLOBALAVGPOOL, in(g, "f32[]")), "rank >= 3");
}

static void test_errors_shape(ir_graph *g)
{
	ir_val x = in(g, "f32[2,3]");
	BAD(OPN(RESHAPE, x, in(g, "i64[2]")),
	    "'Reshape' op: the shape operand must be a constant (shape-computing subgraphs are folded at import)");
	BAD(OPN(RESHAPE, x, CONST(4, -1)), "cannot reshape f32[2,3] (6 elements) to f32[4,-1]");
	BAD(OPN(RESHAPE, x, CONST(3, 3)), "cannot reshape f32[2,3] (6 elements) to f32[3,3]");
	BAD(OPN(RESHAPE, x, CONST(-1, -1)), "more than one -1");
	BAD(OPN(RESHAPE, x, CONST(-2, -3)), "shape value -2 at index 0 is negative");
	BAD(OPN(RESHAPE, x, CONST(1, 1, 0)), "shape value 0 at index 2 copies a dim");
	BAD(OPN(RESHAPE, x, CONST(1, 1, 1, 1, 1, 1, 1, 1, 6)), "has 9 values; too many (limit is 8)");
	BAD(OPN(RESHAPE, x, CONST((int64_t)1 << 62, 4)), "cannot reshape");
	ir_op *op = OPN(RESHAPE, in(g, "f32[0,3]"), CONST(0, -1));
	ir_op_set_int(g, op, "allowzero", 1);
	BAD(op, "cannot hold both 0 and -1");
	op = OPN(TRANSPOSE, in(g, "f32[2,3,4]"));
	INTS(op, "perm", 0, 0, 1);
	BAD(op, "not a permutation of 0..2");
	op = OPN(TRANSPOSE, in(g, "f32[2,3,4]"));
	INTS(op, "perm", 1, 0);
	BAD(op, "'perm' has 2 values");
	BAD(OPN(SQUEEZE, in(g, "f32[1,3]"), CONST(1)), "cannot squeeze dim 1 of f32[1,3]");
	BAD(OPN(SQUEEZE, in(g, "f32[1,3]"), CONST(0, -2)), "the axes name dim 0 twice");
	BAD(OPN(SQUEEZE, in(g, "f32[]"), CONST(0)), "axis 0 is out of range for rank 0");
	BAD(OPN(SQUEEZE, in(g, "f32[1,3]"), in(g, "i64[1]")), "the axes operand must be a constant");
	BAD(OPN(UNSQUEEZE, in(g, "f32[1,1,1,1,1,1,1,1]"), CONST(0)), "too many dims in the result: 9 (limit is 8)");
	BAD(OPN(UNSQUEEZE, in(g, "f32[3]"), CONST(0, -3)), "the axes name dim 0 twice");
	BAD(OPN(UNSQUEEZE, in(g, "f32[3]"), CONST(2)), "axis 2 is out of range for the result's rank 2");
	op = OPN(FLATTEN, in(g, "f32[2,3]"));
	ir_op_set_int(g, op, "axis", 3);
	BAD(op, "axis 3 is out of range for rank 2");
	op = OPN(CONCAT, in(g, "f32[2,3]"), in(g, "f32[3,3]"));
	ir_op_set_int(g, op, "axis", 1);
	BAD(op, "operand 1 f32[3,3] does not match operand 0 f32[2,3] outside axis 1");
	op = OPN(CONCAT, in(g, "f32[2,3]"), in(g, "f32[2]"));
	ir_op_set_int(g, op, "axis", 0);
	BAD(op, "does not match");
	BAD(OPN(CONCAT, in(g, "f32[2]"), in(g, "f32[2]")), "missing required attribute 'axis'");
	op = OPN(CONCAT, in(g, "f32[1099511627776]"), in(g, "f32[1]"));
	ir_op_set_int(g, op, "axis", 0);
	BAD(op, "too many elements in dim 0 of result 0 (limit is 1099511627776)");
	op = OPN(CONCAT, in(g, "f32[2]"), IR_NOVAL);
	ir_op_set_int(g, op, "axis", 0);
	BAD(op, "operand 1 is absent");
}

static void test_errors_quant(ir_graph *g)
{
	BAD(OPN(QUANTIZE, in(g, "f32[1,8,4,4]"), in(g, "f32[4]")), "the per-axis scale f32[4] needs one value per index of axis 1");
	BAD(OPN(QUANTIZE, in(g, "f32[1,8]"), in(g, "f32[8]"), in(g, "i8[]")), "the zero point i8[] must have the shape of the scale f32[8]");
	BAD(OPN(QUANTIZE, in(g, "f32[1,8]"), in(g, "f32[]"), in(g, "i32[]")), "expected u8, i8 or i16");
	BAD(OPN(QUANTIZE, in(g, "f32[1,8]"), in(g, "f16[]")), "the scale must be an f32 scalar or 1-D");
	BAD(OPN(QUANTIZE, in(g, "f32[]"), in(g, "f32[1]")), "axis 1 is out of range for rank 0");
	BAD(OPN(DEQUANTIZE, in(g, "f32[2]"), in(g, "f32[]")), "operand 0 has element type f32; expected i8, u8, i16, i32 or i4");
	BAD(OPN(DEQUANTIZE, in(g, "i8[2]"), in(g, "f32[]"), in(g, "u8[]")), "different element types (i8[2] and u8[])");
}

static int run(ir_ctx *c, void *ud)
{
	(void)ud;
	ir_graph *g = ir_graph_new(c, "t");
	test_conv(g);
	test_pool(g);
	test_linear(g);
	test_shape(g);
	test_elementwise(g);
	test_quant(g);
	test_errors_elementwise(g);
	test_errors_linear(g);
	test_errors_conv(g);
	test_errors_shape(g);
	test_errors_quant(g);
	return 0;
}

int main(void)
{
	ir_ctx *c = ir_ctx_new(0);
	if (!c)
		return 2;
	c->diag_out = NULL;
	int rc = ir_protect(c, run, NULL);
	if (rc < 0)
		fprintf(stderr, "test_infer: unexpected unwind: %s\n", c->first_error);
	ir_ctx_free(c);
	if (n_failed)
		fprintf(stderr, "test_infer: %d of %d checks failed\n", n_failed, n_checks);
	return rc < 0 || n_failed ? 1 : 0;
}
