/*
** numerics.c - before/after comparison of a pass pipeline in the
** interpreter (numerics.h).
*/
#include <math.h>
#include <string.h>

#include "interp/interp.h"
#include "tools/numerics.h"

#define NUMERICS_SEED 0x9e3779b97f4a7c15ull
#define NUMERICS_RTOL 1e-5

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void random_inputs(ir_graph *g, interp_tensor *in)
{
	uint64_t s = NUMERICS_SEED;
	for (uint32_t k = 0; k < g->n_inputs; k++) {
		int64_t n = 0, bytes = 0;
		in[k].type = *ir_type_of(g, g->inputs[k]);
		ir_type_numel(&in[k].type, &n);
		ir_type_bytes(&in[k].type, &bytes);
		in[k].data = ir_alloc(g->ctx, (size_t)(bytes > 0 ? bytes : 1));
		bool fl = ir_dtype_is_float(in[k].type.dtype);
		for (int64_t i = 0; i < n; i++) {
			uint64_t r = next(&s);
			if (fl)
				interp_set_f(&in[k], i, (double)(r >> 11) * 0x1p-53 * 4.0 - 2.0);
			else
				interp_set_i(&in[k], i, (int64_t)(r % 4));
		}
	}
}

/* Compare output k; returns the relative error (inf for a mismatch). */
static double compare(const interp_tensor *a, const interp_tensor *b)
{
	int64_t n = 0;
	ir_type_numel(&a->type, &n);
	if (!ir_type_equal(&a->type, &b->type))
		return INFINITY;
	double peak = 0, err = 0;
	for (int64_t i = 0; i < n; i++) {
		if (!ir_dtype_is_float(a->type.dtype)) {
			if (interp_get_i(a, i) != interp_get_i(b, i))
				return INFINITY;
			continue;
		}
		double x = interp_get_f(a, i), y = interp_get_f(b, i);
		if (isnan(x) != isnan(y))
			return INFINITY;
		if (!isnan(x)) {
			peak = fmax(peak, fabs(x));
			err = fmax(err, fabs(x - y));
		}
	}
	return err / fmax(peak, 1e-30);
}

int numerics_check(ir_graph *before, ir_graph *after, FILE *out)
{
	ir_ctx *c = after->ctx;
	if (before->n_inputs != after->n_inputs || before->n_outputs != after->n_outputs)
		return ir_error(c, after->loc, "numerics: the pipeline changed the graph's inputs or outputs");
	interp_tensor *in = ir_alloc_array(c, before->n_inputs + 1, sizeof *in);
	interp_tensor *o1 = ir_alloc_array(c, before->n_outputs + 1, sizeof *o1);
	interp_tensor *o2 = ir_alloc_array(c, before->n_outputs + 1, sizeof *o2);
	random_inputs(before, in);
	if (interp_run(c, before, in, o1) < 0 || interp_run(c, after, in, o2) < 0)
		return -1;
	double worst = 0;
	for (uint32_t k = 0; k < before->n_outputs; k++) {
		double e = compare(&o1[k], &o2[k]);
		if (!(e <= NUMERICS_RTOL))
			return ir_error(c, after->outputs[k].loc, "numerics: output '%s' differs after "
					"the pipeline (relative error %g)", after->outputs[k].name, e);
		worst = fmax(worst, e);
	}
	fprintf(out, "numerics: %u outputs match the original graph (max relative error %.2g)\n",
		before->n_outputs, worst);
	return 0;
}
