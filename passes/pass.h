/*
** pass.h - the pass pipeline.
**
** A pass is a function over one graph.  It returns 0 on success and -1 after
** emitting a diagnostic (a pass may refuse a graph it cannot handle; it never
** leaves a half-rewritten graph that fails verification).  It counts what it
** changed in *st so tests and reports can show what each pass bought.
** Passes are listed in passes/passes.h; the pipeline runs them in the order
** the user names them, optionally verifying and printing after each.
*/
#ifndef CONDENSE_PASS_H
#define CONDENSE_PASS_H

#include <stdio.h>

#include "ir/ir.h"

typedef struct pass_stats {
	int64_t changed;        /* ops removed, replaced or rewritten */
	int64_t ops_before, ops_after;
} pass_stats;

typedef int (*pass_fn)(ir_graph *g, pass_stats *st);

typedef struct pass_info {
	const char *name;
	const char *summary;
	pass_fn run;
} pass_info;

#define PASS(id, name, summary) int pass_##id(ir_graph *g, pass_stats *st);
#include "passes/passes.h"
#undef PASS

/* The pass named name (n bytes), or NULL. */
const pass_info *pass_find(const char *name, size_t n);
/* All passes, *n receives the count. */
const pass_info *pass_list(int *n);

typedef struct pass_options {
	bool verify_each;       /* run ir_verify after every pass */
	FILE *print_after_all;  /* print the graph after every pass, when not NULL */
	FILE *stats;            /* one line of statistics per pass, when not NULL */
} pass_options;

/*
** Run the comma-separated pipeline spec ("dce,cse") over g.  An unknown pass
** name is reported before anything runs.  Stops at the first pass that
** fails or whose output does not verify (with verify_each); returns -1 then.
*/
int pass_run_pipeline(ir_graph *g, const char *spec, const pass_options *opt);

#endif
