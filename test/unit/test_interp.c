/*
** test_interp.c - unit test of the reference interpreter (interp/): the
** element accessors, interp_run and interp_op, and the kernels of the
** copy, unary, clip, binary, where, cast, softmax, norm, reduce,
** argreduce, cumsum and quant families against hand-computed values.
**
** A case builds a one-op graph whose operands are constants (K), makes the
** op's results the graph outputs and runs it (RUN); EXPECT compares a
** result with the wanted values: integer and bool types exactly, f32 to a
** relative 1e-6, f16 to 1e-3, NaN only with NaN.  ERR expects the run to
** fail with a diagnostic containing a text.  Every case runs inside
** ir_protect; failures go to stderr and make the exit status non-zero.
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
#define RUN(op) run(op, __LINE__)
#define ERR(op, text) err(op, text, __LINE__)
#define NONE IR_NOVAL

/* A zeroed tensor of type ty in C's arena. */
static interp_tensor tensor(const char *ty)
{
	interp_tensor t = {T(ty), NULL};
	int64_t b;
	ir_type_bytes(&t.type, &b);
	t.data = ir_alloc(C, (size_t)b);
	return t;
}

/* A tensor of type ty holding v (through set_f for float types, else set_i). */
static interp_tensor filled(const char *ty, const double *v)
{
	interp_tensor t = tensor(ty);
	for (int64_t i = 0; i < numel(&t.type); i++) {
		if (ir_dtype_is_float(t.type.dtype))
			interp_set_f(&t, i, v[i]);
		else
			interp_set_i(&t, i, (int64_t)v[i]);
	}
	return t;
}

/* A constant of type ty holding v. */
static ir_val K(const char *ty, const double *v)
{
	interp_tensor t = filled(ty, v);
	int64_t b;
	ir_type_bytes(&t.type, &b);
	return ir_const_new(G, &t.type, t.data, b);
}

static ir_val K64(const int64_t *v, int n)
{
	ir_type t = {.dtype = IR_I64, .rank = 1, .dims = {n}};
	return ir_const_new(G, &t, v, 8 * (int64_t)n);
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

/* Run G with op's results as its outputs; NULL (and a failure) on error. */
static interp_tensor *run(ir_op *op, int line)
{
	interp_tensor *out = ir_alloc_array(C, (size_t)op->n_out, sizeof *out);
	for (int32_t i = 0; i < op->n_out; i++)
		ir_add_output(G, "y", op->out[i]);
	if (interp_run(C, G, NULL, out) == 0)
		return out;
	check_total++;
	check_failed++;
	fprintf(stderr, "test_interp.c:%d: run failed: %s\n", line, C->first_error);
	return NULL;
}

/* The run must fail with a first error containing text. */
static void err(ir_op *op, const char *text, int line)
{
	interp_tensor out[4];
	FILE *saved = C->diag_out;
	for (int32_t i = 0; i < op->n_out; i++)
		ir_add_output(G, "y", op->out[i]);
	C->n_errors = 0;
	C->first_error[0] = 0;
	C->diag_out = NULL;
	int rc = interp_run(C, G, NULL, out);
	C->diag_out = saved;
	check_total++;
	if (rc == 0 || !strstr(C->first_error, text)) {
		check_failed++;
		fprintf(stderr, "test_interp.c:%d: expected an error with '%s'; got rc %d, '%s'\n", line, text,
			rc, C->first_error);
	}
	C->n_errors = 0;
}

/* ---- accessors and the driver -------------------------------------------- */

static void test_accessors(void)
{
	interp_tensor h = tensor("f16[3]"), q = tensor("i4[3]"), b = tensor("bool[3]");
	interp_tensor s8 = tensor("i8[5]"), u8 = tensor("u8[2]"), s16 = tensor("i16[1]");
	interp_set_f(&h, 0, 1.0);
	interp_set_f(&h, 1, 65504);
	interp_set_f(&h, 2, 1.0 / 3);
	EXPECT(&h, 1, 65504, 0.333251953125);
	CHECK(((uint16_t *)h.data)[2] == 0x3555);
	interp_set_i(&q, 0, -3);
	interp_set_i(&q, 1, 7);
	interp_set_i(&q, 2, 9);
	CHECK(((uint8_t *)q.data)[0] == 0x7d && ((uint8_t *)q.data)[1] == 0x09);
	EXPECT(&q, -3, 7, -7);
	interp_set_i(&b, 0, 5);
	interp_set_f(&b, 1, NAN);
	interp_set_f(&b, 2, 0);
	EXPECT(&b, 1, 1, 0);
	double v[] = {2.9, -2.9, 300, -1e30, NAN};
	for (int i = 0; i < 5; i++)
		interp_set_f(&s8, i, v[i]);
	EXPECT(&s8, 2, -2, 127, -128, 0);
	interp_set_f(&u8, 0, -1);
	interp_set_i(&u8, 1, -1);
	EXPECT(&u8, 0, 255);
	interp_set_i(&s16, 0, 70000);
	EXPECT(&s16, 4464);
	interp_set_i(&s8, 0, 300);
	CHECK(interp_get_i(&s8, 0) == 44);
	interp_tensor f = filled("f32[2]", D(-2.5, 1e30));
	CHECK(interp_get_i(&f, 0) == -2 && interp_get_i(&f, 1) == INT64_MAX);
}

static void test_run(void)
{
	ir_type ti = T("f32[2]");
	fresh();
	ir_val x = ir_add_input(G, &ti, "x");
	ir_op *add = MK(ADD, "f32[2]", x, K("f32[2]", D(10, 20)));
	ir_val k = K("f32[2]", D(7, 8));
	ir_add_output(G, "sum", add->out[0]);
	ir_add_output(G, "k", k);
	interp_tensor in = filled("f32[2]", D(1, 2)), out[2];
	CHECK(interp_run(C, G, &in, out) == 0);
	EXPECT(&out[0], 11, 22);
	EXPECT(&out[1], 7, 8);
	CHECK(out[1].data != ir_const_of(G, k)->data);

	interp_tensor bad = filled("f32[3]", D(1, 2, 3));
	FILE *saved = C->diag_out;
	C->diag_out = NULL;
	C->n_errors = 0;
	C->first_error[0] = 0;
	CHECK(interp_run(C, G, &bad, out) < 0);
	CHECK(strstr(C->first_error, "graph input #0 (x) is a tensor of type f32[3]; the graph expects f32[2]"));
	C->n_errors = 0;

	const interp_tensor *ins[2] = {&in, &in};
	CHECK(interp_op(C, G, add, ins, out) == 0);
	EXPECT(&out[0], 2, 4);
	CHECK(interp_op(C, G, ir_value_get(G, k)->def, NULL, out) < 0);
	CHECK(strstr(C->first_error, "'const' op"));
	C->diag_out = saved;
	C->n_errors = 0;
}

static void test_copy(void)
{
	fresh();
	interp_tensor *y = RUN(MK(IDENTITY, "i4[3]", K("i4[3]", D(-8, 7, -1))));
	EXPECT(y, -8, 7, -1);
	fresh();
	y = RUN(MK(RESHAPE, "f32[3,2]", K("f32[2,3]", D(1, 2, 3, 4, 5, 6)), K64(I64S(3, 2))));
	EXPECT(y, 1, 2, 3, 4, 5, 6);
	CHECK(y && y->type.rank == 2 && y->type.dims[0] == 3);
}

/* ---- unary --------------------------------------------------------------- */

/* Unary op k on f32[n] values x. */
static interp_tensor *un(ir_opkind k, const char *ty, const double *x)
{
	fresh();
	ir_val a = K(ty, x);
	ir_op *op = ir_op_append(G, k, &a, 1, (ir_type[]){T(ty)}, 1);
	return RUN(op);
}

#define X5 D(-2, -0.5, 0, 0.5, 2)
#define X3 D(0.25, 1, 4)

static void test_unary_activations(void)
{
	EXPECT(un(IR_OP_RELU, "f32[5]", X5), 0, 0, 0, 0.5, 2);
	EXPECT(un(IR_OP_RELU, "i32[2]", D(-3, 4)), 0, 4);
	EXPECT(un(IR_OP_LEAKYRELU, "f32[5]", X5), -0.02, -0.005, 0, 0.5, 2);
	EXPECT(un(IR_OP_ELU, "f32[5]", X5), -0.8646647167633873, -0.3934693402873666, 0, 0.5, 2);
	EXPECT(un(IR_OP_SELU, "f32[5]", X5), -1.5201664733475926, -0.6917581899652426, 0,
	       0.5253505110740662, 2.1014020442962646);
	EXPECT(un(IR_OP_SIGMOID, "f32[5]", X5), 0.11920292202211755, 0.3775406687981454, 0.5,
	       0.6224593312018546, 0.8807970779778823);
	EXPECT(un(IR_OP_HARDSIGMOID, "f32[6]", D(-3, -0.5, 0, 0.5, 3, NAN)), 0, 0.4, 0.5, 0.6, 1, NAN);
	EXPECT(un(IR_OP_HARDSWISH, "f32[5]", D(-4, -1, 0, 1, 4)), 0, -1.0 / 3, 0, 2.0 / 3, 4);
	EXPECT(un(IR_OP_SOFTPLUS, "f32[5]", X5), 0.1269280110429726, 0.4740769841801067, 0.6931471805599453,
	       0.9740769841801067, 2.1269280110429727);

	fresh();
	ir_op *op = MK(LEAKYRELU, "f32[2]", K("f32[2]", D(-2, 3)));
	ir_op_set_float(G, op, "alpha", 0.5f);
	EXPECT(RUN(op), -1, 3);
}

static void test_unary_math(void)
{
	EXPECT(un(IR_OP_TANH, "f32[3]", X3), 0.24491866240370913, 0.7615941559557649, 0.999329299739067);
	EXPECT(un(IR_OP_EXP, "f32[3]", X3), 1.2840254166877414, 2.718281828459045, 54.598150033144236);
	EXPECT(un(IR_OP_EXP, "f16[1]", D(1)), 2.71875);
	EXPECT(un(IR_OP_LOG, "f32[3]", X3), -1.3862943611198906, 0, 1.3862943611198906);
	EXPECT(un(IR_OP_SQRT, "f32[3]", X3), 0.5, 1, 2);
	EXPECT(un(IR_OP_ERF, "f32[3]", X3), 0.2763263901682369, 0.8427007929497149, 0.9999999845827421);
	EXPECT(un(IR_OP_SIN, "f32[3]", X3), 0.24740395925452294, 0.8414709848078965, -0.7568024953079282);
	EXPECT(un(IR_OP_COS, "f32[3]", X3), 0.9689124217106447, 0.5403023058681398, -0.6536436208636119);
	EXPECT(un(IR_OP_RECIPROCAL, "f32[3]", X3), 4, 1, 0.25);
	EXPECT(un(IR_OP_NEG, "f32[2]", D(-1.5, 2)), 1.5, -2);
	EXPECT(un(IR_OP_NEG, "i8[2]", D(-128, 5)), -128, -5);
	EXPECT(un(IR_OP_ABS, "i32[2]", D(-3, 4)), 3, 4);
	EXPECT(un(IR_OP_ABS, "f32[2]", D(-3.5, 4)), 3.5, 4);
	EXPECT(un(IR_OP_SIGN, "f32[3]", D(-2, 0, 3)), -1, 0, 1);
	EXPECT(un(IR_OP_SIGN, "i64[3]", D(-7, 0, 9)), -1, 0, 1);
	EXPECT(un(IR_OP_FLOOR, "f32[2]", D(-1.5, 1.5)), -2, 1);
	EXPECT(un(IR_OP_CEIL, "f32[2]", D(-1.5, 1.5)), -1, 2);
	EXPECT(un(IR_OP_ROUND, "f32[8]", D(0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6)), 0, 2, 2, -0.0, -2, -2,
	       2, 3);
	EXPECT(un(IR_OP_NOT, "bool[2]", D(1, 0)), 0, 1);
}

/* ---- clip ---------------------------------------------------------------- */

static void test_clip(void)
{
	fresh();
	EXPECT(RUN(MK(CLIP, "f32[3]", K("f32[3]", D(-2, 0.5, 3)), K("f32[]", D(0)), K("f32[]", D(1)))), 0,
	       0.5, 1);
	fresh();
	EXPECT(RUN(MK(CLIP, "f32[3]", K("f32[3]", D(-2, 0.5, 3)), NONE, K("f32[]", D(1)))), -2, 0.5, 1);
	fresh();
	EXPECT(RUN(MK(CLIP, "f32[3]", K("f32[3]", D(-2, NAN, 3)))), -2, NAN, 3);
	fresh();
	EXPECT(RUN(MK(CLIP, "u8[3]", K("u8[3]", D(0, 100, 255)), K("u8[]", D(10)), K("u8[]", D(200)))), 10,
	       100, 200);
	fresh();
	EXPECT(RUN(MK(CLIP, "i32[2]", K("i32[2]", D(-5, 5)), K("i32[]", D(0)))), 0, 5);
	fresh();
	EXPECT(RUN(MK(CLIP, "i8[2]", K("i8[2]", D(-5, 5)), K("i8[]", D(3)), K("i8[]", D(1)))), 1, 1);
}

/* ---- binary -------------------------------------------------------------- */

/* Binary op k on constants a (type ta) and b (type tb) with result type ty. */
static interp_tensor *bin(ir_opkind k, const char *ty, const char *ta, const double *a, const char *tb,
			  const double *b)
{
	fresh();
	ir_val v[2] = {K(ta, a), K(tb, b)};
	return RUN(ir_op_append(G, k, v, 2, (ir_type[]){T(ty)}, 1));
}

static void test_arith(void)
{
	EXPECT(bin(IR_OP_ADD, "f32[2,3]", "f32[2,3]", D(1, 2, 3, 4, 5, 6), "f32[3]", D(10, 20, 30)), 11, 22,
	       33, 14, 25, 36);
	EXPECT(bin(IR_OP_ADD, "f32[2,3]", "f32[2,1]", D(1, 2), "f32[1,3]", D(10, 20, 30)), 11, 21, 31, 12, 22,
	       32);
	EXPECT(bin(IR_OP_ADD, "f16[2]", "f16[2]", D(1.5, 2048), "f16[2]", D(0.25, 1)), 1.75, 2048);
	EXPECT(bin(IR_OP_SUB, "i32[2]", "i32[2]", D(5, 6), "i32[]", D(1)), 4, 5);
	EXPECT(bin(IR_OP_MUL, "f32[2,2]", "f32[2,2]", D(1, 2, 3, 4), "f32[2,1]", D(10, -1)), 10, 20, -3, -4);
	EXPECT(bin(IR_OP_MUL, "u8[1]", "u8[1]", D(16), "u8[1]", D(17)), 16);
	EXPECT(bin(IR_OP_DIV, "f32[3]", "f32[3]", D(1, -1, 0), "f32[]", D(0)), INFINITY, -INFINITY, NAN);
	EXPECT(bin(IR_OP_DIV, "f32[1]", "f32[1]", D(1), "f32[1]", D(3)), 1.0f / 3.0f);
	EXPECT(bin(IR_OP_DIV, "i32[4]", "i32[4]", D(7, -7, 7, -7), "i32[4]", D(2, 2, -2, -2)), 3, -3, -3, 3);
	EXPECT(bin(IR_OP_DIV, "i8[1]", "i8[1]", D(-128), "i8[1]", D(-1)), -128);
	fresh();
	ERR(MK(DIV, "i32[2]", K("i32[2]", D(1, 2)), K("i32[2]", D(1, 0))), "'Div' op: integer division by zero");
	EXPECT(bin(IR_OP_POW, "f32[3]", "f32[3]", D(2, 4, 9), "i64[3]", D(3, -1, 0)), 8, 0.25, 1);
	EXPECT(bin(IR_OP_POW, "f32[2]", "f32[2]", D(4, 2), "f32[]", D(0.5)), 2, 1.4142135623730951);
}

static void test_minmax_compare(void)
{
	EXPECT(bin(IR_OP_MIN, "f32[3]", "f32[3]", D(1, NAN, 3), "f32[3]", D(2, 2, NAN)), 1, NAN, NAN);
	EXPECT(bin(IR_OP_MAX, "f32[3]", "f32[3]", D(1, NAN, 3), "f32[3]", D(2, 2, NAN)), 2, NAN, NAN);
	EXPECT(bin(IR_OP_MIN, "i64[2]", "i64[2]", D(-5, 5), "i64[]", D(0)), -5, 0);
	EXPECT(bin(IR_OP_MAX, "u8[2]", "u8[2]", D(200, 5), "u8[]", D(100)), 200, 100);
	EXPECT(bin(IR_OP_EQUAL, "bool[3]", "i32[3]", D(1, 2, 3), "i32[]", D(2)), 0, 1, 0);
	EXPECT(bin(IR_OP_EQUAL, "bool[2]", "bool[2]", D(1, 0), "bool[2]", D(1, 1)), 1, 0);
	EXPECT(bin(IR_OP_EQUAL, "bool[2]", "f32[2]", D(NAN, 0.5), "f32[2]", D(NAN, 0.5)), 0, 1);
	EXPECT(bin(IR_OP_LESS, "bool[2,2]", "f32[2,1]", D(1, 3), "f32[2]", D(2, 0)), 1, 0, 0, 0);
	EXPECT(bin(IR_OP_GREATER, "bool[3]", "i8[3]", D(-1, 0, 1), "i8[]", D(0)), 0, 0, 1);
	EXPECT(bin(IR_OP_AND, "bool[4]", "bool[4]", D(0, 0, 1, 1), "bool[4]", D(0, 1, 0, 1)), 0, 0, 0, 1);
	EXPECT(bin(IR_OP_OR, "bool[4]", "bool[4]", D(0, 0, 1, 1), "bool[4]", D(0, 1, 0, 1)), 0, 1, 1, 1);
	EXPECT(bin(IR_OP_XOR, "bool[4]", "bool[4]", D(0, 0, 1, 1), "bool[4]", D(0, 1, 0, 1)), 0, 1, 1, 0);
	EXPECT(bin(IR_OP_PRELU, "f32[2,3]", "f32[2,3]", D(-1, 2, -3, 4, -5, 6), "f32[3]", D(0.1, 0.2, 0.3)),
	       -0.1, 2, -0.9, 4, -1, 6);
	EXPECT(bin(IR_OP_PRELU, "f32[2,2]", "f32[2,2]", D(-1, -2, -3, 4), "f32[2,1]", D(0.5, 2)), -0.5, -1, -6,
	       4);
}

/* ---- where and cast ------------------------------------------------------ */

static void test_where(void)
{
	fresh();
	EXPECT(RUN(MK(WHERE, "f32[2,3]", K("bool[2,1]", D(1, 0)), K("f32[3]", D(1, 2, 3)), K("f32[]", D(9)))),
	       1, 2, 3, 9, 9, 9);
	fresh();
	EXPECT(RUN(MK(WHERE, "i64[3]", K("bool[3]", D(0, 1, 0)), K("i64[3]", D(1, 2, 3)), K("i64[3]", D(-1, -2, -3)))),
	       -1, 2, -3);
}

/* Cast constant x of type tx to ty. */
static interp_tensor *cast(const char *ty, const char *tx, const double *x)
{
	fresh();
	ir_val a = K(tx, x);
	ir_op *op = ir_op_append(G, IR_OP_CAST, &a, 1, (ir_type[]){T(ty)}, 1);
	ir_op_set_str(G, op, "to", ir_dtype_name(T(ty).dtype));
	return RUN(op);
}

static void test_cast(void)
{
	EXPECT(cast("i8[6]", "f32[6]", D(2.9, -2.9, 300, -300, NAN, 0.5)), 2, -2, 127, -128, 0, 0);
	interp_tensor *h = cast("f16[4]", "f32[4]", D(1.0 / 3, 65520, 1 + 0x1p-11, 1 + 3 * 0x1p-11));
	EXPECT(h, 0.333251953125, INFINITY, 1, 1.001953125);
	CHECK(h && ((uint16_t *)h->data)[0] == 0x3555);
	EXPECT(cast("f32[1]", "f16[1]", D(0.333251953125)), 0.333251953125);
	EXPECT(cast("f32[2]", "i64[2]", D(16777217, -3)), 16777216, -3);
	EXPECT(cast("bool[4]", "f32[4]", D(0, -0.0, 2, NAN)), 0, 0, 1, 1);
	EXPECT(cast("f32[2]", "bool[2]", D(1, 0)), 1, 0);
	EXPECT(cast("u8[2]", "i32[2]", D(300, -1)), 44, 255);
	EXPECT(cast("i32[1]", "u8[1]", D(255)), 255);
	EXPECT(cast("i4[2]", "i8[2]", D(9, -3)), -7, -3);
}

/* ---- softmax ------------------------------------------------------------- */

/* x[2,3,2] with the softmax axis 1 holding [1,2,3], [0,0,0], [-1,0,1], [5,5,10]. */
#define SMX D(1, 0, 2, 0, 3, 0, -1, 5, 0, 5, 1, 10)

static interp_tensor *sm(ir_opkind k, int64_t axis)
{
	fresh();
	ir_val a = K("f32[2,3,2]", SMX);
	ir_op *op = ir_op_append(G, k, &a, 1, (ir_type[]){T("f32[2,3,2]")}, 1);
	ir_op_set_int(G, op, "axis", axis);
	return RUN(op);
}

static void test_softmax(void)
{
	double a = 0.09003057317038046, b = 0.24472847105479764, c = 0.6652409557748218, t = 1.0 / 3;
	double p = 0.006648354478866004, q = 0.986703291042268;
	EXPECT(sm(IR_OP_SOFTMAX, 1), a, t, b, t, c, t, a, p, b, p, c, q);
	EXPECT(sm(IR_OP_SOFTMAX, -2), a, t, b, t, c, t, a, p, b, p, c, q);
	double la = -2.4076059644443806, lb = -1.4076059644443804, lc = -0.4076059644443804;
	double lt = -1.0986122886681098, lp = -5.013385901721449, lq = -0.013385901721448918;
	EXPECT(sm(IR_OP_LOGSOFTMAX, 1), la, lt, lb, lt, lc, lt, la, lp, lb, lp, lc, lq);
	EXPECT(sm(IR_OP_HARDMAX, 1), 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1);
	fresh();
	EXPECT(RUN(MK(SOFTMAX, "f32[1,3]", K("f32[1,3]", D(1, 2, 3)))), a, b, c);
	fresh();
	EXPECT(RUN(MK(SOFTMAX, "f32[3]", K("f32[3]", D(1, NAN, 3)))), NAN, NAN, NAN);
}

/* ---- norm ---------------------------------------------------------------- */

static void test_batch_instance_norm(void)
{
	fresh();
	EXPECT(RUN(MK(BATCHNORM, "f32[1,2,1,2]", K("f32[1,2,1,2]", D(1, 2, 3, 4)), K("f32[2]", D(1, 2)),
		      K("f32[2]", D(0, 1)), K("f32[2]", D(1, 3)), K("f32[2]", D(4, 1)))),
	       0, 0.49999937500118763, 1, 2.999990000075252);
	fresh();
	EXPECT(RUN(MK(INSTANCENORM, "f32[1,2,2]", K("f32[1,2,2]", D(1, 3, 2, 2)), K("f32[2]", D(2, 1)),
		      K("f32[2]", D(0.5, 0)))),
	       -1.4999900000752522, 2.499990000075252, 0, 0);
}

static void test_layernorm(void)
{
	double inv = 1.2247356859086223, inv0 = 316.2277700111307;
	fresh();
	ir_op *op = MK(LAYERNORM, "f32[2,3]|f32[2,1]|f32[2,1]", K("f32[2,3]", D(1, 2, 3, 2, 2, 2)),
		       K("f32[3]", D(1, 1, 2)), K("f32[3]", D(0, 0, 1)));
	interp_tensor *y = RUN(op);
	EXPECT(y, -inv, 0, 2 * inv + 1, 0, 0, 1);
	EXPECT(y ? &y[1] : NULL, 2, 2);
	EXPECT(y ? &y[2] : NULL, inv, inv0);
	fresh();
	op = MK(LAYERNORM, "f32[2,2]", K("f32[2,2]", D(1, 2, 3, 2)), K("f32[2,2]", D(1, 1, 1, 1)));
	ir_op_set_int(G, op, "axis", 0);
	EXPECT(RUN(op), -1.4141994204499573, 0, 1.4141994204499573, 0);
}

/* ---- reduce -------------------------------------------------------------- */

#define R6 D(1, 2, 3, 4, 5, 6)

/* Reduce op k over x (type tx) into ty; axes (n of them; -1: absent), keepdims. */
static interp_tensor *red(ir_opkind k, const char *ty, const char *tx, const double *x, const int64_t *axes,
			  int n, int64_t keep)
{
	fresh();
	ir_val a = K(tx, x);
	ir_op *op = ir_op_append(G, k, &a, 1, (ir_type[]){T(ty)}, 1);
	if (n >= 0)
		ir_op_set_ints(G, op, "axes", axes, n);
	ir_op_set_int(G, op, "keepdims", keep);
	return RUN(op);
}

#define AX(...) I64S(__VA_ARGS__)
#define ALL NULL, -1

static void test_reduce_sum(void)
{
	EXPECT(red(IR_OP_REDUCESUM, "f32[2,1]", "f32[2,3]", R6, AX(1), 1), 6, 15);
	EXPECT(red(IR_OP_REDUCESUM, "f32[3]", "f32[2,3]", R6, AX(-2), 0), 5, 7, 9);
	EXPECT(red(IR_OP_REDUCESUM, "f32[1,1]", "f32[2,3]", R6, ALL, 1), 21);
	EXPECT(red(IR_OP_REDUCESUM, "f32[]", "f32[2,3]", R6, NULL, 0, 0), 21);
	EXPECT(red(IR_OP_REDUCESUM, "i32[2]", "i32[2,2]", D(2147483647, 1, -1, -2), AX(1), 0), -2147483648, -3);
	fresh();
	ir_op *op = MK(REDUCESUM, "f32[2,3]", K("f32[2,3]", R6));
	ir_op_set_int(G, op, "noop_with_empty_axes", 1);
	EXPECT(RUN(op), 1, 2, 3, 4, 5, 6);
	EXPECT(red(IR_OP_REDUCEMEAN, "f32[2,1]", "f32[2,3]", R6, AX(1), 1), 2, 5);
	EXPECT(red(IR_OP_REDUCEMEAN, "i32[3]", "i32[3,2]", D(1, 2, 4, 4, -1, -2), AX(1), 0), 1, 4, -1);
	EXPECT(red(IR_OP_REDUCEPROD, "f32[]", "f32[2,3]", R6, ALL, 0), 720);
	EXPECT(red(IR_OP_REDUCEPROD, "i64[1]", "i64[2]", D(2147483648.0, 2), ALL, 1), 4294967296.0);
	EXPECT(red(IR_OP_REDUCEL1, "f32[1]", "f32[3]", D(-1, 2, -3), ALL, 1), 6);
	EXPECT(red(IR_OP_REDUCEL1, "i8[1]", "i8[3]", D(-1, 2, -3), ALL, 1), 6);
	EXPECT(red(IR_OP_REDUCEL2, "f32[1]", "f32[2]", D(3, -4), ALL, 1), 5);
	EXPECT(red(IR_OP_REDUCEL2, "i32[1]", "i32[2]", D(2, 2), ALL, 1), 2);
	EXPECT(red(IR_OP_REDUCESUMSQUARE, "f32[1]", "f32[2]", D(3, -4), ALL, 1), 25);
}

static void test_reduce_other(void)
{
	EXPECT(red(IR_OP_REDUCEMAX, "f32[3]", "f32[2,3]", R6, AX(0), 0), 4, 5, 6);
	EXPECT(red(IR_OP_REDUCEMIN, "f32[1,3]", "f32[2,3]", R6, AX(0), 1), 1, 2, 3);
	EXPECT(red(IR_OP_REDUCEMAX, "f32[1]", "f32[3]", D(1, NAN, 3), ALL, 1), NAN);
	EXPECT(red(IR_OP_REDUCEMAX, "f32[3]", "f32[0,3]", NULL, AX(0), 0), -INFINITY, -INFINITY, -INFINITY);
	EXPECT(red(IR_OP_REDUCEMIN, "f32[2]", "f32[2,0]", NULL, AX(1), 0), INFINITY, INFINITY);
	EXPECT(red(IR_OP_REDUCEMIN, "i8[2]", "i8[2,0]", NULL, AX(1), 0), 127, 127);
	EXPECT(red(IR_OP_REDUCEMAX, "u8[1]", "u8[0]", NULL, ALL, 1), 0);
	EXPECT(red(IR_OP_REDUCEMAX, "i64[2]", "i64[2,2]", D(-5, -7, 3, 1), AX(1), 0), -5, 3);
	EXPECT(red(IR_OP_REDUCESUM, "f32[3]", "f32[0,3]", NULL, AX(0), 0), 0, 0, 0);
	EXPECT(red(IR_OP_REDUCELOGSUM, "f32[2,1]", "f32[2,3]", R6, AX(1), 1), 1.791759469228055,
	       2.70805020110221);
	EXPECT(red(IR_OP_REDUCELOGSUMEXP, "f32[1]", "f32[3]", D(1, 2, 3), ALL, 1), 3.40760596444438);
	EXPECT(red(IR_OP_REDUCELOGSUMEXP, "f32[1]", "f32[2]", D(1000, 1000), ALL, 1), 1000.6931471805599);
	EXPECT(red(IR_OP_REDUCELOGSUMEXP, "f32[1]", "f32[2]", D(-INFINITY, 0), ALL, 1), 0);
	EXPECT(red(IR_OP_REDUCELOGSUMEXP, "f32[1]", "f32[2]", D(INFINITY, 0), ALL, 1), INFINITY);
}

/* ---- argreduce and cumsum ------------------------------------------------ */

static interp_tensor *arg(ir_opkind k, const char *ty, const char *tx, const double *x, int64_t axis,
			  int64_t keep, int64_t last)
{
	fresh();
	ir_val a = K(tx, x);
	ir_op *op = ir_op_append(G, k, &a, 1, (ir_type[]){T(ty)}, 1);
	ir_op_set_int(G, op, "axis", axis);
	ir_op_set_int(G, op, "keepdims", keep);
	ir_op_set_int(G, op, "select_last_index", last);
	return RUN(op);
}

static void test_argreduce(void)
{
	double *x = D(1, 3, 3, 5, 2, 5);
	EXPECT(arg(IR_OP_ARGMAX, "i64[2,1]", "f32[2,3]", x, 1, 1, 0), 1, 0);
	EXPECT(arg(IR_OP_ARGMAX, "i64[2]", "f32[2,3]", x, -1, 0, 1), 2, 2);
	EXPECT(arg(IR_OP_ARGMIN, "i64[3]", "f32[2,3]", x, 0, 0, 0), 0, 1, 0);
	EXPECT(arg(IR_OP_ARGMIN, "i64[1,3]", "i32[2,3]", D(1, 1, 3, 1, 2, 3), 0, 1, 1), 1, 0, 1);
	EXPECT(arg(IR_OP_ARGMAX, "i64[]", "f32[4]", D(1, NAN, 3, NAN), 0, 0, 0), 1);
	EXPECT(arg(IR_OP_ARGMAX, "i64[]", "f32[4]", D(1, NAN, 3, NAN), 0, 0, 1), 3);
	EXPECT(arg(IR_OP_ARGMIN, "i64[1]", "u8[3]", D(7, 0, 0), 0, 1, 1), 2);
}

static interp_tensor *cum(const char *ty, const double *x, int64_t axis, int64_t excl, int64_t rev)
{
	fresh();
	ir_val a = K(ty, x);
	ir_op *op = ir_op_append(G, IR_OP_CUMSUM, &a, 1, (ir_type[]){T(ty)}, 1);
	ir_op_set_int(G, op, "axis", axis);
	ir_op_set_int(G, op, "exclusive", excl);
	ir_op_set_int(G, op, "reverse", rev);
	return RUN(op);
}

static void test_cumsum(void)
{
	double *x = D(1, 2, 3, 4, 5);
	EXPECT(cum("f32[5]", x, 0, 0, 0), 1, 3, 6, 10, 15);
	EXPECT(cum("f32[5]", x, 0, 1, 0), 0, 1, 3, 6, 10);
	EXPECT(cum("f32[5]", x, 0, 0, 1), 15, 14, 12, 9, 5);
	EXPECT(cum("f32[5]", x, -1, 1, 1), 14, 12, 9, 5, 0);
	EXPECT(cum("i32[2,3]", R6, 1, 0, 0), 1, 3, 6, 4, 9, 15);
	EXPECT(cum("i32[2,3]", R6, 0, 1, 0), 0, 0, 0, 1, 2, 3);
	EXPECT(cum("f32[3]", D(16777216, 1, 1), 0, 0, 0), 16777216, 16777216, 16777216);
}

/* ---- quant --------------------------------------------------------------- */

#define QX D(0, 1, 3, 5, -1, 510, -600, 255)

static void test_quantize(void)
{
	fresh();
	EXPECT(RUN(MK(QUANTIZE, "u8[8]", K("f32[8]", QX), K("f32[]", D(2)), K("u8[]", D(128)))), 128, 128, 130,
	       130, 128, 255, 0, 255);
	fresh();
	EXPECT(RUN(MK(QUANTIZE, "u8[8]", K("f32[8]", QX), K("f32[]", D(2)))), 0, 0, 2, 2, 0, 255, 0, 128);
	fresh();
	EXPECT(RUN(MK(QUANTIZE, "i8[8]", K("f32[8]", QX), K("f32[]", D(2)), K("i8[]", D(-1)))), -1, -1, 1, 1,
	       -1, 127, -128, 127);
	fresh();
	EXPECT(RUN(MK(QUANTIZE, "u8[2,3]", K("f32[2,3]", R6), K("f32[3]", D(1, 2, 4)), K("u8[3]", D(0, 10, 20)))),
	       1, 11, 21, 4, 12, 22);
	fresh();
	ir_op *op = MK(QUANTIZE, "u8[2,3]", K("f32[2,3]", R6), K("f32[2]", D(1, 0.5)));
	ir_op_set_int(G, op, "axis", 0);
	EXPECT(RUN(op), 1, 2, 3, 8, 10, 12);
	fresh();
	EXPECT(RUN(MK(QUANTIZE, "i8[2]", K("f16[2]", D(2.5, -3.5)), K("f32[]", D(1)), K("i8[]", D(0)))), 2, -4);
}

static void test_dequantize(void)
{
	fresh();
	EXPECT(RUN(MK(DEQUANTIZE, "f32[3]", K("u8[3]", D(0, 128, 255)), K("f32[]", D(0.5)), K("u8[]", D(128)))),
	       -64, 0, 63.5);
	fresh();
	EXPECT(RUN(MK(DEQUANTIZE, "f32[2,2]", K("i8[2,2]", D(-128, 127, 10, -10)), K("f32[2]", D(0.1, 2)),
		      K("i8[2]", D(0, -10)))),
	       -12.8, 274, 1, 0);
	fresh();
	ir_op *op = MK(DEQUANTIZE, "f32[2,2]", K("u8[2,2]", D(1, 2, 3, 4)), K("f32[2]", D(1, 10)));
	ir_op_set_int(G, op, "axis", 0);
	EXPECT(RUN(op), 1, 2, 30, 40);
	fresh();
	EXPECT(RUN(MK(DEQUANTIZE, "f32[2]", K("i32[2]", D(1000, -7)), K("f32[]", D(0.5)))), 500, -3.5);
}

static void test_dynquantize(void)
{
	fresh();
	ir_op *op = MK(DYNQUANTIZE, "u8[6]|f32[]|u8[]", K("f32[6]", D(0, 2, -3, -2.5, 1.34, 0.5)));
	interp_tensor *y = RUN(op);
	EXPECT(y, 153, 255, 0, 26, 221, 179);
	EXPECT(y ? &y[1] : NULL, 0.019607843831181526);
	EXPECT(y ? &y[2] : NULL, 153);
	fresh();
	y = RUN(MK(DYNQUANTIZE, "u8[6]|f32[]|u8[]", K("f32[6]", D(-1.0, -2.1, -1.3, -2.5, -3.34, -4.0))));
	EXPECT(y, 191, 121, 172, 96, 42, 0);
	EXPECT(y ? &y[1] : NULL, 0.01568627543747425);
	EXPECT(y ? &y[2] : NULL, 255);
	fresh();
	y = RUN(MK(DYNQUANTIZE, "u8[2]|f32[]|u8[]", K("f32[2]", D(0, 0))));
	EXPECT(y, 0, 0);
	EXPECT(y ? &y[1] : NULL, 1);
	EXPECT(y ? &y[2] : NULL, 0);
}

/* ---- driver -------------------------------------------------------------- */

static void (*const cases[])(void) = {
	test_accessors, test_run, test_copy, test_unary_activations, test_unary_math, test_clip,
	test_arith, test_minmax_compare, test_where, test_cast, test_softmax, test_batch_instance_norm,
	test_layernorm, test_reduce_sum, test_reduce_other, test_argreduce, test_cumsum, test_quantize,
	test_dequantize, test_dynquantize,
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
	return check_done("test_interp");
}
