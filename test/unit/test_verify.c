/*
** test_verify.c - the verifier's checks that text cannot reach.
**
** The parser builds only graphs whose values have one definition, valid
** handles and known element types, so these checks guard graphs built
** through the API and rewritten by passes.  Each case breaks one invariant
** of an otherwise valid graph (x -> Relu -> y) and expects exactly one
** diagnostic with the given text.
*/
#include <string.h>

#include "check.h"
#include "ir/ir.h"

typedef struct fixture {
	ir_graph *g;
	ir_val x, y;
	ir_op *relu;
} fixture;

static fixture base(ir_ctx *c)
{
	fixture f;
	ir_type t = {.dtype = IR_F32, .rank = 1, .dims = {4}};
	f.g = ir_graph_new(c, "v");
	f.x = ir_add_input(f.g, &t, "x");
	f.relu = ir_op_append(f.g, IR_OP_RELU, &f.x, 1, &t, 1);
	f.y = f.relu->out[0];
	f.g->vals[f.y].name = "y";
	ir_add_output(f.g, "y", f.y);
	return f;
}

typedef void breaker(fixture *f);

static void input_defined_by_op(fixture *f) { f->g->inputs[0] = f->y; }
static void operand_invalid(fixture *f) { f->relu->in[0] = 999; }
static void operand_undefined(fixture *f) { f->relu->in[0] = ir_value_new(f->g, &f->g->vals[f->x].type, "u"); }
static void result_not_owned(fixture *f) { f->g->vals[f->y].def = NULL; }
static void defined_twice(fixture *f) { ir_op_append(f->g, IR_OP_RELU, &f->x, 1, &f->g->vals[f->x].type, 1)->out[0] = f->y; }
static void bad_dtype(fixture *f) { f->g->vals[f->x].type.dtype = (ir_dtype)77; }
static void bad_rank(fixture *f) { f->g->vals[f->y].type.rank = IR_MAX_RANK + 1; }
static void bad_kind(fixture *f) { f->relu->kind = (ir_opkind)(IR_NOPS + 3); }
static void same_name(fixture *f) { f->g->vals[f->y].name = "x"; }
static void input_unnamed(fixture *f) { f->g->vals[f->x].name = NULL; }
static void output_undefined(fixture *f) { f->g->outputs[0].val = ir_value_new(f->g, NULL, "w"); }
static void const_no_data(fixture *f) { ir_op_append(f->g, IR_OP_CONST, NULL, 0, &f->g->vals[f->x].type, 1); }

static void long_list(fixture *f)
{
	static int64_t v[IR_MAX_ATTR_ELEMS + 1];
	ir_op *t = ir_op_append(f->g, IR_OP_TRANSPOSE, &f->x, 1, &f->g->vals[f->x].type, 1);
	ir_op_set_ints(f->g, t, "perm", v, IR_MAX_ATTR_ELEMS + 1);
}

static void quant_count(fixture *f)
{
	static const float s[2] = {1, 1};
	static const int32_t z[2] = {0, 0};
	static const ir_quant q = {-1, 2, s, z};
	ir_type t = {.dtype = IR_I8, .rank = 1, .dims = {2}, .quant = &q};
	ir_val v = ir_add_input(f->g, &t, "q");
	(void)v;
}

static const struct {
	breaker *fn;
	const char *want;
} cases[] = {
	{input_defined_by_op, "graph input %y is also defined by an op"},
	{operand_invalid, "'Relu' op: operand #0 is not a valid value"},
	{operand_undefined, "operand #0 (%u) is not defined by any op or graph input"},
	{result_not_owned, "'Relu' op: result #0 is not owned by this op"},
	{defined_twice, "result #0 is already defined by another op"},
	{bad_dtype, "graph input %x: invalid element type"},
	{bad_rank, "result %y: rank 9 is out of range (limit is 8)"},
	{bad_kind, "op #0 has an invalid kind"},
	{same_name, "two values are named %x"},
	{input_unnamed, "graph input #0 has no name"},
	{output_undefined, "graph output \"y\" is not a defined value"},
	{const_no_data, "'const' op: no constant data"},
	{long_list, "too many elements in attribute 'perm' (limit is 4096)"},
	{quant_count, "graph input %q: 2 quantization scales, but per-tensor needs 1"},
};

typedef struct job {
	breaker *fn;
	int rc;
} job;

static int run_case(ir_ctx *c, void *ud)
{
	job *j = ud;
	fixture f = base(c);
	CHECK(ir_verify(f.g) == 0);
	j->fn(&f);
	j->rc = ir_verify(f.g);
	return 0;
}

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ir_ctx *c = ir_ctx_new(0);
		c->diag_out = NULL;
		job j = {cases[i].fn, 0};
		CHECK(ir_protect(c, run_case, &j) == 0);
		CHECK(j.rc < 0);
		CHECK(strstr(c->first_error, cases[i].want) != NULL);
		if (!strstr(c->first_error, cases[i].want))
			fprintf(stderr, "case %zu: got \"%s\"\n", i, c->first_error);
		ir_ctx_free(c);
	}
	return check_done("test_verify");
}
