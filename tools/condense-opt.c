/*
** condense-opt - read the text IR, verify it, run passes, print it.
**
**   condense-opt IN.cir [--passes=a,b,c] [--verify-each] [--print-after-all]
**                [--split-input-file] [--stats] [--print-plan] [-o OUT.cir]
**                [--list-passes]
**   condense-opt IN.onnx [--input-shape NAME=D0,D1,...]... [same options]
**
** An input whose name ends in ".onnx" is imported (frontend/onnx.h) instead
** of parsed; --input-shape pins the dynamic dims of a graph input.
**
** The input is always verified after parsing and the output after the
** pipeline.  --check-numerics runs the input and the output graph in the
** interpreter on seeded random inputs and fails if they disagree
** (tools/numerics.h).  --print-plan prints the static memory plan the code generator
** would use (passes/plan.h) instead of the graph.  With --split-input-file the input is cut at lines that start
** with "// -----"; each piece is handled on its own (line numbers stay those
** of the whole file) and the outputs are joined with the same separator.
** Exit status: 0 on success, 1 when any input piece has an error (or the
** ONNX model is malformed), 2 on a usage error or an ONNX model that uses
** what condense does not support.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/onnx.h"
#include "ir/ir.h"
#include "codegen/cg.h"
#include "passes/pass.h"
#include "passes/plan.h"
#include "tools/numerics.h"

#define SPLIT_MARK "// -----"

typedef struct opts {
	const char *in, *out, *passes;
	bool verify_each, print_after_all, split, stats, print_plan, check_numerics;
	onnx_shape_pin pins[IR_MAX_IO];
	int32_t n_pins;
} opts;

static int usage(FILE *f)
{
	fputs("usage: condense-opt IN.cir|IN.onnx|- [--passes=a,b,c] [--verify-each] [--print-after-all]\n"
	      "                    [--split-input-file] [--stats] [--print-plan] [--check-numerics]\n"
	      "                    [-o OUT.cir] [--list-passes]\n"
	      "                    [--input-shape NAME=D0,D1,...]...\n",
	      f);
	return 2;
}

static int list_passes(void)
{
	int n;
	const pass_info *p = pass_list(&n);
	for (int i = 0; i < n; i++)
		printf("  %-14s %s\n", p[i].name, p[i].summary);
	return 0;
}

static int add_pin(opts *o, const char *s)
{
	if (o->n_pins < IR_MAX_IO && onnx_parse_shape_pin(s, &o->pins[o->n_pins]) == 0)
		return o->n_pins++, 0;
	fprintf(stderr, "condense-opt: --input-shape wants NAME=D0,D1,..., not '%s'\n", s);
	return -1;
}

/* Returns -1 to continue, else the exit status. */
static int parse_args(int argc, char **argv, opts *o)
{
	bool bad_pin = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--passes=", 9) == 0)
			o->passes = a + 9;
		else if (strcmp(a, "--verify-each") == 0)
			o->verify_each = true;
		else if (strcmp(a, "--print-after-all") == 0)
			o->print_after_all = true;
		else if (strcmp(a, "--split-input-file") == 0)
			o->split = true;
		else if (strcmp(a, "--stats") == 0)
			o->stats = true;
		else if (strcmp(a, "--print-plan") == 0)
			o->print_plan = true;
		else if (strcmp(a, "--check-numerics") == 0)
			o->check_numerics = true;
		else if (strcmp(a, "--list-passes") == 0)
			return list_passes();
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return usage(stdout) & 0;
		else if (strcmp(a, "-o") == 0 && i + 1 < argc)
			o->out = argv[++i];
		else if (strcmp(a, "--input-shape") == 0 && i + 1 < argc)
			bad_pin |= add_pin(o, argv[++i]) < 0;
		else if (a[0] == '-' && a[1] && !o->in)
			return fprintf(stderr, "condense-opt: unknown option '%s'\n", a), usage(stderr);
		else if (!o->in)
			o->in = a;
		else
			return fprintf(stderr, "condense-opt: more than one input ('%s')\n", a), usage(stderr);
	}
	if (!o->in)
		return fprintf(stderr, "condense-opt: no input file\n"), usage(stderr);
	return bad_pin ? usage(stderr) : -1;
}

/* Whole file (or stdin) into a malloc'd buffer; NULL after a message. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "condense-opt: cannot open '%s'\n", path);
		return NULL;
	}
	size_t cap = 1 << 16, n = 0, got;
	char *buf = malloc(cap);
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap && n <= IR_MAX_TEXT_BYTES) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
		}
	}
	if (f != stdin)
		fclose(f);
	if (!buf || n > IR_MAX_TEXT_BYTES) {
		fprintf(stderr, "condense-opt: '%s' is too large or memory ran out\n", path);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* Verify, run the pipeline and print g; 0 or 1.  before, when not NULL,
** is a second copy of the input for --check-numerics. */
static int run_graph(const opts *o, ir_graph *g, ir_graph *before, FILE *out)
{
	pass_options po = {o->verify_each, o->print_after_all ? stderr : NULL, o->stats ? stderr : NULL};
	int rc = ir_verify(g) < 0;
	if (!rc && o->passes && pass_run_pipeline(g, o->passes, &po) < 0)
		rc = 1;
	if (!rc && o->passes && !o->verify_each && ir_verify(g) < 0)
		rc = 1;
	if (!rc && before && numerics_check(before, g, stderr) < 0)
		rc = 1;
	if (!rc && o->print_plan) {
		plan_result plan;
		rc = plan_graph(g, cg_workspace, NULL, &plan) < 0 || plan_print(g, &plan, out) < 0;
	} else if (!rc && ir_print(g, out) < 0) {
		rc = 1;
	}
	return rc;
}

/* Parse one piece and run it; 0 or 1. */
static int run_piece(const opts *o, const char *text, size_t len, int first_line, FILE *out)
{
	ir_ctx *c = ir_ctx_new(0);
	if (!c)
		return fprintf(stderr, "condense-opt: out of memory\n"), 1;
	ir_graph *g = ir_parse(c, o->in, text, len, first_line);
	ir_graph *before = g && o->check_numerics ? ir_parse(c, o->in, text, len, first_line) : NULL;
	int rc = !g || run_graph(o, g, before, out);
	ir_ctx_free(c);
	return rc;
}

static bool is_onnx(const char *path)
{
	size_t n = strlen(path);
	return n >= 5 && strcmp(path + n - 5, ".onnx") == 0;
}

/* Import the model and run it; 0, 1 (malformed) or 2 (unsupported). */
static int run_onnx(const opts *o, FILE *out)
{
	ir_ctx *c = ir_ctx_new(0);
	if (!c)
		return fprintf(stderr, "condense-opt: out of memory\n"), 1;
	onnx_options oo = {o->pins, o->n_pins};
	onnx_status st;
	ir_graph *g = onnx_import_file(c, o->in, &oo, &st);
	ir_graph *before = g && o->check_numerics ? onnx_import_file(c, o->in, &oo, &st) : NULL;
	int rc = g ? run_graph(o, g, before, out) : st == ONNX_UNSUPPORTED ? 2 : 1;
	ir_ctx_free(c);
	return rc;
}

/* Start of the next split marker line at or after p, or end. */
static const char *next_mark(const char *p, const char *end)
{
	size_t m = strlen(SPLIT_MARK);
	for (const char *q = p; q < end; q++)
		if ((q == p || q[-1] == '\n') && (size_t)(end - q) >= m && memcmp(q, SPLIT_MARK, m) == 0)
			return q;
	return end;
}

static int run_split(const opts *o, const char *text, size_t len, FILE *out)
{
	const char *p = text, *end = text + len;
	int line = 1, rc = 0;
	while (p <= end) {
		const char *m = o->split ? next_mark(p, end) : end;
		rc |= run_piece(o, p, (size_t)(m - p), line, out);
		for (const char *q = p; q < m; q++)
			line += *q == '\n';
		if (m == end)
			break;
		fputs(SPLIT_MARK "\n", out);
		p = m;
		while (p < end && *p != '\n')
			p++;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static opts o;
	int rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	size_t len = 0;
	char *text = is_onnx(o.in) ? NULL : read_all(o.in, &len);
	if (!text && !is_onnx(o.in))
		return 1;
	FILE *out = o.out ? fopen(o.out, "w") : stdout;
	if (!out) {
		fprintf(stderr, "condense-opt: cannot write '%s'\n", o.out);
		free(text);
		return 1;
	}
	rc = text ? run_split(&o, text, len, out) : run_onnx(&o, out);
	if (fflush(out) != 0 || ferror(out) || (o.out && fclose(out) != 0)) {
		fprintf(stderr, "condense-opt: error writing '%s'\n", o.out ? o.out : "standard output");
		rc = 1;
	}
	free(text);
	return rc;
}
