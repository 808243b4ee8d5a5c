/*
** conformance.h - what the two modes of condense-conformance share: the
** interpreter mode (conformance.c) and the compiled mode (compiled.c).
**
** A test runs through the interpreter exactly as in the interpreter mode;
** in the compiled mode (test.cm set) two hooks hand the graphs and data
** sets that passed to compiled.c, which compiles them, runs them through
** the generic harness (harness.c) and compares with compare().
*/
#ifndef CONDENSE_TEST_CONFORMANCE_H
#define CONDENSE_TEST_CONFORMANCE_H

#include <stdbool.h>

#include "interp/interp.h"
#include "ir/ir.h"

#define REASON_MAX 640
#define DIR_MAX 4096            /* bytes of ROOT/FOLDER */

/* NOCOMPILE: the interpreter passed, the code generator refused the graph. */
enum { PASS, FAIL, SKIP, NOCOMPILE, NSTATUS };

typedef struct options {
	const char *root, *filter, *markdown;
	const char **folders;
	int n_folders;
	bool verbose;
	/* The compiled mode: target name (NULL: interpreter mode), options. */
	const char *compiled, *src_dir;
	int jobs, batch, timeout;
	bool strict, keep_temp;
} options;

typedef struct tolerance {
	double rtol, atol;
} tolerance;

struct cm_test;

/* One test: where it is and what happened. */
typedef struct test {
	char dir[DIR_MAX + 300];
	char model[DIR_MAX + 320];
	const options *o;
	int status;
	char reason[REASON_MAX];
	struct cm_test *cm;     /* compiled mode state of the test; NULL otherwise */
} test;

/* One test_data_set_N: its inputs and expected outputs. */
typedef struct data_set {
	int index;              /* N */
	char where[64];         /* "data set N: " when the test has several, else "" */
	uint32_t n_in, n_out;
	interp_tensor *in, *want;
} data_set;

/* The test's rtol and atol: its data.json, else the ONNX defaults. */
tolerance read_tolerance(const char *dir);

/* Set t to FAIL with the formatted reason; returns -1. */
int failf(test *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The first error of c without its "file:line:col: " prefix. */
const char *diag_text(const ir_ctx *c, const char *file);

/* Output k of a data set: 0, or -1 with the first difference in t. */
int compare(test *t, const char *where, int k, const interp_tensor *got, const interp_tensor *want,
	    tolerance tol);

/* Import and interpret t (status and reason set); calls the compiled
** mode's hooks when t->cm is set. */
void run_test(test *t);

/* ---- compiled.c ---------------------------------------------------------- */

/* The target names --compiled accepts, for the usage text. */
extern const char cm_target_names[];

/* Whether name is one of them. */
bool cm_known_target(const char *name);

/* Whether target name only compiles (no linking, no running). */
bool cm_compile_only(const char *name);

/*
** Hook: data set d ran on g with inputs in (g's inputs, in order) and gave
** got, which matched d->want.  Saves what the compiled run needs.
*/
int cm_data_set(test *t, const ir_graph *g, const interp_tensor *in, const interp_tensor *got,
		const data_set *d);

/*
** Hook: compile g (which may be changed), the graph of data set `set`, or
** of every data set when set is -1.  Called once the interpreter is done
** with g; a failure is recorded in t->cm, not in t.
*/
void cm_compile(test *t, ir_graph *g, int set);

/*
** Run tests[0..n) in the compiled mode: each gets its final status and
** reason.  Returns 0, or -1 when the toolchain cannot be used at all
** (after a message on stderr).
*/
int cm_run(const options *o, test *tests, int n);

#endif
