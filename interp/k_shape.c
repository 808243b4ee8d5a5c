/*
** k_shape.c - the data movement kernels of the reference interpreter:
** families transpose, concat, split, slice, pad, gather (Gather,
** GatherElements), expand, tile, depthtospace (DepthToSpace, SpaceToDepth)
** and trilu.
**
** Element values are never interpreted, so every element type works: a
** copy moves whole bytes, or nibbles for i4.  Most ops are one affine copy
** (a view): destination and source offsets are linear in the coordinates
** of a box, as for Transpose (permuted source strides), Expand (stride 0
** where a dim broadcasts), Slice (start and step), Tile (the box
** [repeat, dim] per dim, source stride 0 over the repeats) and
** DepthToSpace (6-D strides of the reshapes around ONNX's transpose).
** Quantization parameters matter in two places only (docs/ir.md,
** "Quantized arithmetic"): Pad's constant is real 0, the zero point, and a
** Concat operand with other parameters than the result is requantized.
*/
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "interp/kernel.h"
#include "ir/requant.h"

#define VIEW_RANK (2 * IR_MAX_RANK)

/* dst[d0 + sum(i_k*ds_k)] = src[s0 + sum(i_k*ss_k)] over the box dims. */
typedef struct view {
	int rank;
	int64_t dims[VIEW_RANK];
	int64_t ds[VIEW_RANK], ss[VIEW_RANK];
	int64_t d0, s0;
} view;

/* Row-major strides of t, in elements. */
static void strides(const ir_type *t, int64_t *st)
{
	int64_t s = 1;
	for (int i = t->rank - 1; i >= 0; i--) {
		st[i] = s;
		s *= t->dims[i];
	}
}

/* Called with a constant esz, so that each memcpy becomes one move.  Steps
** may be negative (Slice with negative steps): offsets are signed. */
static inline void strided(char *d, int64_t dstep, const char *s, int64_t sstep, int64_t n, size_t esz)
{
	ptrdiff_t e = (ptrdiff_t)esz;
	for (int64_t i = 0; i < n; i++)
		memcpy(d + (ptrdiff_t)(i * dstep) * e, s + (ptrdiff_t)(i * sstep) * e, esz);
}

/* n elements from src[si], step sstep, to dst[di], step dstep. */
static void copy_run(interp_tensor *dst, int64_t di, int64_t dstep, const interp_tensor *src,
		     int64_t si, int64_t sstep, int64_t n)
{
	int bits = ir_dtype_bits(dst->type.dtype);
	size_t esz = (size_t)bits / 8;
	char *d = (char *)dst->data + (size_t)di * esz;
	const char *s = (const char *)src->data + (size_t)si * esz;
	if (bits < 8) {
		for (int64_t i = 0; i < n; i++)
			interp_set_i(dst, di + i * dstep, interp_get_i(src, si + i * sstep));
	} else if (dstep == 1 && sstep == 1) {
		memcpy(d, s, (size_t)n * esz);
	} else if (esz == 1) {
		strided(d, dstep, s, sstep, n, 1);
	} else if (esz == 2) {
		strided(d, dstep, s, sstep, n, 2);
	} else if (esz == 4) {
		strided(d, dstep, s, sstep, n, 4);
	} else {
		strided(d, dstep, s, sstep, n, 8);
	}
}

/* Perform the copy v, one run along its last dim at a time. */
static void copy_view(interp_tensor *dst, const interp_tensor *src, const view *v)
{
	int64_t idx[VIEW_RANK] = {0}, di = v->d0, si = v->s0, runs = 1;
	int l = v->rank - 1;
	if (v->rank == 0) {
		copy_run(dst, di, 1, src, si, 1, 1);
		return;
	}
	for (int i = 0; i < v->rank; i++)
		runs *= v->dims[i];
	runs = v->dims[l] ? runs / v->dims[l] : 0;
	for (int64_t r = 0; r < runs; r++) {
		copy_run(dst, di, v->ds[l], src, si, v->ss[l], v->dims[l]);
		for (int i = l - 1; i >= 0; i--) {
			di += v->ds[i];
			si += v->ss[i];
			if (++idx[i] < v->dims[i])
				break;
			di -= v->ds[i] * v->dims[i];
			si -= v->ss[i] * v->dims[i];
			idx[i] = 0;
		}
	}
}

/* The view that copies src (of type st) into dst (of type dt) elementwise, same dims. */
static view plain_view(const ir_type *dt, const ir_type *st)
{
	view v = {.rank = st->rank};
	strides(dt, v.ds);
	strides(st, v.ss);
	memcpy(v.dims, st->dims, sizeof st->dims);
	return v;
}

static int64_t norm_axis(int64_t axis, int rank)
{
	return axis < 0 ? axis + rank : axis;
}

/* ---- Transpose, Concat, Split, Expand, Tile -------------------------------- */

int interp_transpose(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const ir_attr *p = ir_op_attr(op, "perm");
	const ir_type *t = &in[0]->type;
	int64_t is[IR_MAX_RANK];
	view v = plain_view(&out->type, &out->type);
	(void)x;
	strides(t, is);
	for (int i = 0; i < t->rank; i++)
		v.ss[i] = is[p && p->kind == IR_ATTR_INTS ? p->u.ints[i] : t->rank - 1 - i];
	copy_view(out, in[0], &v);
	return 0;
}

/*
** Operand k of a quantized Concat requantized to the result's parameters
** (docs/ir.md): clamp(z_y + requant(q - z_k)), in a fresh tensor of the
** operand's shape and the result's element type.
*/
static interp_tensor *requantized(interp_ctx *x, const interp_tensor *t, const ir_type *y, const ir_qop *p,
				  int k)
{
	interp_tensor *r = ir_alloc(x->c, sizeof *r);
	int64_t n = numel(&t->type), bytes;
	r->type = t->type;
	r->type.dtype = y->dtype;
	r->type.quant = y->quant;
	ir_type_bytes(&r->type, &bytes);
	r->data = ir_alloc(x->c, (size_t)bytes);
	for (int64_t i = 0; i < n; i++) {
		int32_t d = (int32_t)(interp_get_i(t, i) - p->in_zero[k]);
		int64_t q = p->y_zero + ir_requant_apply(d, p->rq[k]);
		interp_set_i(r, i, q < p->lo ? p->lo : q > p->hi ? p->hi : q);
	}
	return r;
}

/* Operands are copied; a quantized operand whose parameters differ from
** the result's is requantized to them first. */
int interp_concat(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	int64_t axis = norm_axis(ir_op_int(op, "axis", 0), out->type.rank), at = 0;
	ir_qop p = {0};
	bool have_p = false;
	for (int k = 0; k < op->n_in; k++) {
		const interp_tensor *src = in[k];
		if (out->type.quant && !ir_quant_equal(src->type.quant, out->type.quant)) {
			if (!have_p && ir_qop_params(x->g, op, &p) < 0)
				return ir_error(x->c, op->loc, "'Concat' op: invalid quantized form (not verified?)");
			have_p = true;
			src = requantized(x, src, &out->type, &p, k);
		}
		view v = plain_view(&out->type, &src->type);
		v.d0 = at * v.ds[axis];
		at += src->type.dims[axis];
		copy_view(out, src, &v);
	}
	return 0;
}

/* The results are consecutive slices along axis, of their own sizes. */
int interp_split(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	int64_t axis = norm_axis(ir_op_int(op, "axis", 0), in[0]->type.rank), at = 0;
	(void)x;
	for (int r = 0; r < op->n_out; r++) {
		view v = plain_view(&out[r].type, &out[r].type);
		strides(&in[0]->type, v.ss);
		v.s0 = at * v.ss[axis];
		at += out[r].type.dims[axis];
		copy_view(&out[r], in[0], &v);
	}
	return 0;
}

/* Numpy broadcast of x to the result's dims: source stride 0 where x's dim is 1. */
int interp_expand(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const ir_type *t = &in[0]->type;
	int64_t is[IR_MAX_RANK];
	int lead = out->type.rank - t->rank;
	view v = plain_view(&out->type, &out->type);
	(void)x;
	(void)op;
	strides(t, is);
	for (int i = 0; i < v.rank; i++)
		v.ss[i] = i < lead || t->dims[i - lead] == 1 ? 0 : is[i - lead];
	copy_view(out, in[0], &v);
	return 0;
}

int interp_tile(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const ir_type *t = &in[0]->type;
	int64_t is[IR_MAX_RANK], os[IR_MAX_RANK];
	view v = {.rank = 2 * t->rank};
	(void)x;
	(void)op;
	strides(t, is);
	strides(&out->type, os);
	for (int i = 0; i < t->rank; i++) {
		v.dims[2 * i] = t->dims[i] ? out->type.dims[i] / t->dims[i] : 0;
		v.dims[2 * i + 1] = t->dims[i];
		v.ds[2 * i] = t->dims[i] * os[i];
		v.ds[2 * i + 1] = os[i];
		v.ss[2 * i + 1] = is[i];
	}
	copy_view(out, in[0], &v);
	return 0;
}

/* ---- Slice ------------------------------------------------------------------ */

/* ONNX's clamped start of a slice along a dim of size n with step st. */
static int64_t slice_start(int64_t s, int64_t n, int64_t st)
{
	if (s < 0)
		s += n;
	if (s < 0)
		return 0;
	if (st > 0)
		return s > n ? n : s;
	return s > n - 1 ? n - 1 : s;
}

/* The result's dims are inferred; only each start and step matter here. */
int interp_slice(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const ir_type *t = &in[0]->type;
	const ir_attr *starts = ir_op_attr(op, "starts"), *axes = ir_op_attr(op, "axes");
	const ir_attr *steps = ir_op_attr(op, "steps");
	int64_t step[IR_MAX_RANK], start[IR_MAX_RANK] = {0};
	view v = plain_view(&out->type, &out->type);
	(void)x;
	strides(t, v.ss);
	for (int i = 0; i < t->rank; i++)
		step[i] = 1;
	for (int i = 0; starts && i < starts->n; i++) {
		int64_t a = norm_axis(axes ? axes->u.ints[i] : i, t->rank);
		step[a] = steps ? steps->u.ints[i] : 1;
		start[a] = slice_start(starts->u.ints[i], t->dims[a], step[a]);
	}
	for (int i = 0; i < t->rank; i++) {
		v.s0 += start[i] * v.ss[i];
		v.ss[i] = out->type.dims[i] > 1 ? v.ss[i] * step[i] : 0; /* a step that big only fits a dim of 1 */
	}
	copy_view(out, in[0], &v);
	return 0;
}

/* ---- Pad -------------------------------------------------------------------- */

/* Source index of padded index p along a dim of size n, or -1 for the constant. */
static int64_t pad_source(int64_t p, int64_t n, int mode)
{
	if (p >= 0 && p < n)
		return p;
	if (mode == 0)
		return -1;
	if (mode == 1)
		return p < 0 ? 0 : n - 1;
	if (n == 1)
		return 0;
	int64_t per = 2 * (n - 1), q = p % per;
	q = q < 0 ? q + per : q;
	return q < n ? q : per - q;
}

/* A scalar of t's element type holding t's zero point: real 0. */
static const interp_tensor *zero_point(interp_ctx *x, const interp_tensor *t)
{
	interp_tensor *z = ir_alloc(x->c, sizeof *z);
	z->type = (ir_type){.dtype = t->type.dtype, .quant = t->type.quant};
	z->data = ir_alloc(x->c, 8);
	interp_set_i(z, 0, t->type.quant->zero[0]);
	return z;
}

/*
** Pad: modes constant (operand 1, a scalar, or 0; real 0, the zero point,
** on a quantized operand), edge and reflect (as
** numpy, reflecting as often as needed); negative pads crop.  Each result
** row along the last dim comes from one source row, or is constant.
*/
int interp_pad(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const ir_type *t = &in[0]->type;
	const char *ms = ir_op_str(op, "mode", "constant");
	const ir_attr *pa = ir_op_attr(op, "pads");
	const interp_tensor *cv = op->n_in > 1 ? in[1] : NULL;
	int mode = strcmp(ms, "edge") == 0 ? 1 : strcmp(ms, "reflect") == 0 ? 2 : 0, r = t->rank;
	if (!cv && t->quant)
		cv = zero_point(x, in[0]);
	int64_t is[IR_MAX_RANK], idx[IR_MAX_RANK] = {0}, n = numel(&out->type);
	int64_t *map[IR_MAX_RANK];
	strides(t, is);
	for (int i = 0; i < r; i++) {
		map[i] = ir_alloc_array(x->c, (size_t)out->type.dims[i], sizeof *map[i]);
		for (int64_t o = 0; o < out->type.dims[i]; o++)
			map[i][o] = pad_source(o - pa->u.ints[i], t->dims[i], mode);
	}
	for (int64_t e = 0; e < n; e++) {
		int64_t si = 0;
		for (int i = 0; i < r && si >= 0; i++)
			si = map[i][idx[i]] < 0 ? -1 : si + map[i][idx[i]] * is[i];
		if (si >= 0)
			copy_run(out, e, 1, in[0], si, 1, 1);
		else if (cv)
			copy_run(out, e, 1, cv, 0, 1, 1);
		for (int i = r - 1; i >= 0 && ++idx[i] == out->type.dims[i]; i--)
			idx[i] = 0;
	}
	return 0;
}

/* ---- Gather, GatherElements ------------------------------------------------- */

/* Index i of ind, made non-negative for a dim of size n; -1 after a diagnostic. */
static int64_t gather_index(interp_ctx *x, const ir_op *op, const interp_tensor *ind, int64_t i, int64_t n)
{
	int64_t v = interp_get_i(ind, i);
	if (v < -n || v >= n)
		return ir_error(x->c, op->loc, "'%s' op: index %" PRId64 " is out of range for a dim "
				"of size %" PRId64, ir_op_name(op->kind), v, n);
	return v < 0 ? v + n : v;
}

/* y[outer, j, inner] = x[outer, indices[j], inner]. */
static int gather(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const ir_type *t = &in[0]->type;
	int64_t axis = norm_axis(ir_op_int(op, "axis", 0), t->rank), outer = 1, inner = 1;
	int64_t ni = numel(&in[1]->type), dim = t->dims[axis];
	for (int i = 0; i < t->rank; i++)
		*(i < axis ? &outer : &inner) *= i == axis ? 1 : t->dims[i];
	for (int64_t j = 0; j < ni; j++) {
		int64_t k = gather_index(x, op, in[1], j, dim);
		if (k < 0)
			return -1;
		for (int64_t o = 0; o < outer; o++)
			copy_run(out, (o * ni + j) * inner, 1, in[0], (o * dim + k) * inner, 1, inner);
	}
	return 0;
}

/* y[i] = x[i with its index along axis replaced by indices[i]]. */
static int gather_elements(interp_ctx *x, const ir_op *op, const interp_tensor *const *in,
			   interp_tensor *out)
{
	const ir_type *t = &in[0]->type, *it = &in[1]->type;
	int64_t axis = norm_axis(ir_op_int(op, "axis", 0), t->rank), n = numel(it);
	int64_t is[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
	strides(t, is);
	for (int64_t e = 0; e < n; e++) {
		int64_t k = gather_index(x, op, in[1], e, t->dims[axis]), si = 0;
		if (k < 0)
			return -1;
		for (int i = 0; i < t->rank; i++)
			si += (i == axis ? k : idx[i]) * is[i];
		copy_run(out, e, 1, in[0], si, 1, 1);
		for (int i = it->rank - 1; i >= 0 && ++idx[i] == it->dims[i]; i--)
			idx[i] = 0;
	}
	return 0;
}

int interp_gather(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	if (op->kind == IR_OP_GATHERELEMENTS)
		return gather_elements(x, op, in, out);
	return gather(x, op, in, out);
}

/* ---- DepthToSpace, SpaceToDepth, Trilu --------------------------------------- */

static view view6(const int64_t *dims, const int64_t *ds, const int64_t *ss)
{
	view v = {.rank = 6};
	memcpy(v.dims, dims, 6 * sizeof *dims);
	memcpy(v.ds, ds, 6 * sizeof *ds);
	memcpy(v.ss, ss, 6 * sizeof *ss);
	return v;
}

/*
** x [N, C, H, W] walked as [N, C, H', b, W', b] (H' = H/b): element
** (n, c, h, i, w, j) goes to channel (i*b + j)*C + c of the result.
*/
static view space_to_depth(const ir_type *t, const ir_type *y, int64_t b)
{
	int64_t c = t->dims[1], h = t->dims[2], w = t->dims[3], hw = y->dims[2] * y->dims[3];
	int64_t dims[6] = {t->dims[0], c, y->dims[2], b, y->dims[3], b};
	int64_t ss[6] = {c * h * w, h * w, b * w, w, b, 1};
	int64_t ds[6] = {y->dims[1] * hw, hw, y->dims[3], b * c * hw, 1, c * hw};
	return view6(dims, ds, ss);
}

/*
** The result [N, C', H*b, W*b] (C' = C/b^2) walked as [N, C', H, b, W, b]:
** element (n, c, h, i, w, j) comes from channel (i*b + j)*C' + c of x in
** DCR order, c*b^2 + i*b + j in CRD order.
*/
static view depth_to_space(const ir_type *t, const ir_type *y, int64_t b, bool crd)
{
	int64_t c = y->dims[1], hw = t->dims[2] * t->dims[3], wb = y->dims[3];
	int64_t dims[6] = {t->dims[0], c, t->dims[2], b, t->dims[3], b};
	int64_t ds[6] = {c * y->dims[2] * wb, y->dims[2] * wb, b * wb, wb, b, 1};
	int64_t ss[6] = {t->dims[1] * hw, crd ? b * b * hw : hw, t->dims[3],
			 crd ? b * hw : b * c * hw, 1, crd ? hw : c * hw};
	return view6(dims, ds, ss);
}

int interp_depthtospace(interp_ctx *x, const ir_op *op, const interp_tensor *const *in,
			interp_tensor *out)
{
	int64_t b = ir_op_int(op, "blocksize", 1);
	bool crd = strcmp(ir_op_str(op, "mode", "DCR"), "CRD") == 0;
	view v = op->kind == IR_OP_SPACETODEPTH ? space_to_depth(&in[0]->type, &out->type, b)
						 : depth_to_space(&in[0]->type, &out->type, b, crd);
	(void)x;
	copy_view(out, in[0], &v);
	return 0;
}

/* Keeps element (i, j) of each matrix where j - i >= k (upper) or <= k (lower). */
int interp_trilu(interp_ctx *x, const ir_op *op, const interp_tensor *const *in, interp_tensor *out)
{
	const ir_type *t = &in[0]->type;
	int64_t k = ir_op_int(op, "k", 0), rows = t->dims[t->rank - 2], cols = t->dims[t->rank - 1];
	int64_t mats = rows && cols ? numel(t) / (rows * cols) : 0;
	bool upper = ir_op_int(op, "upper", 1) != 0;
	(void)x;
	for (int64_t m = 0; m < mats; m++) {
		for (int64_t i = 0; i < rows; i++) {
			for (int64_t j = 0; j < cols; j++) {
				int64_t e = (m * rows + i) * cols + j;
				if (upper ? j - i >= k : j - i <= k)
					copy_run(out, e, 1, in[0], e, 1, 1);
			}
		}
	}
	return 0;
}
