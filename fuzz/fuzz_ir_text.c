/*
** fuzz_ir_text - libFuzzer target for the text form.
**
** Property checked, beyond "no crash, no leak, no sanitizer report": for any
** input that parses and verifies, print(x) is a fixed point of parse+print,
** and the standard pass pipeline keeps the graph verifiable.  A violation
** aborts, which libFuzzer reports as a crash with the input saved.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "passes/pass.h"

#define FUZZ_ARENA_LIMIT ((size_t)256 << 20)

/* Print g into a malloc'd string; NULL if printing failed. */
static char *print_mem(ir_graph *g, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		abort();
	int rc = ir_print(g, f);
	fclose(f);
	if (rc < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Parse text, print it; NULL when it does not parse and verify. */
static char *roundtrip(const char *text, size_t len, size_t *out_len)
{
	ir_ctx *c = ir_ctx_new(FUZZ_ARENA_LIMIT);
	c->diag_out = NULL;
	ir_graph *g = ir_parse(c, "fuzz", text, len, 1);
	char *out = g && ir_verify(g) == 0 ? print_mem(g, out_len) : NULL;
	ir_ctx_free(c);
	return out;
}

static void check_passes(const char *text, size_t len)
{
	ir_ctx *c = ir_ctx_new(FUZZ_ARENA_LIMIT);
	c->diag_out = NULL;
	ir_graph *g = ir_parse(c, "fuzz", text, len, 1);
	pass_options po = {.verify_each = true};
	if (!g || ir_verify(g) < 0)
		abort(); /* it verified a moment ago */
	if (pass_run_pipeline(g, "canonicalize,constfold,cse,dce", &po) < 0 &&
	    strstr(c->first_error, "does not verify")) {
		fprintf(stderr, "pass output does not verify: %s\n", c->first_error);
		abort();
	}
	ir_ctx_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n1, n2;
	char *p1 = roundtrip((const char *)data, size, &n1);
	if (!p1)
		return 0;
	char *p2 = roundtrip(p1, n1, &n2);
	if (!p2 || n1 != n2 || memcmp(p1, p2, n1) != 0) {
		fprintf(stderr, "print(parse(print(x))) != print(x)\n--- first:\n%s\n--- second:\n%s\n", p1,
			p2 ? p2 : "(did not parse)");
		abort();
	}
	check_passes(p1, n1);
	free(p1);
	free(p2);
	return 0;
}
