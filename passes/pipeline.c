/*
** pipeline.c - the static pass table and the pipeline driver.
*/
#include <string.h>

#include "passes/pass.h"

static const pass_info passes[] = {
#define PASS(id, name, summary) {name, summary, pass_##id},
#include "passes/passes.h"
#undef PASS
};

#define N_PASSES ((int)(sizeof passes / sizeof passes[0]))

const pass_info *pass_find(const char *name, size_t n)
{
	for (int i = 0; i < N_PASSES; i++)
		if (strlen(passes[i].name) == n && memcmp(passes[i].name, name, n) == 0)
			return &passes[i];
	return NULL;
}

const pass_info *pass_list(int *n)
{
	*n = N_PASSES;
	return passes;
}

/* Resolve every name first so a typo fails before any pass runs. */
static int resolve(ir_ctx *c, const char *spec, const pass_info **out, int *n_out, int cap)
{
	int n = 0;
	for (const char *p = spec; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const pass_info *pi = pass_find(p, len);
		if (!pi)
			return ir_error(c, (ir_loc){0}, "unknown pass '%.*s' (see --list-passes)", (int)len, p);
		if (n == cap)
			return ir_error(c, (ir_loc){0}, "too many passes in one pipeline (limit is %d)", cap);
		out[n++] = pi;
		p = e ? e + 1 : p + len;
	}
	*n_out = n;
	return 0;
}

static int run_one(ir_graph *g, const pass_info *pi, const pass_options *opt)
{
	pass_stats st = {0};
	st.ops_before = g->n_ops;
	if (pi->run(g, &st) < 0)
		return ir_error(g->ctx, (ir_loc){0}, "pass '%s' failed", pi->name);
	st.ops_after = g->n_ops;
	if (opt->stats)
		fprintf(opt->stats, "pass %s: %lld changed, ops %lld -> %lld\n", pi->name, (long long)st.changed,
			(long long)st.ops_before, (long long)st.ops_after);
	if (opt->verify_each && ir_verify(g) < 0)
		return ir_error(g->ctx, (ir_loc){0}, "the graph does not verify after pass '%s'", pi->name);
	if (opt->print_after_all) {
		fprintf(opt->print_after_all, "// ----- after %s\n", pi->name);
		if (ir_print(g, opt->print_after_all) < 0)
			return -1;
	}
	return 0;
}

typedef struct job {
	ir_graph *g;
	const char *spec;
	const pass_options *opt;
} job;

static int run_all(ir_ctx *c, void *ud)
{
	job *j = ud;
	const pass_info *list[64];
	int n = 0;
	if (resolve(c, j->spec, list, &n, 64) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (run_one(j->g, list[i], j->opt) < 0)
			return -1;
	return 0;
}

int pass_run_pipeline(ir_graph *g, const char *spec, const pass_options *opt)
{
	static const pass_options none = {0};
	job j = {g, spec, opt ? opt : &none};
	return ir_protect(g->ctx, run_all, &j);
}
