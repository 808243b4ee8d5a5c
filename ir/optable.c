/*
** optable.c - queries over the op table in ir/ops.h.
**
** Attribute schemas are written in the table as compact strings; they are
** parsed once, on first use, into static arrays.  A schema string that does
** not parse is a bug in the table, caught by the unit test that walks every
** row (test/unit/test_optable.c).
*/
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

#define MAX_SPECS 16

static const struct {
	const char *name;
	int in_lo, in_hi, out_lo, out_hi;
	const char *attrs;
	const char *doc;
} optab[] = {
#define OP(id, name, inlo, inhi, outlo, outhi, ty, rule, kern, attrs, doc) \
	{name, inlo, inhi, outlo, outhi, attrs, doc},
#include "ir/ops.h"
#undef OP
};

static struct {
	int n;                     /* -1: schema did not parse */
	ir_attr_spec spec[MAX_SPECS];
	char text[256];            /* NUL-separated copy the specs point into */
} schemas[IR_NOPS];
static bool schemas_ready;

const char *ir_op_name(ir_opkind k)
{
	return (unsigned)k < IR_NOPS ? optab[k].name : "?";
}

const char *ir_op_doc(ir_opkind k)
{
	return optab[k].doc;
}

int ir_op_from_name(const char *s, size_t n)
{
	for (int i = 0; i < IR_NOPS; i++)
		if (strlen(optab[i].name) == n && memcmp(optab[i].name, s, n) == 0)
			return i;
	return -1;
}

void ir_op_arity(ir_opkind k, int *in_lo, int *in_hi, int *out_lo, int *out_hi)
{
	*in_lo = optab[k].in_lo;
	*in_hi = optab[k].in_hi;
	*out_lo = optab[k].out_lo;
	*out_hi = optab[k].out_hi;
}

static int kind_from(const char *s)
{
	static const char *const names[] = {"i", "f", "s", "ints", "floats"};
	for (int i = 0; i < 5; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* Parse one "name:kind", "name:kind?" or "name:kind=default" entry in place. */
static int parse_entry(char *e, ir_attr_spec *sp)
{
	char *colon = strchr(e, ':');
	if (!colon)
		return -1;
	*colon = 0;
	char *kind = colon + 1, *eq = strchr(kind, '='), *q = strchr(kind, '?');
	sp->name = e;
	sp->required = !eq && !q;
	if (eq) {
		*eq = 0;
		sp->has_default = true;
		sp->dflt = eq + 1;
	} else if (q) {
		*q = 0;
	}
	int k = kind_from(kind);
	if (k < 0)
		return -1;
	sp->kind = (ir_attr_kind)k;
	return 0;
}

static void parse_schema(int k)
{
	char *t = schemas[k].text;
	int n = 0;
	if (strlen(optab[k].attrs) >= sizeof schemas[k].text) {
		schemas[k].n = -1;
		return;
	}
	strcpy(t, optab[k].attrs);
	for (char *e = strtok(t, " "); e; e = strtok(NULL, " ")) {
		if (n == MAX_SPECS || parse_entry(e, &schemas[k].spec[n]) < 0) {
			schemas[k].n = -1;
			return;
		}
		n++;
	}
	schemas[k].n = n;
}

const ir_attr_spec *ir_op_attr_specs(ir_opkind k, int *n)
{
	if (!schemas_ready) {
		for (int i = 0; i < IR_NOPS; i++)
			parse_schema(i);
		schemas_ready = true;
	}
	*n = schemas[k].n;
	return schemas[k].spec;
}

const ir_attr_spec *ir_op_attr_spec(ir_opkind k, const char *name)
{
	int n;
	const ir_attr_spec *s = ir_op_attr_specs(k, &n);
	for (int i = 0; i < n; i++)
		if (strcmp(s[i].name, name) == 0)
			return &s[i];
	return NULL;
}
