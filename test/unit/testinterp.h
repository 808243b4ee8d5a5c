/*
** testinterp.h - the interpreter unit tests' comparison of a result with
** expected values (within a tolerance for floats, exactly for integers).
** Include after check.h, testir.h and interp/interp.h.
*/
#ifndef CONDENSE_TEST_TESTINTERP_H
#define CONDENSE_TEST_TESTINTERP_H

#include <math.h>
#include <stdbool.h>

#define EXPECT(t, ...) expect(t, D(__VA_ARGS__), NARGS(double, __VA_ARGS__), __FILE__, __LINE__)

static inline bool close_to(const interp_tensor *t, double got, double want)
{
	if (isnan(want) || isnan(got))
		return isnan(want) && isnan(got);
	if (!ir_dtype_is_float(t->type.dtype) || isinf(want))
		return got == want;
	double tol = t->type.dtype == IR_F16 ? 1e-3 : 1e-6;
	return fabs(got - want) <= tol * fabs(want) + 1e-30;
}

/* t must hold exactly the n values want; a NULL t is a failure already counted. */
static inline void expect(const interp_tensor *t, const double *want, int n, const char *file, int line)
{
	check_total++;
	if (!t)
		return;
	if (numel(&t->type) != n) {
		check_failed++;
		fprintf(stderr, "%s:%d: %lld elements; expected %d\n", file, line, (long long)numel(&t->type), n);
		return;
	}
	for (int i = 0; i < n; i++) {
		double got = ir_dtype_is_float(t->type.dtype) ? interp_get_f(t, i) : (double)interp_get_i(t, i);
		if (!close_to(t, got, want[i])) {
			check_failed++;
			fprintf(stderr, "%s:%d: element %d is %.9g; expected %.9g\n", file, line, i, got, want[i]);
			return;
		}
	}
}

#endif
