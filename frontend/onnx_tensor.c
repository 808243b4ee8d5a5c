/*
** onnx_tensor.c - ONNX element types and the data of a TensorProto.
**
** A tensor is checked completely before its bytes are used: element type
** supported, rank within IR_MAX_RANK, dims non-negative and within the
** limits, no external data or segments, exactly one data field and that
** one the field ONNX specifies for the type, and its size equal to what
** the dims and the type give (overflow-checked through ir_type_bytes).
** raw_data and float_data / int64_data are used in place (little-endian
** host); int32_data narrows into an arena copy; bools normalize to 0/1.
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "frontend/onnx_internal.h"

typedef struct dtype_row {
	const char *name;
	int ir;          /* ir_dtype, or -1 */
} dtype_row;

/* Indexed by TensorProto.DataType. */
static const dtype_row dtypes[] = {
	{"UNDEFINED", -1}, {"FLOAT", IR_F32}, {"UINT8", IR_U8}, {"INT8", IR_I8},
	{"UINT16", -1}, {"INT16", IR_I16}, {"INT32", IR_I32}, {"INT64", IR_I64},
	{"STRING", -1}, {"BOOL", IR_BOOL}, {"FLOAT16", IR_F16}, {"DOUBLE", -1},
	{"UINT32", -1}, {"UINT64", -1}, {"COMPLEX64", -1}, {"COMPLEX128", -1},
	{"BFLOAT16", -1}, {"FLOAT8E4M3FN", -1}, {"FLOAT8E4M3FNUZ", -1}, {"FLOAT8E5M2", -1},
	{"FLOAT8E5M2FNUZ", -1}, {"UINT4", -1}, {"INT4", -1},
};

#define N_DTYPES ((int32_t)(sizeof dtypes / sizeof dtypes[0]))

int onnx_dtype(int32_t t, ir_dtype *dt)
{
	if (t < 0 || t >= N_DTYPES || dtypes[t].ir < 0)
		return -1;
	*dt = (ir_dtype)dtypes[t].ir;
	return 0;
}

const char *onnx_dtype_name(int32_t t, char buf[24])
{
	if (t >= 0 && t < N_DTYPES)
		return dtypes[t].name;
	snprintf(buf, 24, "type %" PRId32, t);
	return buf;
}

/* ---- checks ------------------------------------------------------------- */

static int check_dtype(onnx_imp *m, const Onnx__TensorProto *t, const char *what, ir_dtype *dt)
{
	char b[24];
	if (!t->has_data_type || t->data_type == 0)
		return onnx_fail(m, ONNX_MALFORMED, "%s has no element type", what);
	if (onnx_dtype(t->data_type, dt) < 0)
		return onnx_fail(m, ONNX_UNSUPPORTED, "%s has element type %s, which condense does not support "
				 "(FLOAT, FLOAT16, INT8, UINT8, INT16, INT32, INT64 and BOOL are)",
				 what, onnx_dtype_name(t->data_type, b));
	return 0;
}

/* Rank, each dim and the element count within the limits; into ty. */
static int check_dims(onnx_imp *m, const Onnx__TensorProto *t, const char *what, ir_type *ty)
{
	char lim[300];
	snprintf(lim, sizeof lim, "dims in %s", what);
	if (onnx_limit(m, lim, (int64_t)t->n_dims, IR_MAX_RANK) < 0)
		return -1;
	ty->rank = (int32_t)t->n_dims;
	for (size_t i = 0; i < t->n_dims; i++) {
		int64_t d = t->dims[i];
		if (d < 0)
			return onnx_fail(m, ONNX_MALFORMED, "%s: dimension %zu is %" PRId64 "; dimensions "
					 "cannot be negative", what, i, d);
		if (d > IR_MAX_DIM)
			return onnx_fail(m, ONNX_UNSUPPORTED, "%s: dimension %zu is %" PRId64 "; too large "
					 "(limit is %" PRId64 ")", what, i, d, IR_MAX_DIM);
		ty->dims[i] = d;
	}
	int64_t n;
	if (ir_type_numel(ty, &n) < 0)
		return onnx_fail(m, ONNX_UNSUPPORTED, "too many elements in %s (limit is %" PRId64 ")",
				 what, IR_MAX_ELEMENTS);
	return 0;
}

static int check_location(onnx_imp *m, const Onnx__TensorProto *t, const char *what)
{
	if (t->n_external_data || (t->has_data_location &&
				   t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
		return onnx_fail(m, ONNX_UNSUPPORTED, "%s: external data is not supported", what);
	if (t->segment)
		return onnx_fail(m, ONNX_UNSUPPORTED, "%s: segmented tensors are not supported", what);
	return 0;
}

/* ---- data fields ------------------------------------------------------------ */

enum { F_RAW, F_FLOAT, F_INT32, F_INT64, F_DOUBLE, F_UINT64, F_STRING, N_FIELDS };

static const char *const field_names[N_FIELDS] = {
	"raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data", "string_data",
};

static size_t field_count(const Onnx__TensorProto *t, int f)
{
	switch (f) {
	case F_RAW: return t->has_raw_data ? 1 : 0;
	case F_FLOAT: return t->n_float_data;
	case F_INT32: return t->n_int32_data;
	case F_INT64: return t->n_int64_data;
	case F_DOUBLE: return t->n_double_data;
	case F_UINT64: return t->n_uint64_data;
	default: return t->n_string_data;
	}
}

/* The typed field ONNX keeps elements of type dt in. */
static int typed_field(ir_dtype dt)
{
	switch (dt) {
	case IR_F32: return F_FLOAT;
	case IR_I64: return F_INT64;
	default: return F_INT32;
	}
}

/* The one data field in use into *f, or -1 (none); two are an error. */
static int which_field(onnx_imp *m, const Onnx__TensorProto *t, const char *what, int *f)
{
	*f = -1;
	for (int i = 0; i < N_FIELDS; i++) {
		if (!field_count(t, i))
			continue;
		if (*f >= 0)
			return onnx_fail(m, ONNX_MALFORMED, "%s holds data in both %s and %s", what,
					 field_names[*f], field_names[i]);
		*f = i;
	}
	return 0;
}

/* int32_data narrowed to dt's width (f16 bits, i8, u8, i16, bool), or as is. */
static const void *from_int32(onnx_imp *m, const Onnx__TensorProto *t, ir_dtype dt, int64_t n)
{
	if (dt == IR_I32)
		return t->int32_data;
	int w = ir_dtype_bits(dt) / 8;
	uint8_t *d = ir_alloc_array(m->c, (size_t)n, (size_t)w);
	for (int64_t i = 0; i < n; i++) {
		int32_t v = t->int32_data[i];
		if (w == 1)
			d[i] = dt == IR_BOOL ? v != 0 : (uint8_t)v;
		else {
			uint16_t h = (uint16_t)v;
			memcpy(d + 2 * i, &h, 2);
		}
	}
	return d;
}

/* bool bytes as 0/1, so that equal tensors hash equal. */
static const void *normalize_bool(onnx_imp *m, const uint8_t *src, int64_t n)
{
	uint8_t *d = ir_alloc(m->c, (size_t)n);
	for (int64_t i = 0; i < n; i++)
		d[i] = src[i] != 0;
	return d;
}

static int read_data(onnx_imp *m, const Onnx__TensorProto *t, const char *what, const ir_type *ty,
		     const void **data, int64_t *size)
{
	int64_t n, bytes;
	int f;
	char ts[200];
	ir_type_numel(ty, &n);
	ir_type_bytes(ty, &bytes);
	if (which_field(m, t, what, &f) < 0)
		return -1;
	*size = bytes;
	if (f < 0) {
		*data = "";
		return n == 0 ? 0 : onnx_fail(m, ONNX_MALFORMED, "%s holds no data (%s needs %" PRId64 " bytes)",
					      what, onnx_type_str(ty, ts, sizeof ts), bytes);
	}
	if (f == F_RAW) {
		if ((uint64_t)t->raw_data.len != (uint64_t)bytes)
			return onnx_fail(m, ONNX_MALFORMED, "%s: raw_data has %zu bytes, but %s needs %" PRId64,
					 what, t->raw_data.len, onnx_type_str(ty, ts, sizeof ts), bytes);
		*data = ty->dtype == IR_BOOL ? normalize_bool(m, t->raw_data.data, n) : t->raw_data.data;
		return 0;
	}
	if (f != typed_field(ty->dtype))
		return onnx_fail(m, ONNX_MALFORMED, "%s: %s elements cannot be stored in %s (expected %s or raw_data)",
				 what, ir_dtype_name(ty->dtype), field_names[f], field_names[typed_field(ty->dtype)]);
	if ((uint64_t)field_count(t, f) != (uint64_t)n)
		return onnx_fail(m, ONNX_MALFORMED, "%s: %s has %zu values, but %s needs %" PRId64, what,
				 field_names[f], field_count(t, f), onnx_type_str(ty, ts, sizeof ts), n);
	*data = f == F_FLOAT ? (const void *)t->float_data : f == F_INT64 ? (const void *)t->int64_data :
		from_int32(m, t, ty->dtype, n);
	return 0;
}

int onnx_tensor(onnx_imp *m, const Onnx__TensorProto *t, const char *what, ir_type *ty,
		const void **data, int64_t *size)
{
	*ty = (ir_type){0};
	if (check_location(m, t, what) < 0 || check_dtype(m, t, what, &ty->dtype) < 0 ||
	    check_dims(m, t, what, ty) < 0)
		return -1;
	return read_data(m, t, what, ty, data, size);
}
