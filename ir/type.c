/*
** type.c - element types and tensor types.
**
** Size arithmetic here is the only place tensor sizes are computed, and it
** is overflow-checked: a shape whose element count exceeds IR_MAX_ELEMENTS
** is an error, never a wrapped number.
*/
#include <string.h>

#include <stdio.h>

#include "ir/ir.h"
#include "ir/util.h"

static const struct {
	const char *name;
	int bits;
	bool is_float;
	bool is_signed;
} dtypes[] = {
#define DT(id, name, bits, fl, sg) {name, bits, fl, sg},
	IR_DTYPES(DT)
#undef DT
};

const char *ir_dtype_name(ir_dtype dt)
{
	return (unsigned)dt < IR_NDTYPES ? dtypes[dt].name : "?";
}

int ir_dtype_bits(ir_dtype dt)
{
	return dtypes[dt].bits;
}

bool ir_dtype_is_float(ir_dtype dt)
{
	return dtypes[dt].is_float;
}

bool ir_dtype_is_int(ir_dtype dt)
{
	return !dtypes[dt].is_float && dt != IR_BOOL;
}

int ir_dtype_from_name(const char *s, size_t n)
{
	for (int i = 0; i < IR_NDTYPES; i++)
		if (strlen(dtypes[i].name) == n && memcmp(dtypes[i].name, s, n) == 0)
			return i;
	return -1;
}

int ir_type_numel(const ir_type *t, int64_t *n)
{
	int64_t p = 1;
	*n = 0;
	if (t->rank < 0 || t->rank > IR_MAX_RANK)
		return -1;
	for (int i = 0; i < t->rank; i++) {
		if (t->dims[i] < 0 || __builtin_mul_overflow(p, t->dims[i], &p) || p > IR_MAX_ELEMENTS)
			return -1;
	}
	*n = p;
	return 0;
}

int ir_type_bytes(const ir_type *t, int64_t *n)
{
	int64_t e;
	if (ir_type_numel(t, &e) < 0)
		return -1;
	int bits = ir_dtype_bits(t->dtype);
	*n = bits == 4 ? (e + 1) / 2 : e * (bits / 8);
	return 0;
}

bool ir_quant_equal(const ir_quant *a, const ir_quant *b)
{
	if (!a || !b)
		return a == b;
	if (a->axis != b->axis || a->n != b->n)
		return false;
	return memcmp(a->scale, b->scale, sizeof(float) * (size_t)a->n) == 0 &&
	       memcmp(a->zero, b->zero, sizeof(int32_t) * (size_t)a->n) == 0;
}

bool ir_type_equal(const ir_type *a, const ir_type *b)
{
	if (a->dtype != b->dtype || a->rank != b->rank)
		return false;
	for (int i = 0; i < a->rank; i++)
		if (a->dims[i] != b->dims[i])
			return false;
	return ir_quant_equal(a->quant, b->quant);
}

void ir_type_str(const ir_type *t, char *buf, size_t n)
{
	size_t used = (size_t)snprintf(buf, n, "%s[", ir_dtype_name(t->dtype));
	for (int i = 0; i < t->rank && i < IR_MAX_RANK && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? "," : "", (long long)t->dims[i]);
	if (used < n)
		snprintf(buf + used, n - used, "]");
}
