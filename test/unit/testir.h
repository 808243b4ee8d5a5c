/*
** testir.h - helpers shared by the unit tests that build graphs with the
** IR API: types written as the text form prints them, and macros that
** turn argument lists into (array, count) pairs.
*/
#ifndef CONDENSE_TEST_TESTIR_H
#define CONDENSE_TEST_TESTIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

#define NARGS(T, ...) (int)(sizeof((T[]){__VA_ARGS__}) / sizeof(T))
#define D(...) (double[]){__VA_ARGS__}
#define VALS(...) (ir_val[]){__VA_ARGS__}, NARGS(ir_val, __VA_ARGS__)
#define I64S(...) (int64_t[]){__VA_ARGS__}, NARGS(int64_t, __VA_ARGS__)

/* "f32[2,3]" (or "i64[]" for a scalar) as a type; a malformed text is a
** bug in the test, which stops it. */
static inline ir_type T(const char *s)
{
	ir_type t = {0};
	const char *b = strchr(s, '[');
	int dt = b ? ir_dtype_from_name(s, (size_t)(b - s)) : -1;
	if (dt < 0) {
		fprintf(stderr, "bad type text in a test: %s\n", s);
		exit(2);
	}
	t.dtype = (ir_dtype)dt;
	for (const char *p = b + 1; *p != ']';) {
		char *e;
		t.dims[t.rank++] = strtoll(p, &e, 10);
		p = *e == ',' ? e + 1 : e;
	}
	return t;
}

static inline int64_t numel(const ir_type *t)
{
	int64_t n;
	return ir_type_numel(t, &n) == 0 ? n : 0;
}

#endif
