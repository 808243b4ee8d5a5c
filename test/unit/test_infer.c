/*
** test_infer.c - unit test of shape and type inference (ir/infer.c).
**
** Builds small graphs with the IR API and calls ir_infer() on single ops:
** OK() expects success and the result types, written as the text form
** prints them and separated by spaces ("f32[1,16,8,8]", "u8[2] f32[] u8[]");
** BAD() expects failure with exactly one diagnostic that contains the given
** text.  OPN() makes an op with one result, OPR() one with n.  Failures go to stderr; the exit status is
** non-zero when any check failed.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "testir.h"

static int n_checks, n_failed;

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

static ir_op *mk(ir_graph *g, ir_opkind k, const ir_val *v, int n, int n_out)
{
	ir_type *t = ir_alloc_array(g->ctx, (size_t)n_out, sizeof *t);
	return ir_op_append(g, k, v, n, t, n_out);
}

#define OPN(kind, ...) mk(g, IR_OP_##kind, VALS(__VA_ARGS__), 1)
#define OPR(kind, n_out, ...) mk(g, IR_OP_##kind, VALS(__VA_ARGS__), n_out)
#define CONST(...) ci64(g, I64S(__VA_ARGS__))
#define INTS(op, name, ...) ir_op_set_ints(g, op, name, I64S(__VA_ARGS__))
#define FLOATS(op, name, ...) \
	ir_op_set_floats(g, op, name, (float[]){__VA_ARGS__}, \
			 (int)(sizeof((float[]){__VA_ARGS__}) / sizeof(float)))
#define OK(op, want) ok(g, op, want, __LINE__)
#define BAD(op, text) bad(g, op, text, __LINE__)

static void ok(ir_graph *g, const ir_op *op, const char *want, int line)
{
	ir_type *out = ir_alloc_array(g->ctx, (size_t)op->n_out, sizeof *out);
	char got[1024];
	size_t k = 0;
	bool quant = false;
	n_checks++;
	g->ctx->n_errors = 0;
	if (ir_infer(g, op, out) < 0) {
		fprintf(stderr, "test_infer.c:%d: %s: unexpected error: %s\n", line,
			ir_op_name(op->kind), g->ctx->first_error);
		n_failed++;
		return;
	}
	for (int i = 0; i < op->n_out && k + 1 < sizeof got; i++) {
		if (i)
			got[k++] = ' ';
		fmt(&out[i], got + k, sizeof got - k);
		k += strlen(got + k);
		quant |= out[i].quant != NULL;
	}
	if (strcmp(got, want) != 0 || quant) {
		fprintf(stderr, "test_infer.c:%d: %s: got %s, want %s\n", line, ir_op_name(op->kind), got, want);
		n_failed++;
	}
}

static void bad(ir_graph *g, const ir_op *op, const char *text, int line)
{
	ir_ctx *c = g->ctx;
	ir_type *out = ir_alloc_array(c, (size_t)op->n_out, sizeof *out);
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
	INTS(op, "pads", (int64_t)1 << 41, 0); /* a pad over IR_MAX_DIM: the window bound refuses it */
	BAD(op, "spatial dim 0: the window (kernel 1, stride 1, dilation 1) is too large (limit is 1099511627776)");
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
	OK(OPN(QUANTIZE, in(g, "f32[]"), in(g, "f32[1]")), "u8[]"); /* a one-element scale is per-tensor */
	BAD(OPN(QUANTIZE, in(g, "f32[]"), in(g, "f32[2]")), "axis 1 is out of range for rank 0");
	BAD(OPN(DEQUANTIZE, in(g, "f32[2]"), in(g, "f32[]")), "operand 0 has element type f32; expected i8, u8, i16, i32 or i4");
	BAD(OPN(DEQUANTIZE, in(g, "i8[2]"), in(g, "f32[]"), in(g, "u8[]")), "different element types (i8[2] and u8[])");
}

/* ---- ONNX ops: successful inference -------------------------------------- */

static void test_onnx_elementwise(ir_graph *g)
{
	OK(OPN(PRELU, in(g, "f32[1,3,4,4]"), in(g, "f32[3,1,1]")), "f32[1,3,4,4]");
	OK(OPN(PRELU, in(g, "f16[2,5]"), in(g, "f16[]")), "f16[2,5]");
	OK(OPN(POW, in(g, "f32[2,3]"), in(g, "i64[3]")), "f32[2,3]");
	OK(OPN(POW, in(g, "f32[]"), in(g, "f32[4,1]")), "f32[4,1]");
	OK(OPN(POW, in(g, "f16[2,1]"), in(g, "u8[1,3]")), "f16[2,3]");
	ir_op *op = OPN(GEMM, in(g, "i32[2,3]"), in(g, "i32[3,4]"), in(g, "i32[4]"));
	OK(op, "i32[2,4]");
	ir_val v[100];
	for (int i = 0; i < 100; i++)
		v[i] = in(g, "f32[2,1]");
	op = mk(g, IR_OP_CONCAT, v, 100, 1);
	ir_op_set_int(g, op, "axis", 1);
	OK(op, "f32[2,100]");
}

static void test_convtranspose(ir_graph *g)
{
	ir_op *op = OPN(CONVTRANSPOSE, in(g, "f32[1,4,5,5]"), in(g, "f32[4,2,3,3]"));
	INTS(op, "strides", 2, 2);
	OK(op, "f32[1,2,11,11]");
	INTS(op, "pads", 1, 1, 1, 1);
	INTS(op, "output_padding", 1, 1);
	OK(op, "f32[1,2,10,10]");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,4,5,5]"), in(g, "f32[4,3,3,3]"), in(g, "f32[6]"));
	ir_op_set_int(g, op, "group", 2);
	OK(op, "f32[1,6,7,7]");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,4,5,6]"), in(g, "f32[4,1,3,3]"));
	INTS(op, "dilations", 2, 1);
	OK(op, "f32[1,1,9,8]");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,4,5,5]"), in(g, "f32[4,2,3,3]"));
	INTS(op, "strides", 2, 2);
	INTS(op, "output_shape", 10, 9);
	OK(op, "f32[1,2,10,9]");
	INTS(op, "output_shape", 11, 1);
	OK(op, "f32[1,2,11,1]");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,4,5,7]"), in(g, "f32[4,2,3,3]"));
	INTS(op, "strides", 2, 3);
	ir_op_set_str(g, op, "auto_pad", "SAME_UPPER");
	OK(op, "f32[1,2,10,21]");
	ir_op_set_str(g, op, "auto_pad", "VALID");
	OK(op, "f32[1,2,11,21]");
	op = OPN(CONVTRANSPOSE, in(g, "f16[1,2,3]"), in(g, "f16[2,1,2]"), in(g, "f16[1]"));
	OK(op, "f16[1,1,4]");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,1,4]"), in(g, "f32[1,1,3]"));
	INTS(op, "pads", 2, 2);
	OK(op, "f32[1,1,2]");
}

static void test_norm_reduce(ir_graph *g)
{
	OK(OPN(INSTANCENORM, in(g, "f32[2,3,4,4]"), in(g, "f32[3]"), in(g, "f32[3]")), "f32[2,3,4,4]");
	ir_val x = in(g, "f32[2,3,4]");
	OK(OPR(LAYERNORM, 3, x, in(g, "f32[4]")), "f32[2,3,4] f32[2,3,1] f32[2,3,1]");
	ir_op *op = OPR(LAYERNORM, 2, x, in(g, "f32[3,4]"), in(g, "f32[4]"));
	ir_op_set_int(g, op, "axis", 1);
	OK(op, "f32[2,3,4] f32[2,1,1]");
	op = OPN(LAYERNORM, in(g, "f16[2,3,4]"), in(g, "f16[1,1]"), IR_NOVAL);
	ir_op_set_int(g, op, "axis", -2);
	OK(op, "f16[2,3,4]");
	op = OPR(LAYERNORM, 3, in(g, "f16[5,6]"), in(g, "f16[5,6]"));
	ir_op_set_int(g, op, "axis", 0);
	OK(op, "f16[5,6] f32[1,1] f32[1,1]");
	OK(OPN(REDUCEMEAN, x), "f32[1,1,1]");
	op = OPN(REDUCESUM, x);
	ir_op_set_int(g, op, "keepdims", 0);
	OK(op, "f32[]");
	INTS(op, "axes", 1);
	OK(op, "f32[2,4]");
	op = OPN(REDUCEMAX, in(g, "i32[2,3,4]"));
	INTS(op, "axes", -1, 0);
	OK(op, "i32[1,3,1]");
	op = OPN(REDUCESUM, x);
	ir_op_set_int(g, op, "noop_with_empty_axes", 1);
	OK(op, "f32[2,3,4]");
	ir_op_set_ints(g, op, "axes", NULL, 0);
	OK(op, "f32[2,3,4]");
	OK(OPN(REDUCEL2, in(g, "f32[]")), "f32[]");
	op = OPN(ARGMAX, x);
	ir_op_set_int(g, op, "axis", 1);
	OK(op, "i64[2,1,4]");
	op = OPN(ARGMIN, in(g, "u8[2,3,4]"));
	ir_op_set_int(g, op, "axis", -1);
	ir_op_set_int(g, op, "keepdims", 0);
	OK(op, "i64[2,3]");
	op = OPN(CUMSUM, in(g, "i64[2,3]"));
	ir_op_set_int(g, op, "axis", -1);
	OK(op, "i64[2,3]");
}

static void test_split(ir_graph *g)
{
	ir_val x = in(g, "f32[6,4]");
	OK(OPR(SPLIT, 3, x), "f32[2,4] f32[2,4] f32[2,4]");
	ir_op *op = OPR(SPLIT, 2, x);
	INTS(op, "split", 1, 5);
	OK(op, "f32[1,4] f32[5,4]");
	op = OPR(SPLIT, 3, x);
	ir_op_set_int(g, op, "axis", -1);
	INTS(op, "split", 0, 3, 1);
	OK(op, "f32[6,0] f32[6,3] f32[6,1]");
	op = OPR(SPLIT, 2, in(g, "i8[0,2]"));
	OK(op, "i8[0,2] i8[0,2]");
	OK(OPN(SPLIT, x), "f32[6,4]");
}

static void test_slice(ir_graph *g)
{
	ir_val x = in(g, "f32[10]");
	ir_op *op = OPN(SLICE, x);
	INTS(op, "starts", 2);
	INTS(op, "ends", 7);
	OK(op, "f32[5]");
	INTS(op, "steps", 2);
	OK(op, "f32[3]");
	INTS(op, "steps", INT64_MAX);
	OK(op, "f32[1]");
	INTS(op, "starts", -1);
	INTS(op, "ends", INT64_MIN);
	INTS(op, "steps", -1);
	OK(op, "f32[10]");
	INTS(op, "steps", INT64_MIN);
	OK(op, "f32[1]");
	INTS(op, "starts", 8);
	INTS(op, "ends", 1);
	INTS(op, "steps", -3);
	OK(op, "f32[3]");
	INTS(op, "starts", INT64_MAX);
	INTS(op, "ends", -11);
	INTS(op, "steps", -2);
	OK(op, "f32[5]");
	INTS(op, "ends", -1);
	OK(op, "f32[0]");
	op = OPN(SLICE, x);
	INTS(op, "starts", -3);
	INTS(op, "ends", INT64_MAX);
	OK(op, "f32[3]");
	INTS(op, "starts", 12);
	OK(op, "f32[0]");
	INTS(op, "starts", INT64_MIN);
	INTS(op, "ends", -20);
	OK(op, "f32[0]");
	op = OPN(SLICE, in(g, "i64[4,10,6]"));
	INTS(op, "starts", 1, 0);
	INTS(op, "ends", 3, -1);
	INTS(op, "axes", -1, 0);
	OK(op, "i64[3,10,2]");
	op = OPN(SLICE, in(g, "f32[0,3]"));
	INTS(op, "starts", 5, 0);
	INTS(op, "ends", -5, 3);
	INTS(op, "steps", -1, 1);
	OK(op, "f32[0,3]");
	op = OPN(SLICE, in(g, "f32[4,5]"));
	ir_op_set_ints(g, op, "starts", NULL, 0);
	ir_op_set_ints(g, op, "ends", NULL, 0);
	OK(op, "f32[4,5]");
}

static void test_pad_resize(ir_graph *g)
{
	ir_val x = in(g, "f32[2,3]");
	ir_op *op = OPN(PAD, x);
	INTS(op, "pads", 1, 0, 1, 2);
	OK(op, "f32[4,5]");
	op = OPN(PAD, x, in(g, "f32[]"));
	INTS(op, "pads", -1, 0, 0, -3);
	OK(op, "f32[1,0]");
	op = OPN(PAD, x);
	INTS(op, "pads", 1, 2, 1, 2);
	ir_op_set_str(g, op, "mode", "reflect");
	OK(op, "f32[4,7]");
	ir_op_set_str(g, op, "mode", "edge");
	INTS(op, "pads", 5, 5, 5, 5);
	OK(op, "f32[12,13]");
	op = OPN(PAD, in(g, "u8[0,2]"));
	INTS(op, "pads", 0, 1, 0, 1);
	ir_op_set_str(g, op, "mode", "edge");
	OK(op, "u8[0,4]");
	ir_val y = in(g, "f32[1,3,4,5]");
	op = OPN(RESIZE, y);
	FLOATS(op, "scales", 1, 1, 2, 2);
	OK(op, "f32[1,3,8,10]");
	FLOATS(op, "scales", 1, 1, 0.5f, 0.5f);
	OK(op, "f32[1,3,2,2]");
	FLOATS(op, "scales", 1, 1, 0.75f, 1.3f);
	ir_op_set_str(g, op, "mode", "linear");
	ir_op_set_str(g, op, "coordinate_transformation_mode", "align_corners");
	OK(op, "f32[1,3,3,6]");
	op = OPN(RESIZE, in(g, "f32[1,1,10]"));
	FLOATS(op, "scales", 1, 1, 0.3f);
	ir_op_set_str(g, op, "mode", "cubic");
	ir_op_set_str(g, op, "nearest_mode", "floor");
	OK(op, "f32[1,1,3]");
	op = OPN(RESIZE, y);
	INTS(op, "sizes", 1, 3, 7, 1);
	ir_op_set_str(g, op, "coordinate_transformation_mode", "asymmetric");
	OK(op, "f32[1,3,7,1]");
	op = OPN(RESIZE, in(g, "u8[0,2]"));
	INTS(op, "sizes", 0, 3);
	OK(op, "u8[0,3]");
}

static void test_gather_expand(ir_graph *g)
{
	ir_val x = in(g, "f32[5,4,3]");
	ir_op *op = OPN(GATHER, x, in(g, "i64[2,6]"));
	ir_op_set_int(g, op, "axis", 1);
	OK(op, "f32[5,2,6,3]");
	OK(OPN(GATHER, x, in(g, "i32[]")), "f32[4,3]");
	op = OPN(GATHER, x, in(g, "i64[7]"));
	ir_op_set_int(g, op, "axis", -1);
	OK(op, "f32[5,4,7]");
	OK(OPN(GATHER, in(g, "f32[0,2]"), in(g, "i64[0]")), "f32[0,2]");
	op = OPN(GATHERELEMENTS, in(g, "f32[3,4]"), in(g, "i64[7,2]"));
	OK(op, "f32[7,2]");
	op = OPN(GATHERELEMENTS, in(g, "bool[3,4]"), in(g, "i32[3,9]"));
	ir_op_set_int(g, op, "axis", -1);
	OK(op, "bool[3,9]");
	op = OPN(EXPAND, in(g, "f32[3,1]"));
	INTS(op, "shape", 2, 1, 6);
	OK(op, "f32[2,3,6]");
	INTS(op, "shape", 1);
	OK(op, "f32[3,1]");
	op = OPN(EXPAND, in(g, "i8[1]"));
	INTS(op, "shape", 4, 0);
	OK(op, "i8[4,0]");
	op = OPN(TILE, in(g, "f32[2,3]"));
	INTS(op, "repeats", 3, 0);
	OK(op, "f32[6,0]");
	op = OPN(TILE, in(g, "f32[]"));
	ir_op_set_ints(g, op, "repeats", NULL, 0);
	OK(op, "f32[]");
}

static void test_space_trilu(ir_graph *g)
{
	ir_op *op = OPN(DEPTHTOSPACE, in(g, "f32[1,8,2,3]"));
	ir_op_set_int(g, op, "blocksize", 2);
	OK(op, "f32[1,2,4,6]");
	ir_op_set_str(g, op, "mode", "CRD");
	OK(op, "f32[1,2,4,6]");
	op = OPN(SPACETODEPTH, in(g, "u8[1,2,4,6]"));
	ir_op_set_int(g, op, "blocksize", 2);
	OK(op, "u8[1,8,2,3]");
	op = OPN(TRILU, in(g, "f32[2,3,4]"));
	ir_op_set_int(g, op, "k", -7);
	OK(op, "f32[2,3,4]");
}

static void test_onnx_quant(ir_graph *g)
{
	OK(OPR(DYNQUANTIZE, 3, in(g, "f32[2,3]")), "u8[2,3] f32[] u8[]");
	ir_val fs = in(g, "f32[]"), u8s = in(g, "u8[]"), i8s = in(g, "i8[]");
	ir_val x = in(g, "u8[1,4,6,6]"), w = in(g, "i8[8,4,3,3]");
	ir_op *op = OPN(QLINEARCONV, x, fs, u8s, w, in(g, "f32[8]"), in(g, "i8[8]"), fs, u8s, in(g, "i32[8]"));
	INTS(op, "pads", 1, 1, 1, 1);
	OK(op, "u8[1,8,6,6]");
	op = OPN(QLINEARCONV, in(g, "i8[1,4,5,5]"), fs, i8s, w, fs, i8s, fs, i8s);
	ir_op_set_int(g, op, "group", 1);
	OK(op, "i8[1,8,3,3]");
	ir_val a = in(g, "u8[2,3,4]"), b = in(g, "i8[4,5]");
	OK(OPN(QLINEARMATMUL, a, fs, u8s, b, fs, i8s, fs, i8s), "i8[2,3,5]");
	OK(OPN(QLINEARMATMUL, a, in(g, "f32[3]"), in(g, "u8[3]"), b, in(g, "f32[5]"), in(g, "i8[5]"), fs, u8s),
	   "u8[2,3,5]");
	OK(OPN(QLINEARMATMUL, in(g, "u8[4]"), in(g, "f32[1]"), u8s, b, fs, i8s, fs, u8s), "u8[5]");
	OK(OPN(CONVINTEGER, x, w), "i32[1,8,4,4]");
	OK(OPN(CONVINTEGER, x, w, u8s, in(g, "i8[8]")), "i32[1,8,4,4]");
	OK(OPN(CONVINTEGER, x, w, IR_NOVAL, i8s), "i32[1,8,4,4]");
	OK(OPN(MATMULINTEGER, a, b), "i32[2,3,5]");
	OK(OPN(MATMULINTEGER, a, b, in(g, "u8[3]"), in(g, "i8[5]")), "i32[2,3,5]");
	OK(OPN(MATMULINTEGER, in(g, "i8[3,4]"), in(g, "u8[4]"), IR_NOVAL, u8s), "i32[3]");
}

/* ---- ONNX ops: errors ---------------------------------------------------- */

static void test_errors_onnx_elementwise(ir_graph *g)
{
	BAD(OPN(PRELU, in(g, "f32[1,3,4,4]"), in(g, "f32[3]")), "'PRelu' op: slope f32[3] does not broadcast to X f32[1,3,4,4]");
	BAD(OPN(PRELU, in(g, "f32[2,3]"), in(g, "f32[1,2,3]")), "does not broadcast");
	BAD(OPN(PRELU, in(g, "f32[2]"), in(g, "f16[2]")), "different element types");
	OK(OPN(PRELU, in(g, "i32[2]"), in(g, "i32[2]")), "i32[2]"); /* ONNX 16 allows integer PRelu */
	BAD(OPN(PRELU, in(g, "bool[2]"), in(g, "bool[2]")), "expected a numeric type");
	BAD(OPN(POW, in(g, "f32[2]"), in(g, "bool[2]")), "'Pow' op: the exponent has element type bool; expected a numeric type");
	BAD(OPN(POW, in(g, "f32[2]"), in(g, "i32[3]")), "operand shapes f32[2] and i32[3] do not broadcast");
	OK(OPN(POW, in(g, "i32[2]"), in(g, "f32[2]")), "i32[2]"); /* integer bases, as ONNX allows */
	BAD(OPN(POW, in(g, "bool[2]"), in(g, "f32[2]")), "expected a numeric type");
}

static void test_errors_convtranspose(ir_graph *g)
{
	BAD(OPN(CONVTRANSPOSE, in(g, "f32[1,4,5,5]"), in(g, "f32[3,2,3,3]")),
	    "'ConvTranspose' op: with group 1, X f32[1,4,5,5] and W f32[3,2,3,3] do not match");
	ir_op *op = OPN(CONVTRANSPOSE, in(g, "f32[1,4,5,5]"), in(g, "f32[4,2,3,3]"));
	ir_op_set_int(g, op, "group", 3);
	BAD(op, "with group 3");
	BAD(OPN(CONVTRANSPOSE, in(g, "f32[1,4,5,5]"), in(g, "f32[4,2,3,3]"), in(g, "f32[4]")),
	    "bias f32[4] must be [2]");
	BAD(OPN(CONVTRANSPOSE, in(g, "f32[4,5]"), in(g, "f32[4,5]")), "X must have rank >= 3");
	BAD(OPN(CONVTRANSPOSE, in(g, "f32[1,4,5]"), in(g, "f32[4,2,3,3]")), "must have the rank of X");
	BAD(OPN(CONVTRANSPOSE, in(g, "f32[1,4,5]"), in(g, "f16[4,2,3]")), "different element types");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,4,5,5]"), in(g, "f32[4,2,3,3]"));
	INTS(op, "strides", 2, 2);
	INTS(op, "output_shape", 12, 11); /* past the full extent 11: zero-padded at the end */
	OK(op, "f32[1,2,12,11]");
	INTS(op, "output_shape", 11);
	BAD(op, "attribute 'output_shape' has 1 values; expected 2");
	INTS(op, "output_shape", 0, 1);
	BAD(op, "attribute 'output_shape' value 0 (index 0) must be >= 1");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,4,5,5]"), in(g, "f32[4,2,3,3]"));
	INTS(op, "pads", 4, 3, 3, 0);
	BAD(op, "spatial dim 0: the output extent would be 0");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,4,5,5]"), in(g, "f32[4,2,3,3]"));
	INTS(op, "output_padding", 1, -1);
	BAD(op, "attribute 'output_padding' value -1 (index 1) must be >= 0");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,4,5,5]"), in(g, "f32[4,2,3,3]"));
	INTS(op, "strides", INT64_MAX / 2, 1);
	BAD(op, "spatial dim 0: the window (kernel 3, stride 4611686018427387903, dilation 1) is too large");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,4,5,5]"), in(g, "f32[4,2,3,3]"));
	INTS(op, "output_padding", INT64_MAX - 3, 0);
	BAD(op, "spatial dim 0: window arithmetic overflows");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,1,3]"), in(g, "f32[1,1,1]"));
	INTS(op, "strides", INT64_MAX / 2);
	ir_op_set_str(g, op, "auto_pad", "SAME_LOWER");
	BAD(op, "spatial dim 0: the window (kernel 1, stride 4611686018427387903, dilation 1) is too large");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,1,3]"), in(g, "f32[1,1,1]"));
	INTS(op, "pads", INT64_MAX, 0);
	BAD(op, "spatial dim 0: the window (kernel 1, stride 1, dilation 1) is too large");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,1,3]"), in(g, "f32[1,1,1]"));
	INTS(op, "pads", 4, 0);
	BAD(op, "spatial dim 0: the output extent would be");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,2,3]"), in(g, "f32[2,1099511627776,1]"));
	ir_op_set_int(g, op, "group", 2);
	BAD(op, "too many elements in dim 1 of result 0");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,0,3]"), in(g, "f32[0,2,1]"));
	ir_op_set_int(g, op, "group", INT64_MAX);
	BAD(op, "the output channels (W's dim 1 times group 9223372036854775807) overflow");
	op = OPN(CONVTRANSPOSE, in(g, "f32[1,4,5,5]"), in(g, "f32[4,2,3,3]"));
	INTS(op, "kernel_shape", 3, 2);
	BAD(op, "'kernel_shape' does not match");
}

static void test_errors_norm_reduce(ir_graph *g)
{
	ir_val c = in(g, "f32[4]");
	BAD(OPN(INSTANCENORM, in(g, "f32[2,3,4]"), c, c), "'InstanceNormalization' op: operand 1 (scale) f32[4] must be [3]");
	BAD(OPN(INSTANCENORM, in(g, "f32[2,4]"), c, c), "X must have rank >= 3");
	BAD(OPN(INSTANCENORM, in(g, "f32[2,4,3]"), c, in(g, "f16[4]")), "different element types");
	ir_val x = in(g, "f32[2,3,4]");
	BAD(OPN(LAYERNORM, x, in(g, "f32[3]")),
	    "'LayerNormalization' op: operand 1 (scale) f32[3] does not broadcast to the normalized dims f32[4] of X f32[2,3,4]");
	BAD(OPN(LAYERNORM, x, c, in(g, "f32[2,4]")), "operand 2 (B) f32[2,4] does not broadcast");
	BAD(OPN(LAYERNORM, x, in(g, "f16[4]")), "different element types");
	ir_op *op = OPN(LAYERNORM, x, c);
	ir_op_set_int(g, op, "axis", 3);
	BAD(op, "axis 3 is out of range for rank 3");
	op = OPN(LAYERNORM, x, c);
	ir_op_set_int(g, op, "stash_type", 10);
	BAD(op, "attribute 'stash_type' is 10; only 1 (f32) is supported");
	op = OPN(REDUCESUM, x);
	INTS(op, "axes", 0, -3);
	BAD(op, "'ReduceSum' op: the axes name dim 0 twice");
	op = OPN(REDUCEMEAN, x);
	INTS(op, "axes", 3);
	BAD(op, "axis 3 is out of range for rank 3");
	op = OPN(ARGMAX, x);
	ir_op_set_int(g, op, "axis", -4);
	BAD(op, "'ArgMax' op: axis -4 is out of range for rank 3");
	BAD(OPN(ARGMIN, in(g, "f32[]")), "axis 0 is out of range for rank 0");
	op = OPN(ARGMAX, in(g, "f32[2,0]"));
	ir_op_set_int(g, op, "axis", 1);
	BAD(op, "axis 1 of f32[2,0] is empty; there is no index to return");
	BAD(OPN(CUMSUM, x), "'CumSum' op: missing required attribute 'axis'");
	op = OPN(CUMSUM, x);
	ir_op_set_int(g, op, "axis", 3);
	BAD(op, "axis 3 is out of range");
}

static void test_errors_split_slice(ir_graph *g)
{
	ir_val x = in(g, "f32[6,4]");
	BAD(OPR(SPLIT, 4, x), "'Split' op: dim 0 of f32[6,4] does not split into 4 equal parts");
	ir_op *op = OPR(SPLIT, 2, x);
	INTS(op, "split", 1, 2, 3);
	BAD(op, "attribute 'split' has 3 values; the op has 2 results");
	INTS(op, "split", 2, 3);
	BAD(op, "the split sizes add up to 5; dim 0 of f32[6,4] is 6");
	INTS(op, "split", 7, -1);
	BAD(op, "the split sizes add up to more than dim 0 of f32[6,4]");
	INTS(op, "split", -1, 7);
	BAD(op, "attribute 'split' value -1 (index 0) must be >= 0");
	INTS(op, "split", 3, INT64_MAX);
	BAD(op, "add up to more than");
	op = OPR(SPLIT, 2, x);
	ir_op_set_int(g, op, "axis", 2);
	BAD(op, "axis 2 is out of range for rank 2");
	op = OPN(SLICE, x);
	BAD(op, "'Slice' op: missing required attribute 'starts'");
	INTS(op, "starts", 0);
	BAD(op, "missing required attribute 'ends'");
	INTS(op, "ends", 1, 2);
	BAD(op, "attributes 'starts' and 'ends' have different lengths (1 and 2)");
	INTS(op, "starts", 0, 0, 0);
	INTS(op, "ends", 1, 1, 1);
	BAD(op, "attribute 'starts' has 3 values; more than the rank of f32[6,4]");
	INTS(op, "starts", 0, 0);
	INTS(op, "ends", 1, 1);
	INTS(op, "axes", 1, -1);
	BAD(op, "the axes name dim 1 twice");
	INTS(op, "axes", 0, 2);
	BAD(op, "axis 2 is out of range for rank 2");
	INTS(op, "axes", 0);
	BAD(op, "attribute 'axes' has 1 values; 'starts' has 2");
	INTS(op, "axes", 1, 0);
	INTS(op, "steps", 1, 0);
	BAD(op, "attribute 'steps' value 0 (index 1) must be nonzero");
	INTS(op, "steps", 1);
	BAD(op, "attribute 'steps' has 1 values; 'starts' has 2");
}

static void test_errors_pad_resize(ir_graph *g)
{
	ir_val x = in(g, "f32[2,3]");
	ir_op *op = OPN(PAD, x);
	BAD(op, "'Pad' op: missing required attribute 'pads'");
	INTS(op, "pads", 1, 1);
	BAD(op, "attribute 'pads' has 2 values; expected 4 (twice the rank of f32[2,3])");
	INTS(op, "pads", -2, 0, -1, 0);
	BAD(op, "dim 0 of f32[2,3] padded by -2 and -1 would have extent -1");
	INTS(op, "pads", INT64_MAX, 0, 1, 0);
	BAD(op, "dim 0: padding arithmetic overflows");
	INTS(op, "pads", 0, 3, 0, 0);
	ir_op_set_str(g, op, "mode", "reflect");
	BAD(op, "mode 'reflect' needs pads below the extent of dim 1 of f32[2,3]; got 3 and 0");
	ir_op_set_str(g, op, "mode", "wrap");
	BAD(op, "attribute 'mode' is 'wrap'; expected constant, reflect or edge");
	op = OPN(PAD, in(g, "f32[0,2]"));
	INTS(op, "pads", 1, 0, 0, 0);
	ir_op_set_str(g, op, "mode", "edge");
	BAD(op, "mode 'edge' cannot pad the empty dim 0 of f32[0,2]");
	op = OPN(PAD, x, in(g, "f32[1]"));
	INTS(op, "pads", 0, 0, 0, 0);
	BAD(op, "operand 1 (the constant value) must be a scalar f32[]; got f32[1]");
	ir_val y = in(g, "f32[1,3,4,5]");
	op = OPN(RESIZE, y);
	BAD(op, "'Resize' op: exactly one of the attributes 'scales' and 'sizes' must be given");
	FLOATS(op, "scales", 1, 1, 2, 2);
	INTS(op, "sizes", 1, 3, 8, 10);
	BAD(op, "exactly one of the attributes 'scales' and 'sizes' must be given");
	op = OPN(RESIZE, y);
	FLOATS(op, "scales", 1, 2, 2);
	BAD(op, "attribute 'scales' has 3 values; expected 4 (the rank of f32[1,3,4,5])");
	FLOATS(op, "scales", 1, 1, 0, 2);
	BAD(op, "attribute 'scales' value 0 (index 2) must be positive and finite");
	FLOATS(op, "scales", 1, 1, 1, INFINITY);
	BAD(op, "attribute 'scales' value inf (index 3) must be positive and finite");
	FLOATS(op, "scales", 1, 1, 1e30f, 1);
	BAD(op, "too many elements in dim 2 of result 0");
	FLOATS(op, "scales", 1, 1, 1, 1);
	ir_op_set_str(g, op, "coordinate_transformation_mode", "tf_crop_and_resize");
	BAD(op, "coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
	ir_op_set_str(g, op, "coordinate_transformation_mode", "bogus");
	BAD(op, "attribute 'coordinate_transformation_mode' is 'bogus'; expected half_pixel, "
		"pytorch_half_pixel, align_corners, asymmetric or tf_half_pixel_for_nn");
	ir_op_set_str(g, op, "coordinate_transformation_mode", "half_pixel");
	ir_op_set_str(g, op, "mode", "area");
	BAD(op, "attribute 'mode' is 'area'; expected nearest, linear or cubic");
	ir_op_set_str(g, op, "mode", "nearest");
	ir_op_set_str(g, op, "nearest_mode", "round");
	BAD(op, "attribute 'nearest_mode' is 'round'; expected round_prefer_floor, round_prefer_ceil, floor or ceil");
	op = OPN(RESIZE, y);
	INTS(op, "sizes", 1, 3, -4, 5);
	BAD(op, "attribute 'sizes' value -4 (index 2) must be >= 0");
	op = OPN(RESIZE, in(g, "f32[0,3]"));
	INTS(op, "sizes", 2, 3);
	BAD(op, "cannot resize the empty dim 0 of f32[0,3] to 2");
	BAD(OPN(RESIZE, in(g, "bool[2]")), "expected a numeric type");
}

static void test_errors_gather_expand(ir_graph *g)
{
	ir_val x = in(g, "f32[5,4,3]");
	BAD(OPN(GATHER, x, in(g, "f32[2]")), "'Gather' op: the indices have element type f32; expected i32 or i64");
	ir_op *op = OPN(GATHER, x, in(g, "i64[2]"));
	ir_op_set_int(g, op, "axis", 3);
	BAD(op, "axis 3 is out of range for rank 3");
	BAD(OPN(GATHER, x, in(g, "i64[1,1,1,1,1,1,1]")), "too many dims in the result: 9 (limit is 8)");
	BAD(OPN(GATHER, in(g, "f32[]"), in(g, "i64[]")), "axis 0 is out of range for rank 0");
	BAD(OPN(GATHER, in(g, "f32[0,2]"), in(g, "i32[1]")), "cannot gather from the empty axis 0 of f32[0,2]");
	BAD(OPN(GATHERELEMENTS, x, in(g, "i64[5,4]")),
	    "'GatherElements' op: the indices i64[5,4] must have the rank of the data f32[5,4,3]");
	BAD(OPN(GATHERELEMENTS, x, in(g, "i64[9,5,3]")), "the indices i64[9,5,3] exceed the data f32[5,4,3] in dim 1");
	BAD(OPN(GATHERELEMENTS, x, in(g, "u8[5,4,3]")), "expected i32 or i64");
	BAD(OPN(GATHERELEMENTS, in(g, "f32[0,2]"), in(g, "i64[3,2]")), "cannot gather from the empty axis 0");
	op = OPN(EXPAND, in(g, "f32[3,2]"));
	BAD(op, "'Expand' op: missing required attribute 'shape'");
	INTS(op, "shape", 3, 3);
	BAD(op, "operand f32[3,2] does not broadcast with the shape f32[3,3]");
	INTS(op, "shape", -1, 2);
	BAD(op, "attribute 'shape' value -1 (index 0) must be >= 0");
	INTS(op, "shape", 1, 1, 1, 1, 1, 1, 1, 1, 1);
	BAD(op, "attribute 'shape' has 9 values; too many (limit is 8)");
	op = OPN(TILE, in(g, "f32[2,3]"));
	BAD(op, "'Tile' op: missing required attribute 'repeats'");
	INTS(op, "repeats", 2);
	BAD(op, "attribute 'repeats' has 1 values; expected 2");
	INTS(op, "repeats", 2, -1);
	BAD(op, "attribute 'repeats' value -1 (index 1) must be >= 0");
	INTS(op, "repeats", 1, INT64_MAX);
	BAD(op, "dim 1 of f32[2,3] repeated 9223372036854775807 times overflows");
	INTS(op, "repeats", 1, (int64_t)1 << 40);
	BAD(op, "too many elements in dim 1 of result 0");
}

static void test_errors_space_trilu(ir_graph *g)
{
	ir_op *op = OPN(DEPTHTOSPACE, in(g, "f32[1,6,2,2]"));
	BAD(op, "'DepthToSpace' op: missing required attribute 'blocksize'");
	ir_op_set_int(g, op, "blocksize", 2);
	BAD(op, "C of f32[1,6,2,2] is not a multiple of blocksize^2 (4)");
	ir_op_set_int(g, op, "blocksize", 0);
	BAD(op, "attribute 'blocksize' is 0; expected >= 1");
	ir_op_set_int(g, op, "blocksize", INT64_MAX);
	BAD(op, "attribute 'blocksize' is 9223372036854775807; its square overflows");
	ir_op_set_int(g, op, "blocksize", 1);
	ir_op_set_str(g, op, "mode", "DRC");
	BAD(op, "attribute 'mode' is 'DRC'; expected DCR or CRD");
	op = OPN(DEPTHTOSPACE, in(g, "f32[6,2,2]"));
	ir_op_set_int(g, op, "blocksize", 1);
	BAD(op, "X must have rank 4 ([N, C, H, W]); got f32[6,2,2]");
	op = OPN(DEPTHTOSPACE, in(g, "f32[1,0,8589934592,1]"));
	ir_op_set_int(g, op, "blocksize", (int64_t)1 << 31);
	BAD(op, "H and W of f32[1,0,8589934592,1] times blocksize 2147483648 overflow");
	op = OPN(SPACETODEPTH, in(g, "f32[1,2,4,6]"));
	ir_op_set_int(g, op, "blocksize", 4);
	BAD(op, "'SpaceToDepth' op: H and W of f32[1,2,4,6] must be multiples of blocksize 4");
	op = OPN(SPACETODEPTH, in(g, "f32[1,1099511627776,0,0]"));
	ir_op_set_int(g, op, "blocksize", (int64_t)1 << 31);
	BAD(op, "C of f32[1,1099511627776,0,0] times blocksize^2 (4611686018427387904) overflows");
	BAD(OPN(TRILU, in(g, "f32[3]")), "'Trilu' op: operand 0 must have rank >= 2; got f32[3]");
}

static void test_errors_onnx_quant(ir_graph *g)
{
	BAD(OPR(DYNQUANTIZE, 3, in(g, "f16[2]")), "'DynamicQuantizeLinear' op: operand 0 has element type f16; expected f32");
	ir_val fs = in(g, "f32[]"), u8s = in(g, "u8[]"), i8s = in(g, "i8[]");
	ir_val x = in(g, "u8[1,4,6,6]"), w = in(g, "i8[8,4,3,3]");
	BAD(OPN(QLINEARCONV, in(g, "i16[1,4,6,6]"), fs, u8s, w, fs, i8s, fs, u8s),
	    "'QLinearConv' op: operand 0 (x) has element type i16; expected u8 or i8");
	BAD(OPN(QLINEARCONV, x, fs, u8s, w, in(g, "f32[4]"), i8s, fs, u8s),
	    "operand 4 (w_scale) must be f32[] or f32[8]; got f32[4]");
	BAD(OPN(QLINEARCONV, x, fs, i8s, w, fs, i8s, fs, u8s), "operand 2 (x_zero_point) must be a scalar u8[]; got i8[]");
	BAD(OPN(QLINEARCONV, x, fs, u8s, w, fs, i8s, in(g, "f32[2]"), u8s), "operand 6 (y_scale) must be a scalar f32[]");
	OK(OPN(QLINEARCONV, x, in(g, "f32[1]"), in(g, "u8[1]"), w, fs, i8s, fs, u8s), "u8[1,8,4,4]"); /* [1] is a scalar */
	BAD(OPN(QLINEARCONV, x, fs, u8s, w, fs, i8s, fs, u8s, in(g, "f32[8]")),
	    "operand 8 (bias) has element type f32; expected i32");
	BAD(OPN(QLINEARCONV, x, fs, u8s, w, fs, i8s, fs, u8s, in(g, "i32[4]")), "bias i32[4] must be [8]");
	BAD(OPN(QLINEARCONV, x, fs, u8s, in(g, "i8[8,2,3,3]"), fs, i8s, fs, u8s), "with group 1");
	BAD(OPN(QLINEARCONV, x, fs, u8s, w, fs, i8s, fs, in(g, "i32[]")), "operand 7 (y_zero_point) has element type i32");
	ir_val a = in(g, "u8[2,3,4]"), b = in(g, "i8[4,5]");
	BAD(OPN(QLINEARMATMUL, a, fs, u8s, b, in(g, "f32[3]"), i8s, fs, u8s),
	    "'QLinearMatMul' op: operand 4 (b_scale) must be f32[] or f32[5]; got f32[3]");
	BAD(OPN(QLINEARMATMUL, a, fs, u8s, in(g, "i8[3,5]"), fs, i8s, fs, u8s), "inner dims of u8[2,3,4] and i8[3,5] differ");
	BAD(OPN(QLINEARMATMUL, a, fs, u8s, b, fs, u8s, fs, u8s), "operand 5 (b_zero_point) must be i8[] or i8[5]; got u8[]");
	BAD(OPN(QLINEARMATMUL, a, fs, u8s, in(g, "i32[4,5]"), fs, i8s, fs, u8s), "operand 3 (b) has element type i32");
	BAD(OPN(CONVINTEGER, x, in(g, "f32[8,4,3,3]")), "'ConvInteger' op: operand 1 (w) has element type f32; expected u8 or i8");
	BAD(OPN(CONVINTEGER, x, w, in(g, "u8[2]")), "operand 2 (x_zero_point) must be a scalar u8[]; got u8[2]");
	BAD(OPN(CONVINTEGER, x, w, IR_NOVAL, in(g, "i8[4]")), "operand 3 (w_zero_point) must be i8[] or i8[8]; got i8[4]");
	BAD(OPN(CONVINTEGER, in(g, "u8[4,6]"), in(g, "i8[8,4]")), "X must have rank >= 3");
	BAD(OPN(MATMULINTEGER, in(g, "i32[2,3]"), b), "'MatMulInteger' op: operand 0 (a) has element type i32; expected u8 or i8");
	BAD(OPN(MATMULINTEGER, a, b, in(g, "u8[2]")), "operand 2 (a_zero_point) must be u8[] or u8[3]; got u8[2]");
	BAD(OPN(MATMULINTEGER, a, in(g, "i8[3,5]")), "inner dims");
	BAD(OPN(MATMULINTEGER, in(g, "f32[2,3]"), b), "expected an integer type");
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
	test_onnx_elementwise(g);
	test_convtranspose(g);
	test_norm_reduce(g);
	test_split(g);
	test_slice(g);
	test_pad_resize(g);
	test_gather_expand(g);
	test_space_trilu(g);
	test_onnx_quant(g);
	test_errors_onnx_elementwise(g);
	test_errors_convtranspose(g);
	test_errors_norm_reduce(g);
	test_errors_split_slice(g);
	test_errors_pad_resize(g);
	test_errors_gather_expand(g);
	test_errors_space_trilu(g);
	test_errors_onnx_quant(g);
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
