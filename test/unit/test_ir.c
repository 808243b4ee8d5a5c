/*
** test_ir.c - unit tests of the IR API, the constant store, the arena and
** the limits that text input cannot reach at a reasonable size.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ir/ir.h"
#include "ir/util.h"

static ir_type type_of(ir_dtype dt, int rank, const int64_t *dims)
{
	ir_type t = {.dtype = dt, .rank = rank};
	for (int i = 0; i < rank; i++)
		t.dims[i] = dims[i];
	return t;
}

/* Build x -> Relu -> output with the API; it verifies and prints. */
static int build_and_verify(ir_ctx *c, void *ud)
{
	(void)ud;
	ir_graph *g = ir_graph_new(c, "api");
	ir_type t = type_of(IR_F32, 2, (int64_t[]){2, 3});
	ir_val x = ir_add_input(g, &t, "x");
	ir_op *relu = ir_op_append(g, IR_OP_RELU, &x, 1, &t, 1);
	ir_add_output(g, "y", relu->out[0]);
	CHECK(ir_verify(g) == 0);
	CHECK(g->vals[relu->out[0]].def == relu);
	ir_op *bad = ir_op_append(g, IR_OP_RELU, &x, 1, (ir_type[]){type_of(IR_F32, 1, (int64_t[]){6})}, 1);
	(void)bad;
	c->diag_out = NULL;
	CHECK(ir_verify(g) < 0); /* declared f32[6], rule gives f32[2,3] */
	CHECK(strstr(c->first_error, "declared f32[6]") != NULL);
	return 0;
}

static int const_store(ir_ctx *c, void *ud)
{
	(void)ud;
	ir_graph *g = ir_graph_new(c, "store");
	float a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3, 4}, d[4] = {1, 2, 3, 5};
	ir_type t = type_of(IR_F32, 1, (int64_t[]){4});
	ir_val va = ir_const_new(g, &t, a, sizeof a);
	ir_val vb = ir_const_new(g, &t, b, sizeof b);
	ir_val vd = ir_const_new(g, &t, d, sizeof d);
	CHECK(ir_const_of(g, va) == ir_const_of(g, vb)); /* deduplicated */
	CHECK(ir_const_of(g, va) != ir_const_of(g, vd));
	CHECK(g->n_blobs == 3);                            /* index 0 is "none" */
	ir_hash h = ir_hash_bytes(a, sizeof a);
	CHECK(ir_blob_find(g, h) == g->vals[va].def->blob);
	CHECK(memcmp(ir_const_of(g, va)->data, a, sizeof a) == 0);
	/* many blobs: the index grows and every one stays findable */
	for (int i = 0; i < 5000; i++)
		ir_blob_intern(g, &i, sizeof i);
	int hits = 0;
	for (int i = 0; i < 5000; i++)
		hits += ir_blob_find(g, ir_hash_bytes(&i, sizeof i)) != 0;
	CHECK(hits == 5000);
	CHECK(ir_blob_intern(g, &hits, 0) == ir_blob_intern(g, NULL, 0)); /* empty blob */
	return 0;
}

static int fill_ops(ir_ctx *c, void *ud)
{
	ir_graph *g = ir_graph_new(c, "many");
	ir_type t = type_of(IR_F32, 0, NULL);
	ir_val x = ir_add_input(g, &t, "x");
	for (long i = 0; i < *(long *)ud; i++)
		x = ir_op_append(g, IR_OP_RELU, &x, 1, &t, 1)->out[0];
	ir_add_output(g, "y", x);
	return 0;
}

static void limits(void)
{
	ir_ctx *c = ir_ctx_new(0);
	c->diag_out = NULL;
	long n = IR_MAX_OPS;
	CHECK(ir_protect(c, fill_ops, &n) == 0);
	ir_ctx_free(c);
	c = ir_ctx_new(0);
	c->diag_out = NULL;
	n = IR_MAX_OPS + 1;
	CHECK(ir_protect(c, fill_ops, &n) < 0);
	CHECK(strstr(c->first_error, "too many ops (limit is 1000000)") != NULL);
	ir_ctx_free(c);
}

static void arena_limit(void)
{
	ir_ctx *c = ir_ctx_new((size_t)4 << 20);
	c->diag_out = NULL;
	long n = 200000; /* needs far more than 4 MiB */
	CHECK(ir_protect(c, fill_ops, &n) < 0);
	CHECK(strstr(c->first_error, "out of memory") != NULL);
	CHECK(ir_arena_used(c) <= ((size_t)4 << 20));
	ir_ctx_free(c);
}

static void text_limit(void)
{
	ir_ctx *c = ir_ctx_new(0);
	c->diag_out = NULL;
	/* the length check comes before any byte is read */
	CHECK(ir_parse(c, "big.cir", "", IR_MAX_TEXT_BYTES + 1, 1) == NULL);
	CHECK(strstr(c->first_error, "too many bytes of text") != NULL);
	ir_ctx_free(c);
}

static void half_floats(void)
{
	int bad = 0;
	for (uint32_t h = 0; h < 65536; h++) {
		float f = ir_f16_to_f32((uint16_t)h);
		if (!isnan(f) && ir_f32_to_f16(f) != h)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(ir_f32_to_f16(65519.0f) == 0x7bff);  /* rounds down to max half */
	CHECK(ir_f32_to_f16(65520.0f) == 0x7c00);  /* rounds up to inf */
	CHECK(ir_f32_to_f16(1.0f + 0x1p-11f) == 0x3c00); /* tie to even */
	CHECK(ir_f32_to_f16(0x1p-25f) == 0);       /* tie to even: zero */
	CHECK(ir_f32_to_f16(0x1.8p-25f) == 1);     /* above the tie: min subnormal */
}

/* Every f16 and many random f32 bit patterns print and read back exactly. */
static void float_text(void)
{
	char buf[32];
	int bad = 0;
	uint32_t s = 12345;
	for (int i = 0; i < 1000000; i++) {
		s = s * 1664525u + 1013904223u;
		float f;
		memcpy(&f, &s, 4);
		if (isnan(f))
			continue;
		ir_fmt_f32(buf, f);
		bad += strtof(buf, NULL) != f || !strpbrk(buf, ".eni");
	}
	CHECK(bad == 0);
	ir_fmt_f32(buf, 1e-5f);
	CHECK(strcmp(buf, "1e-05") == 0);
	ir_fmt_f32(buf, 2.0f);
	CHECK(strcmp(buf, "2.0") == 0);
}

static void base64(void)
{
	uint8_t src[300], dec[300];
	char enc[420];
	for (int i = 0; i < 300; i++)
		src[i] = (uint8_t)(i * 37 + 11);
	int bad = 0;
	for (size_t n = 0; n <= 300; n++) {
		ir_b64_encode(src, n, enc);
		bad += ir_b64_decode(enc, strlen(enc), dec) != (int64_t)n || memcmp(src, dec, n) != 0;
	}
	CHECK(bad == 0);
	CHECK(ir_b64_decode("QQ==", 4, dec) == 1);
	CHECK(ir_b64_decode("QR==", 4, dec) == -1); /* non-zero unused bits */
	CHECK(ir_b64_decode("QQ=A", 4, dec) == -1);
	CHECK(ir_b64_decode("QQ", 2, dec) == -1);
}

static void optable(void)
{
	int bad = 0;
	for (int k = 0; k < IR_NOPS; k++) {
		int n;
		ir_op_attr_specs((ir_opkind)k, &n);
		bad += n < 0;
		bad += ir_op_from_name(ir_op_name((ir_opkind)k), strlen(ir_op_name((ir_opkind)k))) != k;
	}
	CHECK(bad == 0);
	const ir_attr_spec *g = ir_op_attr_spec(IR_OP_CONV, "group");
	CHECK(g && g->kind == IR_ATTR_INT && g->has_default && !g->required);
	CHECK(ir_op_attr_spec(IR_OP_CONCAT, "axis")->required);
	for (int d = 0; d < IR_NDTYPES; d++)
		bad += ir_dtype_from_name(ir_dtype_name((ir_dtype)d), strlen(ir_dtype_name((ir_dtype)d))) != d;
	CHECK(bad == 0);
}

static void type_sizes(void)
{
	int64_t n;
	ir_type t = type_of(IR_I4, 1, (int64_t[]){5});
	CHECK(ir_type_bytes(&t, &n) == 0 && n == 3);
	t = type_of(IR_F32, 2, (int64_t[]){(int64_t)1 << 40, 2});
	CHECK(ir_type_numel(&t, &n) < 0); /* 2^41 elements: over the limit */
	t = type_of(IR_F32, 2, (int64_t[]){INT64_MAX, INT64_MAX});
	CHECK(ir_type_numel(&t, &n) < 0); /* the product overflows */
	t = type_of(IR_F32, 1, (int64_t[]){-1});
	CHECK(ir_type_numel(&t, &n) < 0);
	t = type_of(IR_F32, 0, NULL);
	CHECK(ir_type_numel(&t, &n) == 0 && n == 1);
}

int main(void)
{
	ir_ctx *c = ir_ctx_new(0);
	CHECK(ir_protect(c, build_and_verify, NULL) == 0);
	CHECK(ir_protect(c, const_store, NULL) == 0);
	ir_ctx_free(c);
	limits();
	arena_limit();
	text_limit();
	half_floats();
	float_text();
	base64();
	optable();
	type_sizes();
	return check_done("test_ir");
}
