/*
** test_interp_kernels.c - unit test of the reference interpreter's
** linear-algebra, convolution, pooling, resize and data-movement kernels
** (interp/k_linear.c, k_conv.c, k_pool.c, k_resize.c, k_shape.c) against
** hand-computed values.
**
** A case builds a one-op graph whose operands are constants (K), gives the
** op explicit result types and attributes, makes its results the graph
** outputs, verifies the graph (so the result types agree with shape
** inference) and runs it (RUN).  EXPECT compares a result with the wanted
** values: integer and bool types exactly, f32 to a relative 1e-6, f16 to
** 1e-3.  ERR expects the run to fail with a diagnostic containing a text.
** Every case runs inside ir_protect; failures go to stderr and make the
** exit status non-zero.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "interp/interp.h"
#include "testir.h"
#include "testinterp.h"

static ir_ctx *C;
static ir_graph *G;

#define MK(kind, res, ...) mk(IR_OP_##kind, res, VALS(__VA_ARGS__))
#define INTS(op, name, ...) ir_op_set_ints(G, op, name, I64S(__VA_ARGS__))
#define RUN(op) run(op, __LINE__)
#define ERR(op, text) err(op, text, __LINE__)
#define NONE IR_NOVAL

/* A constant of type ty holding v (through set_f for float types, else set_i). */
static ir_val K(const char *ty, const double *v)
{
	interp_tensor t = {T(ty), NULL};
	int64_t b;
	ir_type_bytes(&t.type, &b);
	t.data = ir_alloc(C, (size_t)b);
	for (int64_t i = 0; i < numel(&t.type); i++) {
		if (ir_dtype_is_float(t.type.dtype))
			interp_set_f(&t, i, v[i]);
		else
			interp_set_i(&t, i, (int64_t)v[i]);
	}
	return ir_const_new(G, &t.type, t.data, b);
}

/* A constant of type ty holding 0, 1, 2, ... */
static ir_val IOTA(const char *ty)
{
	ir_type t = T(ty);
	double *v = ir_alloc_array(C, (size_t)numel(&t) + 1, sizeof *v);
	for (int64_t i = 0; i < numel(&t); i++)
		v[i] = (double)i;
	return K(ty, v);
}

static void fresh(void)
{
	G = ir_graph_new(C, "t");
}

/* Op k with the operands in and one result per '|'-separated type of res. */
static ir_op *mk(ir_opkind k, const char *res, const ir_val *in, int n_in)
{
	ir_type types[4];
	int n = 0;
	for (const char *p = res; p; p = strchr(p, '|'), p = p ? p + 1 : NULL)
		types[n++] = T(p);
	return ir_op_append(G, k, in, n_in, types, n);
}

static void fail_line(int line, const char *what)
{
	check_total++;
	check_failed++;
	fprintf(stderr, "test_interp_kernels.c:%d: %s: %s\n", line, what, C->first_error);
	C->n_errors = 0;
}

/* Verify and run G with op's results as its outputs; NULL (and a failure) on error. */
static interp_tensor *run(ir_op *op, int line)
{
	interp_tensor *out = ir_alloc_array(C, (size_t)op->n_out, sizeof *out);
	for (int32_t i = 0; i < op->n_out; i++)
		ir_add_output(G, i ? "y1" : "y0", op->out[i]);
	if (ir_verify(G) < 0) {
		fail_line(line, "verify failed");
		return NULL;
	}
	if (interp_run(C, G, NULL, out) == 0)
		return out;
	fail_line(line, "run failed");
	return NULL;
}

/* The run must fail with a first error containing text. */
static void err(ir_op *op, const char *text, int line)
{
	interp_tensor out[4];
	FILE *saved = C->diag_out;
	for (int32_t i = 0; i < op->n_out; i++)
		ir_add_output(G, i ? "y1" : "y0", op->out[i]);
	C->n_errors = 0;
	C->first_error[0] = 0;
	C->diag_out = NULL;
	int rc = interp_run(C, G, NULL, out);
	C->diag_out = saved;
	check_total++;
	if (rc == 0 || !strstr(C->first_error, text)) {
		check_failed++;
		fprintf(stderr, "test_interp_kernels.c:%d: expected an error with '%s'; got rc %d, '%s'\n",
			line, text, rc, C->first_error);
	}
	C->n_errors = 0;
}

/* ---- MatMul, Gemm -------------------------------------------------------- */

static void test_matmul(void)
{
	fresh();
	EXPECT(RUN(MK(MATMUL, "f32[2,3,1,1]", K("f32[2,1,1,2]", D(1, 2, 3, 4)),
		      K("f32[3,2,1]", D(1, 1, 1, 0, 0, 1)))), 3, 1, 2, 7, 3, 4);
	fresh();
	EXPECT(RUN(MK(MATMUL, "f32[]", K("f32[3]", D(1, 2, 3)), K("f32[3]", D(4, 5, 6)))), 32);
	fresh();
	EXPECT(RUN(MK(MATMUL, "f32[2,2]", K("f32[2]", D(1, 2)), K("f32[2,2,2]", D(1, 2, 3, 4, 0, 1, 1, 0)))),
	       7, 10, 2, 1);
	fresh();
	EXPECT(RUN(MK(MATMUL, "f32[2]", K("f32[2,3]", D(1, 2, 3, 4, 5, 6)), K("f32[3]", D(1, 0, -1)))),
	       -2, -2);
	fresh();
	EXPECT(RUN(MK(MATMUL, "f16[1,1]", K("f16[1,2]", D(0.5, 2)), K("f16[2,1]", D(3, 0.25)))), 2);
	fresh();
	EXPECT(RUN(MK(MATMUL, "i32[1,1]", K("i32[1,2]", D(65536, 3)), K("i32[2,1]", D(65536, -4)))), -12);
	fresh();
	EXPECT(RUN(MK(MATMUL, "i64[2,2]", K("i64[2,2]", D(1, 2, 3, 4)), K("i64[2,2]", D(5, 6, 7, 8)))),
	       19, 22, 43, 50);
}

static void test_gemm(void)
{
	fresh();
	ir_op *op = MK(GEMM, "f32[2,4]", K("f32[3,2]", D(1, 4, 2, 5, 3, 6)),
		       K("f32[4,3]", D(1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1)), K("f32[4]", D(1, 2, 3, 4)));
	ir_op_set_int(G, op, "transA", 1);
	ir_op_set_int(G, op, "transB", 1);
	ir_op_set_float(G, op, "alpha", 2);
	ir_op_set_float(G, op, "beta", 0.5f);
	EXPECT(RUN(op), 2.5, 5, 7.5, 14, 8.5, 11, 13.5, 32);
	fresh();
	EXPECT(RUN(MK(GEMM, "f32[2,1]", K("f32[2,3]", D(1, 2, 3, 4, 5, 6)), K("f32[3,1]", D(1, 1, 1)),
		      K("f32[2,1]", D(10, 20)))), 16, 35);
	fresh();
	EXPECT(RUN(MK(GEMM, "f32[1,2]", K("f32[1,2]", D(1, 2)), K("f32[2,2]", D(1, 2, 3, 4)),
		      K("f32[]", D(0.5)))), 7.5, 10.5);
	fresh();
	EXPECT(RUN(MK(GEMM, "i32[2,2]", K("i32[2,1]", D(2, 3)), K("i32[1,2]", D(5, -1)))), 10, -2, 15, -3);
	fresh();
	op = MK(GEMM, "i32[1,1]", K("i32[1,1]", D(3)), K("i32[1,1]", D(3)), K("i32[1,1]", D(1)));
	ir_op_set_float(G, op, "alpha", 0.5f);
	EXPECT(RUN(op), 5);
}

/* a - 10 = [[0,10],[20,30]], b - 5 = [[0,1],[2,3]]: the product is [[20,30],[60,110]]. */
static void test_qlinear_matmul(void)
{
	fresh();
	EXPECT(RUN(MK(QLINEARMATMUL, "u8[2,2]", K("u8[2,2]", D(10, 20, 30, 40)), K("f32[]", D(0.5)),
		      K("u8[]", D(10)), K("u8[2,2]", D(5, 6, 7, 8)), K("f32[]", D(0.25)), K("u8[]", D(5)),
		      K("f32[]", D(0.2)), K("u8[]", D(200)))),
	       212, 219, 238, 255);
	fresh();
	EXPECT(RUN(MK(QLINEARMATMUL, "i8[1,2]", K("i8[1,1]", D(-3)), K("f32[]", D(1)), K("i8[]", D(-1)),
		      K("i8[1,2]", D(1, 100)), K("f32[2]", D(1, 0.75)), K("i8[2]", D(0, 1)), K("f32[]", D(1)),
		      K("i8[]", D(0)))),
	       -2, -128);
	fresh();
	EXPECT(RUN(MK(MATMULINTEGER, "i32[2,2]", K("u8[2,2]", D(1, 2, 3, 4)), K("u8[2,2]", D(5, 6, 7, 8)),
		      K("u8[2]", D(1, 2)), K("u8[2]", D(5, 6)))),
	       2, 2, 4, 4);
	fresh();
	EXPECT(RUN(MK(MATMULINTEGER, "i32[1,1]", K("i8[1,2]", D(-128, 127)), K("i8[2,1]", D(-128, 127)))),
	       32513);
}

/* ---- Conv ---------------------------------------------------------------- */

/* x = 1..9 as [1,1,3,3], w = ones [1,1,3,3]. */
static ir_op *conv3x3(const char *res)
{
	fresh();
	return MK(CONV, res, K("f32[1,1,3,3]", D(1, 2, 3, 4, 5, 6, 7, 8, 9)),
		  K("f32[1,1,3,3]", D(1, 1, 1, 1, 1, 1, 1, 1, 1)));
}

static void test_conv_2d(void)
{
	ir_op *op = conv3x3("f32[1,1,3,3]");
	INTS(op, "pads", 1, 1, 1, 1);
	EXPECT(RUN(op), 12, 21, 16, 27, 45, 33, 24, 39, 28);
	op = conv3x3("f32[1,1,2,2]");
	INTS(op, "pads", 1, 1, 1, 1);
	INTS(op, "strides", 2, 2);
	EXPECT(RUN(op), 12, 16, 24, 28);
	op = conv3x3("f32[1,1,1,1]");
	EXPECT(RUN(op), 45);
	op = conv3x3("f32[1,1,2,2]");
	INTS(op, "pads", 1, 0, 0, 1);
	EXPECT(RUN(op), 21, 16, 45, 33);

	fresh();
	op = MK(CONV, "f32[1,1,2,2]", IOTA("f32[1,1,4,4]"), K("f32[1,1,2,2]", D(1, 2, 3, 4)));
	INTS(op, "dilations", 2, 2);
	EXPECT(RUN(op), 68, 78, 108, 118);

	fresh();
	op = MK(CONV, "f32[1,1,4,4]", IOTA("f32[1,1,4,4]"), K("f32[1,1,2,2]", D(1, 1, 1, 1)));
	ir_op_set_str(G, op, "auto_pad", "SAME_UPPER");
	EXPECT(RUN(op), 10, 14, 18, 10, 26, 30, 34, 18, 42, 46, 50, 26, 25, 27, 29, 15);
	fresh();
	op = MK(CONV, "f32[1,1,4,4]", IOTA("f32[1,1,4,4]"), K("f32[1,1,2,2]", D(1, 1, 1, 1)));
	ir_op_set_str(G, op, "auto_pad", "SAME_LOWER");
	EXPECT(RUN(op), 0, 1, 3, 5, 4, 10, 14, 18, 12, 26, 30, 34, 20, 42, 46, 50);
}

static void test_conv_groups(void)
{
	fresh();
	ir_op *op = MK(CONV, "f32[1,2,1,2]", K("f32[1,4,1,2]", D(1, 2, 3, 4, 5, 6, 7, 8)),
		       K("f32[2,2,1,1]", D(1, 10, 100, 1000)), K("f32[2]", D(0.5, -1)));
	ir_op_set_int(G, op, "group", 2);
	EXPECT(RUN(op), 31.5, 42.5, 7499, 8599);

	fresh();
	op = MK(CONV, "f32[1,2,1,1]", K("f32[1,2,2,2]", D(1, 2, 3, 4, 5, 6, 7, 8)),
		K("f32[2,1,2,2]", D(1, 1, 1, 1, 1, 0, 0, -1)));
	ir_op_set_int(G, op, "group", 2);
	EXPECT(RUN(op), 10, -3);

	fresh();
	op = MK(CONV, "f32[1,2,2,2]", K("f32[1,2,2,2]", D(1, 2, 3, 4, 5, 6, 7, 8)),
		K("f32[2,1,1,1]", D(2, -1)), K("f32[2]", D(1, 0)));
	ir_op_set_int(G, op, "group", 2);
	EXPECT(RUN(op), 3, 5, 7, 9, -5, -6, -7, -8);
}

static void test_conv_nd(void)
{
	fresh();
	ir_op *op = MK(CONV, "f32[1,1,5]", K("f32[1,1,5]", D(1, 2, 3, 4, 5)), K("f32[1,1,3]", D(1, 0, -1)));
	INTS(op, "pads", 1, 1);
	EXPECT(RUN(op), -2, -2, -2, -2, 4);
	fresh();
	EXPECT(RUN(MK(CONV, "f32[1,1,1,1,1]", IOTA("f32[1,1,2,2,2]"),
		      K("f32[1,1,2,2,2]", D(1, 1, 1, 1, 1, 1, 1, 1)))),
	       28);
	fresh();
	op = MK(CONV, "f32[1,1,2,1,1]", IOTA("f32[1,1,2,2,2]"), K("f32[1,1,1,2,2]", D(1, 1, 1, 1)));
	EXPECT(RUN(op), 6, 22);
	fresh();
	op = MK(CONV, "f32[1,1,1,2,2]", IOTA("f32[1,1,2,2,2]"), K("f32[1,1,2,1,1]", D(1, -1)));
	INTS(op, "strides", 2, 1, 1);
	EXPECT(RUN(op), -4, -4, -4, -4);
	fresh();
	op = MK(CONV, "f16[1,1,2]", K("f16[1,1,3]", D(1, 2, 3)), K("f16[1,1,2]", D(0.5, 0.25)),
		K("f16[1]", D(1)));
	EXPECT(RUN(op), 2, 2.75);
}

/*
** QLinearConv: x - 2 = [[0,2],[4,6]]; w channel 0 all ones (sum 12), channel 1
** the diagonal 2 (sum 12); bias 1 and -3 give 13 and 9; the multipliers
** 0.5*1/0.3 and 0.5*0.5/0.3 in f32 give 21.67 and 7.4999998 (not 7.5), so
** with y_zp 10: 32 and 17.
*/
static void test_qlinear_conv(void)
{
	fresh();
	ir_op *op = MK(QLINEARCONV, "u8[1,2,1,1]", K("u8[1,1,2,2]", D(2, 4, 6, 8)), K("f32[]", D(0.5)),
		       K("u8[]", D(2)), K("i8[2,1,2,2]", D(1, 1, 1, 1, 2, 0, 0, 2)), K("f32[2]", D(1, 0.5)),
		       K("i8[2]", D(0, 0)), K("f32[]", D(0.3)), K("u8[]", D(10)), K("i32[2]", D(1, -3)));
	EXPECT(RUN(op), 32, 17);
	fresh();
	op = MK(QLINEARCONV, "i8[1,1,1,1]", K("i8[1,1,2,2]", D(100, 100, 100, 100)), K("f32[]", D(1)),
		K("i8[]", D(0)), K("i8[1,1,2,2]", D(3, 1, 1, 1)), K("f32[]", D(1)), K("i8[]", D(1)),
		K("f32[]", D(1)), K("i8[]", D(-100)));
	EXPECT(RUN(op), 100);
	fresh();
	op = MK(CONVINTEGER, "i32[1,1,1,1]", K("u8[1,1,2,2]", D(2, 4, 6, 8)), K("u8[1,1,2,2]", D(1, 2, 3, 4)),
		K("u8[]", D(2)), K("u8[]", D(1)));
	EXPECT(RUN(op), 28);
	fresh();
	op = MK(CONVINTEGER, "i32[1,1,2,2]", K("i8[1,1,2,2]", D(-1, 2, 3, -4)), K("i8[1,1,1,1]", D(-128)));
	EXPECT(RUN(op), 128, -256, -384, 512);
}

/* ---- ConvTranspose ---------------------------------------------------------- */

static void test_convtranspose(void)
{
	fresh();
	EXPECT(RUN(MK(CONVTRANSPOSE, "f32[1,1,3,3]", K("f32[1,1,2,2]", D(1, 2, 3, 4)),
		      K("f32[1,1,2,2]", D(1, 1, 1, 1)))),
	       1, 3, 2, 4, 10, 6, 3, 7, 4);
	fresh();
	ir_op *op = MK(CONVTRANSPOSE, "f32[1,1,4,4]", K("f32[1,1,2,2]", D(1, 2, 3, 4)),
		       K("f32[1,1,2,2]", D(1, 2, 3, 4)));
	INTS(op, "strides", 2, 2);
	EXPECT(RUN(op), 1, 2, 2, 4, 3, 4, 6, 8, 3, 6, 4, 8, 9, 12, 12, 16);
	fresh();
	op = MK(CONVTRANSPOSE, "f32[1,1,2,2]", K("f32[1,1,2,2]", D(1, 2, 3, 4)),
		K("f32[1,1,2,2]", D(1, 2, 3, 4)), K("f32[1]", D(1)));
	INTS(op, "strides", 2, 2);
	INTS(op, "pads", 1, 1, 1, 1);
	EXPECT(RUN(op), 5, 7, 7, 5);
	fresh();
	op = MK(CONVTRANSPOSE, "f32[1,1,5]", K("f32[1,1,2]", D(1, 2)), K("f32[1,1,2]", D(1, 3)));
	INTS(op, "strides", 2);
	INTS(op, "output_padding", 1);
	EXPECT(RUN(op), 1, 3, 2, 6, 0);
	fresh();
	op = MK(CONVTRANSPOSE, "f32[1,2,3]", K("f32[1,2,2]", D(1, 2, 3, 4)), K("f32[2,1,2]", D(1, 1, 1, -1)));
	ir_op_set_int(G, op, "group", 2);
	EXPECT(RUN(op), 1, 3, 2, 3, 1, -4);
	fresh();
	op = MK(CONVTRANSPOSE, "f32[1,1,6]", K("f32[1,1,3]", D(1, 2, 3)), K("f32[1,1,2]", D(1, 1)));
	INTS(op, "dilations", 3);
	EXPECT(RUN(op), 1, 2, 3, 1, 2, 3);
}

/* The full extent of stride 2 over [1, 2, 3] with a kernel of 3 ones is [1,1,3,2,5,3,3]. */
static void test_convtranspose_same(void)
{
	fresh();
	ir_op *op = MK(CONVTRANSPOSE, "f32[1,1,6]", K("f32[1,1,3]", D(1, 2, 3)), K("f32[1,1,3]", D(1, 1, 1)));
	INTS(op, "strides", 2);
	ir_op_set_str(G, op, "auto_pad", "SAME_UPPER");
	EXPECT(RUN(op), 1, 1, 3, 2, 5, 3);
	fresh();
	op = MK(CONVTRANSPOSE, "f32[1,1,6]", K("f32[1,1,3]", D(1, 2, 3)), K("f32[1,1,3]", D(1, 1, 1)));
	INTS(op, "strides", 2);
	ir_op_set_str(G, op, "auto_pad", "SAME_LOWER");
	EXPECT(RUN(op), 1, 3, 2, 5, 3, 3);
	fresh();
	op = MK(CONVTRANSPOSE, "f32[1,1,5]", K("f32[1,1,3]", D(1, 2, 3)), K("f32[1,1,3]", D(1, 1, 1)));
	INTS(op, "strides", 2);
	INTS(op, "output_shape", 5);
	EXPECT(RUN(op), 1, 1, 3, 2, 5);
}

/* ---- pooling ----------------------------------------------------------------- */

static void test_maxpool(void)
{
	fresh();
	ir_op *op = MK(MAXPOOL, "f32[1,1,2,2]", IOTA("f32[1,1,4,4]"));
	INTS(op, "kernel_shape", 3, 3);
	INTS(op, "strides", 2, 2);
	ir_op_set_int(G, op, "ceil_mode", 1);
	EXPECT(RUN(op), 10, 11, 14, 15);
	fresh();
	op = MK(MAXPOOL, "f32[1,1,1,1]", IOTA("f32[1,1,4,4]"));
	INTS(op, "kernel_shape", 3, 3);
	INTS(op, "strides", 2, 2);
	EXPECT(RUN(op), 10);
	fresh();
	op = MK(MAXPOOL, "f32[1,1,3]", K("f32[1,1,5]", D(5, 1, 4, 2, 3)));
	INTS(op, "kernel_shape", 2);
	INTS(op, "dilations", 2);
	EXPECT(RUN(op), 5, 2, 4);
	fresh();
	op = MK(MAXPOOL, "i8[1,1,3]", K("i8[1,1,3]", D(-5, -7, -6)));
	INTS(op, "kernel_shape", 3);
	INTS(op, "pads", 1, 1);
	EXPECT(RUN(op), -5, -5, -6);
	fresh();
	op = MK(MAXPOOL, "u8[1,1,2,2]", K("u8[1,1,2,2]", D(1, 200, 3, 4)));
	INTS(op, "kernel_shape", 2, 2);
	ir_op_set_str(G, op, "auto_pad", "SAME_UPPER");
	EXPECT(RUN(op), 200, 200, 4, 4);
	fresh();
	op = MK(MAXPOOL, "f32[1,1,2]", K("f32[1,1,3]", D(1, NAN, 2)));
	INTS(op, "kernel_shape", 2);
	EXPECT(RUN(op), 1, NAN);
}

static void test_avgpool(void)
{
	fresh();
	ir_op *op = MK(AVGPOOL, "f32[1,1,2,2]", IOTA("f32[1,1,4,4]"));
	INTS(op, "kernel_shape", 3, 3);
	INTS(op, "strides", 2, 2);
	ir_op_set_int(G, op, "ceil_mode", 1);
	EXPECT(RUN(op), 5, 6.5, 11, 12.5);
	fresh();
	op = MK(AVGPOOL, "f32[1,1,3,3]", K("f32[1,1,2,2]", D(1, 2, 3, 4)));
	INTS(op, "kernel_shape", 2, 2);
	INTS(op, "pads", 1, 1, 1, 1);
	ir_op_set_int(G, op, "count_include_pad", 1);
	EXPECT(RUN(op), 0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1);
	fresh();
	op = MK(AVGPOOL, "f32[1,1,3,3]", K("f32[1,1,2,2]", D(1, 2, 3, 4)));
	INTS(op, "kernel_shape", 2, 2);
	INTS(op, "pads", 1, 1, 1, 1);
	EXPECT(RUN(op), 1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4);
}

/* Pads [1, 0], ceil mode: the last window [3, 4, 5] loses 5, past the end. */
static void test_avgpool_ceil_pads(void)
{
	for (int incl = 0; incl <= 1; incl++) {
		fresh();
		ir_op *op = MK(AVGPOOL, "f32[1,1,3]", K("f32[1,1,5]", D(1, 2, 3, 4, 5)));
		INTS(op, "kernel_shape", 3);
		INTS(op, "strides", 2);
		INTS(op, "pads", 1, 0);
		ir_op_set_int(G, op, "ceil_mode", 1);
		ir_op_set_int(G, op, "count_include_pad", incl);
		if (incl)
			EXPECT(RUN(op), 1, 3, 4.5);
		else
			EXPECT(RUN(op), 1.5, 3, 4.5);
	}
	fresh();
	ir_op *op = MK(AVGPOOL, "f32[1,1,3]", K("f32[1,1,3]", D(1, 2, 3)));
	INTS(op, "kernel_shape", 2);
	ir_op_set_str(G, op, "auto_pad", "SAME_LOWER");
	ir_op_set_int(G, op, "count_include_pad", 1);
	EXPECT(RUN(op), 0.5, 1.5, 2.5);
}

static void test_gpool(void)
{
	fresh();
	EXPECT(RUN(MK(GLOBALAVGPOOL, "f32[1,2,1,1]", K("f32[1,2,2,2]", D(1, 2, 3, 4, -1, -2, -3, 10)))),
	       2.5, 1);
	fresh();
	EXPECT(RUN(MK(GLOBALMAXPOOL, "f32[1,2,1,1]", K("f32[1,2,2,2]", D(1, 2, 3, 4, -1, -2, -3, 10)))),
	       4, 10);
	fresh();
	EXPECT(RUN(MK(GLOBALMAXPOOL, "i32[2,1,1]", K("i32[2,1,3]", D(-5, -2, -9, 7, 8, 1)))), -2, 8);
}

/* ---- Resize ---------------------------------------------------------------- */

static ir_op *resize(const char *res, const char *x, const double *v, const char *mode, const char *ctm)
{
	fresh();
	ir_op *op = mk(IR_OP_RESIZE, res, (ir_val[]){K(x, v)}, 1);
	ir_op_set_str(G, op, "mode", mode);
	ir_op_set_str(G, op, "coordinate_transformation_mode", ctm);
	return op;
}

static void test_resize_nearest(void)
{
	ir_op *op = resize("f32[1,1,1,6]", "f32[1,1,1,4]", D(10, 20, 30, 40), "nearest", "asymmetric");
	ir_op_set_str(G, op, "nearest_mode", "floor");
	ir_op_set_floats(G, op, "scales", (float[]){1, 1, 1, 1.5f}, 4);
	EXPECT(RUN(op), 10, 10, 20, 30, 30, 40);
	op = resize("f32[1,1,2,6]", "f32[1,1,1,2]", D(1, 2), "nearest", "half_pixel");
	ir_op_set_floats(G, op, "scales", (float[]){1, 1, 2, 3}, 4);
	EXPECT(RUN(op), 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2);
	op = resize("i32[4]", "i32[2]", D(7, 9), "nearest", "asymmetric");
	ir_op_set_str(G, op, "nearest_mode", "round_prefer_ceil");
	ir_op_set_ints(G, op, "sizes", I64S(4));
	EXPECT(RUN(op), 7, 9, 9, 9);
	op = resize("f32[3]", "f32[2]", D(7, 9), "nearest", "align_corners");
	ir_op_set_ints(G, op, "sizes", I64S(3));
	EXPECT(RUN(op), 7, 7, 9);
	op = resize("f32[3]", "f32[2]", D(7, 9), "nearest", "align_corners");
	ir_op_set_str(G, op, "nearest_mode", "ceil");
	ir_op_set_ints(G, op, "sizes", I64S(3));
	EXPECT(RUN(op), 7, 9, 9);
}

static void test_resize_linear(void)
{
	ir_op *op = resize("f32[1,1,4,4]", "f32[1,1,2,2]", D(1, 2, 3, 4), "linear", "half_pixel");
	ir_op_set_floats(G, op, "scales", (float[]){1, 1, 2, 2}, 4);
	EXPECT(RUN(op), 1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4);
	op = resize("f32[1,1,4,4]", "f32[1,1,2,2]", D(1, 2, 3, 4), "linear", "align_corners");
	ir_op_set_floats(G, op, "scales", (float[]){1, 1, 2, 2}, 4);
	EXPECT(RUN(op), 1, 4. / 3, 5. / 3, 2, 5. / 3, 2, 7. / 3, 8. / 3, 7. / 3, 8. / 3, 3, 10. / 3,
	       3, 10. / 3, 11. / 3, 4);
	op = resize("f32[1,1,1,2]", "f32[1,1,2,4]", D(1, 2, 3, 4, 5, 6, 7, 8), "linear", "align_corners");
	ir_op_set_floats(G, op, "scales", (float[]){1, 1, 0.6f, 0.6f}, 4);
	EXPECT(RUN(op), 1, 3.142857074737549);
	op = resize("f32[3,1]", "f32[4,1]", D(1, 2, 3, 4), "linear", "pytorch_half_pixel");
	ir_op_set_ints(G, op, "sizes", I64S(3, 1));
	EXPECT(RUN(op), 1.1666666269302368, 2.5, 3.8333332538604736);
}

/* ONNX's test_resize_upsample_scales_cubic, first row, and its A=-0.5 exclude_outside variant. */
static void test_resize_cubic(void)
{
	const double *x = D(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
	ir_op *op = resize("f32[1,1,8,8]", "f32[1,1,4,4]", x, "cubic", "half_pixel");
	ir_op_set_floats(G, op, "scales", (float[]){1, 1, 2, 2}, 4);
	interp_tensor *y = RUN(op);
	if (y)
		y->type.dims[2] = 1;
	EXPECT(y, 0.47265625, 0.76953125, 1.24609375, 1.875, 2.28125, 2.91015625, 3.38671875, 3.68359375);
	op = resize("f32[1,1,8,8]", "f32[1,1,4,4]", x, "cubic", "half_pixel");
	ir_op_set_floats(G, op, "scales", (float[]){1, 1, 2, 2}, 4);
	ir_op_set_float(G, op, "cubic_coeff_a", -0.5f);
	ir_op_set_int(G, op, "exclude_outside", 1);
	y = RUN(op);
	if (y)
		y->type.dims[2] = 1;
	EXPECT(y, 0.55882353, 0.81494204, 1.35698249, 1.89705882, 2.39705882, 2.93713516, 3.47917561,
	       3.73529412);
}

/* ---- Transpose, Concat, Split, Slice ------------------------------------------- */

static void test_transpose(void)
{
	fresh();
	EXPECT(RUN(MK(TRANSPOSE, "f32[3,2]", K("f32[2,3]", D(1, 2, 3, 4, 5, 6)))), 1, 4, 2, 5, 3, 6);
	fresh();
	ir_op *op = MK(TRANSPOSE, "i64[3,2,2]", IOTA("i64[2,2,3]"));
	INTS(op, "perm", 2, 0, 1);
	EXPECT(RUN(op), 0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11);
	fresh();
	EXPECT(RUN(MK(TRANSPOSE, "i4[3,2]", K("i4[2,3]", D(-8, 1, 2, 3, 4, 7)))), -8, 3, 1, 4, 2, 7);
}

static void test_concat_split(void)
{
	fresh();
	ir_op *op = MK(CONCAT, "f32[2,3]", K("f32[2,1]", D(1, 2)), K("f32[2,2]", D(3, 4, 5, 6)));
	ir_op_set_int(G, op, "axis", -1);
	EXPECT(RUN(op), 1, 3, 4, 2, 5, 6);
	fresh();
	op = MK(CONCAT, "bool[3]", K("bool[1]", D(1)), K("bool[2]", D(0, 1)));
	ir_op_set_int(G, op, "axis", 0);
	EXPECT(RUN(op), 1, 0, 1);
	fresh();
	op = MK(SPLIT, "i32[2]|i32[3]", K("i32[5]", D(1, 2, 3, 4, 5)));
	INTS(op, "split", 2, 3);
	interp_tensor *y = RUN(op);
	EXPECT(y, 1, 2);
	EXPECT(y ? &y[1] : NULL, 3, 4, 5);
	fresh();
	op = MK(SPLIT, "f32[2,1]|f32[2,1]", K("f32[2,2]", D(1, 2, 3, 4)));
	ir_op_set_int(G, op, "axis", 1);
	y = RUN(op);
	EXPECT(y, 1, 3);
	EXPECT(y ? &y[1] : NULL, 2, 4);
}

static void test_slice(void)
{
	fresh();
	ir_op *op = MK(SLICE, "f32[3]", K("f32[5]", D(0, 1, 2, 3, 4)));
	INTS(op, "starts", -1);
	INTS(op, "ends", INT64_MIN);
	INTS(op, "steps", -2);
	EXPECT(RUN(op), 4, 2, 0);
	fresh();
	op = MK(SLICE, "f32[4]", K("f32[5]", D(0, 1, 2, 3, 4)));
	INTS(op, "starts", 1);
	INTS(op, "ends", INT64_MAX);
	EXPECT(RUN(op), 1, 2, 3, 4);
	fresh();
	op = MK(SLICE, "i64[2,3]", IOTA("i64[3,4]"));
	INTS(op, "starts", 3, 1);
	INTS(op, "ends", 0, 3);
	INTS(op, "axes", -1, 0);
	INTS(op, "steps", -1, 1);
	EXPECT(RUN(op), 7, 6, 5, 11, 10, 9);
	fresh();
	op = MK(SLICE, "f32[2]", K("f32[5]", D(0, 1, 2, 3, 4)));
	INTS(op, "starts", 100);
	INTS(op, "ends", -4);
	INTS(op, "steps", -2);
	EXPECT(RUN(op), 4, 2);
}

/* ---- Pad --------------------------------------------------------------------- */

static ir_op *pad(const char *mode)
{
	fresh();
	ir_op *op = MK(PAD, "f32[3,6]", K("f32[2,3]", D(1, 2, 3, 4, 5, 6)));
	INTS(op, "pads", 0, 2, 1, 1);
	ir_op_set_str(G, op, "mode", mode);
	return op;
}

static void test_pad(void)
{
	EXPECT(RUN(pad("reflect")), 3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2);
	EXPECT(RUN(pad("edge")), 1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6, 4, 4, 4, 5, 6, 6);
	EXPECT(RUN(pad("constant")), 0, 0, 1, 2, 3, 0, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0);
	fresh();
	ir_op *op = MK(PAD, "i32[5]", K("i32[2]", D(1, 2)), K("i32[]", D(9)));
	INTS(op, "pads", 1, 2);
	EXPECT(RUN(op), 9, 1, 2, 9, 9);
	fresh();
	op = MK(PAD, "f32[4]", K("f32[4]", D(1, 2, 3, 4)));
	INTS(op, "pads", -1, 1);
	EXPECT(RUN(op), 2, 3, 4, 0);
	fresh();
	op = MK(PAD, "f32[3]", K("f32[4]", D(1, 2, 3, 4)));
	INTS(op, "pads", -2, 1);
	ir_op_set_str(G, op, "mode", "reflect");
	EXPECT(RUN(op), 3, 4, 3);
}

/* ---- Gather, GatherElements ---------------------------------------------------- */

static void test_gather(void)
{
	fresh();
	EXPECT(RUN(MK(GATHER, "f32[2,2]", K("f32[3,2]", D(1, 2, 3, 4, 5, 6)), K("i64[2]", D(-1, 0)))),
	       5, 6, 1, 2);
	fresh();
	ir_op *op = MK(GATHER, "f32[3,1,1]", K("f32[3,2]", D(1, 2, 3, 4, 5, 6)), K("i32[1,1]", D(-1)));
	ir_op_set_int(G, op, "axis", 1);
	EXPECT(RUN(op), 2, 4, 6);
	fresh();
	EXPECT(RUN(MK(GATHER, "i64[]", K("i64[3]", D(7, 8, 9)), K("i64[]", D(-3)))), 7);
	fresh();
	ERR(MK(GATHER, "f32[1,2]", K("f32[3,2]", D(1, 2, 3, 4, 5, 6)), K("i64[1]", D(3))),
	    "'Gather' op: index 3 is out of range for a dim of size 3");
	fresh();
	ERR(MK(GATHER, "f32[1,2]", K("f32[3,2]", D(1, 2, 3, 4, 5, 6)), K("i64[1]", D(-4))), "index -4");

	fresh();
	op = MK(GATHERELEMENTS, "f32[2,2]", K("f32[2,2]", D(1, 2, 3, 4)), K("i64[2,2]", D(0, 0, 1, -2)));
	ir_op_set_int(G, op, "axis", 1);
	EXPECT(RUN(op), 1, 1, 4, 3);
	fresh();
	EXPECT(RUN(MK(GATHERELEMENTS, "i32[1,3]", IOTA("i32[3,3]"), K("i32[1,3]", D(2, 1, 0)))), 6, 4, 2);
	fresh();
	ERR(MK(GATHERELEMENTS, "f32[1,1]", K("f32[2,2]", D(1, 2, 3, 4)), K("i64[1,1]", D(2))),
	    "'GatherElements' op: index 2 is out of range");
}

/* ---- Expand, Tile, DepthToSpace, SpaceToDepth, Trilu ---------------------------------- */

static void test_expand_tile(void)
{
	fresh();
	ir_op *op = MK(EXPAND, "f32[2,3,2]", K("f32[3,1]", D(1, 2, 3)));
	INTS(op, "shape", 2, 1, 2);
	EXPECT(RUN(op), 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3);
	fresh();
	op = MK(EXPAND, "i8[2]", K("i8[]", D(-4)));
	INTS(op, "shape", 2);
	EXPECT(RUN(op), -4, -4);
	fresh();
	op = MK(TILE, "f32[2,4]", K("f32[1,2]", D(1, 2)));
	INTS(op, "repeats", 2, 2);
	EXPECT(RUN(op), 1, 2, 1, 2, 1, 2, 1, 2);
	fresh();
	op = MK(TILE, "i4[6]", K("i4[2]", D(-1, 3)));
	INTS(op, "repeats", 3);
	EXPECT(RUN(op), -1, 3, -1, 3, -1, 3);
}

static void test_depth_to_space(void)
{
	fresh();
	ir_op *op = MK(DEPTHTOSPACE, "f32[1,2,2,2]", IOTA("f32[1,8,1,1]"));
	ir_op_set_int(G, op, "blocksize", 2);
	EXPECT(RUN(op), 0, 2, 4, 6, 1, 3, 5, 7);
	fresh();
	op = MK(DEPTHTOSPACE, "f32[1,2,2,2]", IOTA("f32[1,8,1,1]"));
	ir_op_set_int(G, op, "blocksize", 2);
	ir_op_set_str(G, op, "mode", "CRD");
	EXPECT(RUN(op), 0, 1, 2, 3, 4, 5, 6, 7);
	fresh();
	op = MK(DEPTHTOSPACE, "f32[1,1,2,4]", IOTA("f32[1,4,1,2]"));
	ir_op_set_int(G, op, "blocksize", 2);
	ir_op_set_str(G, op, "mode", "CRD");
	EXPECT(RUN(op), 0, 2, 1, 3, 4, 6, 5, 7);
	fresh();
	op = MK(SPACETODEPTH, "f32[1,8,1,1]", IOTA("f32[1,2,2,2]"));
	ir_op_set_int(G, op, "blocksize", 2);
	EXPECT(RUN(op), 0, 4, 1, 5, 2, 6, 3, 7);
	fresh();
	op = MK(SPACETODEPTH, "f32[1,4,1,2]", IOTA("f32[1,1,2,4]"));
	ir_op_set_int(G, op, "blocksize", 2);
	EXPECT(RUN(op), 0, 2, 1, 3, 4, 6, 5, 7);
}

static void test_trilu(void)
{
	fresh();
	ir_op *op = MK(TRILU, "f32[3,3]", K("f32[3,3]", D(1, 2, 3, 4, 5, 6, 7, 8, 9)));
	ir_op_set_int(G, op, "k", 1);
	EXPECT(RUN(op), 0, 2, 3, 0, 0, 6, 0, 0, 0);
	fresh();
	op = MK(TRILU, "i32[2,2,3]", K("i32[2,2,3]", D(1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6)));
	ir_op_set_int(G, op, "upper", 0);
	ir_op_set_int(G, op, "k", -1);
	EXPECT(RUN(op), 0, 0, 0, 4, 0, 0, 0, 0, 0, 4, 0, 0);
	fresh();
	EXPECT(RUN(MK(TRILU, "bool[2,2]", K("bool[2,2]", D(1, 1, 1, 1)))), 1, 1, 0, 1);
}

/* Empty results and operands: every kernel must cope with zero-sized dims. */
static void test_empty(void)
{
	fresh();
	ir_op *op = MK(SLICE, "f32[0]", K("f32[5]", D(0, 1, 2, 3, 4)));
	INTS(op, "starts", 3);
	INTS(op, "ends", 1);
	interp_tensor *y = RUN(op);
	CHECK(y && numel(&y->type) == 0);
	fresh();
	y = RUN(MK(CONV, "f32[0,2,1,1]", K("f32[0,1,3,3]", D(0)), IOTA("f32[2,1,3,3]")));
	CHECK(y && numel(&y->type) == 0);
	fresh();
	op = MK(CONVTRANSPOSE, "f32[0,1,3]", K("f32[0,1,2]", D(0)), IOTA("f32[1,1,2]"));
	y = RUN(op);
	CHECK(y && numel(&y->type) == 0);
	fresh();
	EXPECT(RUN(MK(MATMUL, "f32[2,2]", K("f32[2,0]", D(0)), K("f32[0,2]", D(0)))), 0, 0, 0, 0);
	fresh();
	op = MK(MAXPOOL, "f32[1,0,2]", K("f32[1,0,3]", D(0)));
	INTS(op, "kernel_shape", 2);
	y = RUN(op);
	CHECK(y && numel(&y->type) == 0);
	fresh();
	op = MK(PAD, "f32[2,0]", K("f32[0,0]", D(0)));
	INTS(op, "pads", 1, 0, 1, 0);
	y = RUN(op);
	CHECK(y && numel(&y->type) == 0);
	fresh();
	y = RUN(MK(GATHER, "f32[0,2]", K("f32[3,2]", D(1, 2, 3, 4, 5, 6)), K("i64[0]", D(0))));
	CHECK(y && numel(&y->type) == 0);
}

static void (*const cases[])(void) = {
	test_matmul, test_gemm, test_qlinear_matmul, test_conv_2d, test_conv_groups, test_conv_nd,
	test_qlinear_conv, test_convtranspose, test_convtranspose_same, test_maxpool, test_avgpool,
	test_avgpool_ceil_pads, test_gpool, test_resize_nearest, test_resize_linear, test_resize_cubic,
	test_transpose, test_concat_split, test_slice, test_pad, test_gather, test_expand_tile,
	test_depth_to_space, test_trilu, test_empty,
};

static int run_cases(ir_ctx *c, void *ud)
{
	(void)c;
	(void)ud;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cases[i]();
	return 0;
}

int main(void)
{
	C = ir_ctx_new(0);
	CHECK(ir_protect(C, run_cases, NULL) == 0);
	ir_ctx_free(C);
	return check_done("test_interp_kernels");
}
