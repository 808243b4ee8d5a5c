/*
** fuzz_onnx_load - libFuzzer target for the ONNX loader, the trust boundary.
**
** Bytes -> wire-format pre-scan -> protobuf-c unpack (budgeted) -> import
** (import-time folding included) -> verifier.  Beyond "no crash, no leak, no
** sanitizer report, no unbounded allocation": a rejected input must leave a
** diagnostic, and an accepted one must print as text that parses and
** verifies again.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/onnx.h"

#define FUZZ_ARENA_LIMIT ((size_t)512 << 20)

static void check_text(ir_graph *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	int rc = ir_print(g, f);
	fclose(f);
	ir_ctx *c = ir_ctx_new(FUZZ_ARENA_LIMIT);
	c->diag_out = NULL;
	ir_graph *again = rc == 0 ? ir_parse(c, "fuzz.cir", buf, len, 1) : NULL;
	if (rc == 0 && (!again || ir_verify(again) < 0)) {
		fprintf(stderr, "imported graph does not re-parse: %s\n%s\n", c->first_error, buf);
		abort();
	}
	ir_ctx_free(c);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ir_ctx *c = ir_ctx_new(FUZZ_ARENA_LIMIT);
	c->diag_out = NULL;
	onnx_status st;
	ir_graph *g = onnx_import_bytes(c, "fuzz.onnx", data, size, NULL, &st);
	if (!g && c->n_errors == 0) {
		fprintf(stderr, "rejected without a diagnostic (status %d)\n", (int)st);
		abort();
	}
	if (g)
		check_text(g);
	ir_ctx_free(c);
	return 0;
}
