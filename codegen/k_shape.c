/*
** k_shape.c - data movement kernels: families transpose, concat, split,
** slice, expand, tile, depthtospace (DepthToSpace, SpaceToDepth), trilu
** and cumsum, and the affine copy they share (k_shape.h; gather and pad
** are in k_gather.c, resize in k_resize.c).
**
** As in the interpreter, most ops are one affine copy (a view): Transpose
** permutes the source strides, Expand has source stride 0 where a dim
** broadcasts, Slice starts and steps, Tile walks [repeat, dim] per dim,
** DepthToSpace the 6-D strides around ONNX's transpose.  The emitter
** specializes a view to the static shape: unit dims are dropped, dims that
** are contiguous on both sides merge, and what stays contiguous becomes one
** memcpy per outer index (Concat along axis 1 of NCHW is N memcpy per
** operand).  A transpose whose source-contiguous dim is not the result's
** innermost one moves square blocks of a vector's width, transposed in
** registers, so that both sides are read and written by whole vectors.
** Bytes move unconverted, so every element type works; i4 moves nibble by
** nibble.
*/
#include <string.h>

#include "codegen/k_shape.h"
#include "ir/requant.h"

/* ---- elements ------------------------------------------------------------ */

static int64_t esize(ir_dtype dt)
{
	return ir_dtype_bits(dt) / 8;
}

/* The integer type moving one element (not for i4). */
static LLVMTypeRef raw_type(cg *g, ir_dtype dt)
{
	return LLVMIntTypeInContext(g->lc, (unsigned)ir_dtype_bits(dt));
}

static bool is_zero(LLVMValueRef v)
{
	return LLVMIsAConstantInt(v) && LLVMConstIntGetSExtValue(v) == 0;
}

LLVMValueRef kv_madd(cg *g, LLVMValueRef a, LLVMValueRef b, int64_t c)
{
	if (c == 0)
		return a;
	LLVMValueRef p = c == 1 ? b : LLVMBuildNSWMul(g->b, b, cg_i64(g, c), "");
	return is_zero(a) ? p : LLVMBuildNSWAdd(g->b, a, p, "");
}

LLVMValueRef kv_ptr(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef off)
{
	return LLVMBuildInBoundsGEP2(g->b, raw_type(g, dt), base, &off, 1, "");
}

void kv_copy(cg *g, ir_dtype dt, LLVMValueRef dst, LLVMValueRef doff, LLVMValueRef src,
	     LLVMValueRef soff, int64_t n)
{
	if (n <= 0)
		return;
	if (dt != IR_I4) {
		cg_memcpy(g, kv_ptr(g, dt, dst, doff), kv_ptr(g, dt, src, soff), n * esize(dt));
		return;
	}
	if (n == 1) {
		cg_store(g, dt, dst, doff, cg_load(g, dt, src, soff));
		return;
	}
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, n, 1);
	cg_store(g, dt, dst, kv_madd(g, doff, i, 1), cg_load(g, dt, src, kv_madd(g, soff, i, 1)));
	cg_endfor(g, &l);
}

void kv_fill(cg *g, ir_dtype dt, LLVMValueRef dst, LLVMValueRef doff, int64_t n, kv_value fv)
{
	if (n <= 0)
		return;
	if (dt != IR_I4 && fv.byte >= 0) {
		cg_memset(g, kv_ptr(g, dt, dst, doff), fv.byte, n * esize(dt));
		return;
	}
	if (dt != IR_I4 && esize(dt) == 1) {
		LLVMBuildMemSet(g->b, kv_ptr(g, dt, dst, doff), fv.v, cg_i64(g, n), 1);
		return;
	}
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, n, 1);
	LLVMValueRef at = kv_madd(g, doff, i, 1);
	if (dt == IR_I4)
		cg_store(g, dt, dst, at, fv.v);
	else
		LLVMBuildStore(g->b, fv.v, kv_ptr(g, dt, dst, at));
	cg_endfor(g, &l);
}

kv_value kv_zero(cg *g, ir_dtype dt)
{
	return (kv_value){LLVMConstInt(dt == IR_I4 ? g->t_i64 : raw_type(g, dt), 0, 0), 0};
}

/* The constant value's bytes are little-endian, as on every target condense
** compiles for. */
kv_value kv_scalar(cg *g, ir_dtype dt, const cg_buf *b)
{
	if (dt == IR_I4) {
		if (!b->konst)
			return (kv_value){cg_load(g, dt, b->ptr, cg_i64(g, 0)), -1};
		int64_t nib = b->konst->data[0] & 15;
		return (kv_value){cg_i64(g, nib >= 8 ? nib - 16 : nib), -1};
	}
	if (!b->konst)
		return (kv_value){LLVMBuildLoad2(g->b, raw_type(g, dt), b->ptr, ""), -1};
	uint64_t v = 0;
	int n = (int)esize(dt), byte = b->konst->data[0];
	for (int i = n - 1; i >= 0; i--) {
		v = v << 8 | b->konst->data[i];
		if (b->konst->data[i] != byte)
			byte = -1;
	}
	return (kv_value){LLVMConstInt(raw_type(g, dt), v, 0), byte};
}

/* ---- constant index tables ------------------------------------------------ */

/* Host-order bytes: the host and every target condense compiles for are
** little-endian. */

kv_table kv_make_table(cg *g, const int64_t *vals, int64_t n, const char *name)
{
	bool narrow = true;
	for (int64_t i = 0; i < n; i++)
		narrow &= vals[i] >= INT32_MIN && vals[i] <= INT32_MAX;
	size_t w = narrow ? 4 : 8;
	unsigned char *bytes = ir_alloc(g->c, (size_t)(n > 0 ? n : 1) * w);
	for (int64_t i = 0; i < n; i++) {
		if (narrow) {
			int32_t v = (int32_t)vals[i];
			memcpy(bytes + (size_t)i * w, &v, w);
		} else {
			memcpy(bytes + (size_t)i * w, &vals[i], w);
		}
	}
	return (kv_table){cg_const_bytes(g, bytes, n * (int64_t)w, name), narrow ? g->t_i32 : g->t_i64};
}

LLVMValueRef kv_table_load(cg *g, kv_table t, LLVMValueRef idx)
{
	LLVMValueRef p = LLVMBuildInBoundsGEP2(g->b, t.type, t.ptr, &idx, 1, "");
	LLVMValueRef v = LLVMBuildLoad2(g->b, t.type, p, "");
	return t.type == g->t_i64 ? v : LLVMBuildSExt(g->b, v, g->t_i64, "");
}

/* ---- affine copies ----------------------------------------------------------- */

kview kv_plain(const ir_type *dt, const ir_type *st)
{
	kview v = {.rank = st->rank};
	cg_strides(dt, v.ds);
	cg_strides(st, v.ss);
	memcpy(v.dims, st->dims, sizeof st->dims);
	return v;
}

/* Drop unit dims and merge neighbours that are contiguous on both sides;
** false when the box is empty. */
static bool kv_normalize(kview *v)
{
	int r = 0;
	for (int i = 0; i < v->rank; i++) {
		if (v->dims[i] == 0)
			return false;
		if (v->dims[i] == 1)
			continue;
		if (r > 0 && v->ds[r - 1] == v->ds[i] * v->dims[i] && v->ss[r - 1] == v->ss[i] * v->dims[i]) {
			v->dims[r - 1] *= v->dims[i];
			v->ds[r - 1] = v->ds[i];
			v->ss[r - 1] = v->ss[i];
			continue;
		}
		v->dims[r] = v->dims[i];
		v->ds[r] = v->ds[i];
		v->ss[r] = v->ss[i];
		r++;
	}
	v->rank = r;
	return true;
}

typedef struct kv_job {
	const kview *v;
	ir_dtype dt;
	LLVMValueRef dst, src;
	int loops;          /* dims walked by loops */
	int64_t run;        /* contiguous elements copied per innermost iteration */
	int tile;           /* tiled: the source-contiguous dim, else -1 */
} kv_job;

/* Elements per side of the blocks transposed in registers: a vector of the
** target (at most 8 elements, at least 2). */
static int block_side(const cg *g, ir_dtype dt)
{
	int64_t b = g->vec_bytes / esize(dt);
	return b > 8 ? 8 : b < 2 ? 2 : (int)b;
}

/* The B x B block whose source rows (B elements along dim t, contiguous)
** start at src+soff, S apart, into result rows (B elements along the
** innermost dim, contiguous) at dst+doff, D apart: B vector loads, log2(B)
** rounds of interleaving pairs of vectors, B vector stores. */
static void transpose_block(cg *g, const kv_job *j, int B, LLVMValueRef doff, LLVMValueRef soff,
			    int64_t S, int64_t D)
{
	LLVMTypeRef vt = LLVMVectorType(raw_type(g, j->dt), (unsigned)B);
	unsigned align = (unsigned)esize(j->dt);
	LLVMValueRef v[8], w[8], lo[8], hi[8];
	for (int r = 0; r < B; r++) {
		v[r] = LLVMBuildLoad2(g->b, vt, kv_ptr(g, j->dt, j->src, kv_madd(g, soff, cg_i64(g, r), S)), "");
		LLVMSetAlignment(v[r], align);
	}
	int h = B / 2;
	for (int p = 0; p < h; p++) {
		lo[2 * p] = cg_i32(g, p);
		lo[2 * p + 1] = cg_i32(g, B + p);
		hi[2 * p] = cg_i32(g, h + p);
		hi[2 * p + 1] = cg_i32(g, B + h + p);
	}
	LLVMValueRef mlo = LLVMConstVector(lo, (unsigned)B), mhi = LLVMConstVector(hi, (unsigned)B);
	for (int round = 1; round < B; round *= 2) {
		for (int k = 0; k < h; k++) {
			w[2 * k] = LLVMBuildShuffleVector(g->b, v[k], v[k + h], mlo, "");
			w[2 * k + 1] = LLVMBuildShuffleVector(g->b, v[k], v[k + h], mhi, "");
		}
		memcpy(v, w, (size_t)B * sizeof *v);
	}
	for (int r = 0; r < B; r++) {
		LLVMValueRef st = LLVMBuildStore(g->b, v[r], kv_ptr(g, j->dt, j->dst, kv_madd(g, doff, cg_i64(g, r), D)));
		LLVMSetAlignment(st, align);
	}
}

/* Scalar copies of the rows [t0, t1) x columns [l0, l1) of a transpose. */
static void transpose_rest(cg *g, const kv_job *j, int64_t t0, int64_t t1, LLVMValueRef lt, int64_t l0,
			   int64_t l1, LLVMValueRef doff, LLVMValueRef soff)
{
	const kview *v = j->v;
	int t = j->tile, l = v->rank - 1;
	if (t0 >= t1 || l0 >= l1)
		return;
	cg_loop a, b;
	LLVMValueRef ti = cg_fori(g, &a, t0, t1, 1);
	if (lt)
		ti = LLVMBuildNSWAdd(g->b, ti, lt, "");
	LLVMValueRef d1 = kv_madd(g, doff, ti, v->ds[t]), s1 = kv_madd(g, soff, ti, v->ss[t]);
	LLVMValueRef li = cg_fori(g, &b, l0, l1, 1);
	kv_copy(g, j->dt, j->dst, kv_madd(g, d1, li, v->ds[l]), j->src, kv_madd(g, s1, li, v->ss[l]), 1);
	cg_endfor(g, &b);
	cg_endfor(g, &a);
}

/*
** The innermost dim (contiguous in the result) and dim t (contiguous in
** the source) as a 2-D transpose: B x B blocks in registers, then scalar
** copies of the edges that do not fill a block.  Each band of B result
** rows is written left to right.
*/
static void kv_tiles(cg *g, const kv_job *j, LLVMValueRef doff, LLVMValueRef soff)
{
	const kview *v = j->v;
	int t = j->tile, l = v->rank - 1, B = block_side(g, j->dt);
	int64_t nt = v->dims[t], nl = v->dims[l], fl = nl - nl % B;
	int band = nt >= 2 * B && (int64_t)B * esize(j->dt) < 64 ? 2 : 1;
	int64_t ft = nt - nt % (band * B);
	if (ft > 0) {
		cg_loop a, b;
		LLVMValueRef tb = cg_fori(g, &a, 0, ft, band * B);
		if (fl > 0) {
			LLVMValueRef lb = cg_fori(g, &b, 0, fl, B);
			for (int k = 0; k < band; k++) {
				LLVMValueRef tk = kv_madd(g, cg_i64(g, k * B), tb, 1);
				transpose_block(g, j, B, kv_madd(g, kv_madd(g, doff, tk, v->ds[t]), lb, 1),
						kv_madd(g, kv_madd(g, soff, tk, 1), lb, v->ss[l]), v->ss[l], v->ds[t]);
			}
			cg_endfor(g, &b);
		}
		transpose_rest(g, j, 0, band * B, tb, fl, nl, doff, soff);
		cg_endfor(g, &a);
	}
	transpose_rest(g, j, ft, nt, NULL, 0, nl, doff, soff);
}

static void kv_loops(cg *g, const kv_job *j, int lvl, LLVMValueRef doff, LLVMValueRef soff)
{
	const kview *v = j->v;
	if (lvl < j->loops && lvl == j->tile)
		lvl++;
	if (lvl == j->loops) {
		if (j->tile >= 0)
			kv_tiles(g, j, doff, soff);
		else
			kv_copy(g, j->dt, j->dst, doff, j->src, soff, j->run);
		return;
	}
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, v->dims[lvl], 1);
	kv_loops(g, j, lvl + 1, kv_madd(g, doff, i, v->ds[lvl]), kv_madd(g, soff, i, v->ss[lvl]));
	cg_endfor(g, &l);
}

/* The dim to tile with the innermost one: contiguous in the source while
** the innermost dim is contiguous only in the result; -1 if none is worth it. */
static int tile_dim(const kview *v, ir_dtype dt)
{
	int l = v->rank - 1;
	if (dt == IR_I4 || v->rank < 2 || v->ds[l] != 1 || v->ss[l] == 0 || v->dims[l] < 8)
		return -1;
	for (int i = 0; i < l; i++)
		if (v->ss[i] == 1 && v->dims[i] >= 8)
			return i;
	return -1;
}

void kv_emit(cg *g, ir_dtype dt, LLVMValueRef dst, LLVMValueRef src, const kview *view)
{
	kview v = *view;
	if (!kv_normalize(&v))
		return;
	kv_job j = {&v, dt, dst, src, v.rank, 1, -1};
	if (v.rank > 0 && v.ds[v.rank - 1] == 1 && v.ss[v.rank - 1] == 1) {
		j.loops = v.rank - 1;
		j.run = v.dims[v.rank - 1];
	} else if ((j.tile = tile_dim(&v, dt)) >= 0) {
		j.loops = v.rank - 1;
	}
	kv_loops(g, &j, 0, cg_i64(g, v.d0), cg_i64(g, v.s0));
}

/* ---- Transpose, Concat, Split, Slice, Expand, Tile ------------------------------- */

static int norm_axis(int64_t axis, int rank)
{
	return (int)(axis < 0 ? axis + rank : axis);
}

int cg_k_transpose(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_attr *p = ir_op_attr(op, "perm");
	const ir_type *t = in[0].type;
	int64_t is[IR_MAX_RANK];
	kview v = kv_plain(out[0].type, out[0].type);
	cg_strides(t, is);
	for (int i = 0; i < t->rank; i++)
		v.ss[i] = is[p && p->kind == IR_ATTR_INTS ? p->u.ints[i] : t->rank - 1 - i];
	kv_emit(g, t->dtype, out[0].ptr, in[0].ptr, &v);
	return 0;
}

/*
** Operand k of a quantized Concat whose parameters differ from the
** result's (docs/ir.md): each element q becomes clamp(z_y + floor(((q -
** z_k) M_k + 2^(S_k-1)) / 2^S_k)), the interpreter's rule, in i64.  The
** operand is outer runs of its slab (dims from axis on) that land at
** offset at * inner of the result's slabs.
*/
static void concat_requant(cg *g, const ir_qop *p, int k, const cg_buf *x, const cg_buf *y, int axis, int64_t at)
{
	int64_t outer = 1, inner = 1;
	for (int i = 0; i < axis; i++)
		outer *= y->type->dims[i];
	for (int i = axis + 1; i < y->type->rank; i++)
		inner *= y->type->dims[i];
	int64_t run = x->type->dims[axis] * inner, yrun = y->type->dims[axis] * inner;
	ir_requant r = p->rq[k];
	cg_loop lo, lj;
	LLVMValueRef o = cg_fori(g, &lo, 0, outer, 1), j = cg_fori(g, &lj, 0, run, 1);
	LLVMValueRef v = cg_load(g, x->type->dtype, x->ptr, kv_madd(g, j, o, run));
	v = LLVMBuildSub(g->b, v, cg_i64(g, p->in_zero[k]), "");
	v = LLVMBuildAdd(g->b, LLVMBuildMul(g->b, v, cg_i64(g, r.mult), ""), cg_i64(g, (int64_t)1 << (r.shift - 1)), "");
	v = LLVMBuildAdd(g->b, LLVMBuildAShr(g->b, v, cg_i64(g, r.shift), ""), cg_i64(g, p->y_zero), "");
	v = cg_smin(g, cg_smax(g, v, cg_i64(g, p->lo)), cg_i64(g, p->hi));
	cg_store(g, y->type->dtype, y->ptr, kv_madd(g, kv_madd(g, j, o, yrun), cg_i64(g, at), inner), v);
	cg_endfor(g, &lj);
	cg_endfor(g, &lo);
}

int cg_k_concat(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *y = out[0].type;
	int axis = norm_axis(ir_op_int(op, "axis", 0), y->rank);
	int64_t at = 0;
	ir_qop p;
	bool have_p = false;
	for (int k = 0; k < op->n_in; k++) {
		if (y->quant && !ir_quant_equal(in[k].type->quant, y->quant)) {
			if (!have_p && ir_qop_params(g->g, op, &p) < 0)
				return cg_unsupported(g, op, "an invalid quantized form (not verified?)");
			have_p = true;
			concat_requant(g, &p, k, &in[k], &out[0], axis, at);
		} else {
			kview v = kv_plain(y, in[k].type);
			v.d0 = at * v.ds[axis];
			kv_emit(g, y->dtype, out[0].ptr, in[k].ptr, &v);
		}
		at += in[k].type->dims[axis];
	}
	return 0;
}

int cg_k_split(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *t = in[0].type;
	int axis = norm_axis(ir_op_int(op, "axis", 0), t->rank);
	int64_t at = 0;
	for (int r = 0; r < op->n_out; r++) {
		kview v = kv_plain(out[r].type, out[r].type);
		cg_strides(t, v.ss);
		v.s0 = at * v.ss[axis];
		at += out[r].type->dims[axis];
		kv_emit(g, t->dtype, out[r].ptr, in[0].ptr, &v);
	}
	return 0;
}

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

int cg_k_slice(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *t = in[0].type, *y = out[0].type;
	const ir_attr *starts = ir_op_attr(op, "starts"), *axes = ir_op_attr(op, "axes");
	const ir_attr *steps = ir_op_attr(op, "steps");
	int64_t step[IR_MAX_RANK], start[IR_MAX_RANK] = {0};
	kview v = kv_plain(y, y);
	cg_strides(t, v.ss);
	for (int i = 0; i < t->rank; i++)
		step[i] = 1;
	for (int i = 0; starts && i < starts->n; i++) {
		int a = norm_axis(axes ? axes->u.ints[i] : i, t->rank);
		step[a] = steps ? steps->u.ints[i] : 1;
		start[a] = slice_start(starts->u.ints[i], t->dims[a], step[a]);
	}
	for (int i = 0; i < t->rank; i++) {
		v.s0 += start[i] * v.ss[i];
		v.ss[i] = y->dims[i] > 1 ? v.ss[i] * step[i] : 0; /* a step that big only fits a dim of 1 */
	}
	kv_emit(g, t->dtype, out[0].ptr, in[0].ptr, &v);
	return 0;
}

/* Numpy broadcast: source stride 0 where x's dim is 1 or missing. */
int cg_k_expand(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *t = in[0].type;
	int64_t is[IR_MAX_RANK];
	kview v = kv_plain(out[0].type, out[0].type);
	int lead = v.rank - t->rank;
	(void)op;
	cg_strides(t, is);
	for (int i = 0; i < v.rank; i++)
		v.ss[i] = i < lead || t->dims[i - lead] == 1 ? 0 : is[i - lead];
	kv_emit(g, t->dtype, out[0].ptr, in[0].ptr, &v);
	return 0;
}

/* Each dim walked as [repeat, dim]: source stride 0 over the repeats. */
int cg_k_tile(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *t = in[0].type, *y = out[0].type;
	int64_t is[IR_MAX_RANK], os[IR_MAX_RANK];
	kview v = {.rank = 2 * t->rank};
	(void)op;
	cg_strides(t, is);
	cg_strides(y, os);
	for (int i = 0; i < t->rank; i++) {
		v.dims[2 * i] = t->dims[i] ? y->dims[i] / t->dims[i] : 0;
		v.dims[2 * i + 1] = t->dims[i];
		v.ds[2 * i] = t->dims[i] * os[i];
		v.ds[2 * i + 1] = os[i];
		v.ss[2 * i + 1] = is[i];
	}
	kv_emit(g, t->dtype, out[0].ptr, in[0].ptr, &v);
	return 0;
}

/* ---- DepthToSpace, SpaceToDepth ------------------------------------------------ */

static kview view6(const int64_t *dims, const int64_t *ds, const int64_t *ss)
{
	kview v = {.rank = 6};
	memcpy(v.dims, dims, 6 * sizeof *dims);
	memcpy(v.ds, ds, 6 * sizeof *ds);
	memcpy(v.ss, ss, 6 * sizeof *ss);
	return v;
}

/* x [N, C, H, W] walked as [N, C, H', b, W', b]: element (n, c, h, i, w, j)
** goes to channel (i*b + j)*C + c of the result. */
static kview space_to_depth(const ir_type *t, const ir_type *y, int64_t b)
{
	int64_t c = t->dims[1], h = t->dims[2], w = t->dims[3], hw = y->dims[2] * y->dims[3];
	int64_t dims[6] = {t->dims[0], c, y->dims[2], b, y->dims[3], b};
	int64_t ss[6] = {c * h * w, h * w, b * w, w, b, 1};
	int64_t ds[6] = {y->dims[1] * hw, hw, y->dims[3], b * c * hw, 1, c * hw};
	return view6(dims, ds, ss);
}

/* The result [N, C', H*b, W*b] walked as [N, C', H, b, W, b]: element
** (n, c, h, i, w, j) comes from channel (i*b + j)*C' + c of x in DCR
** order, c*b^2 + i*b + j in CRD order. */
static kview depth_to_space(const ir_type *t, const ir_type *y, int64_t b, bool crd)
{
	int64_t c = y->dims[1], hw = t->dims[2] * t->dims[3], wb = y->dims[3];
	int64_t dims[6] = {t->dims[0], c, t->dims[2], b, t->dims[3], b};
	int64_t ds[6] = {c * y->dims[2] * wb, y->dims[2] * wb, b * wb, wb, b, 1};
	int64_t ss[6] = {t->dims[1] * hw, crd ? b * b * hw : hw, t->dims[3],
			 crd ? b * hw : b * c * hw, 1, crd ? hw : c * hw};
	return view6(dims, ds, ss);
}

int cg_k_depthtospace(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	int64_t b = ir_op_int(op, "blocksize", 1);
	bool crd = strcmp(ir_op_str(op, "mode", "DCR"), "CRD") == 0;
	kview v = op->kind == IR_OP_SPACETODEPTH ? space_to_depth(in[0].type, out[0].type, b)
						 : depth_to_space(in[0].type, out[0].type, b, crd);
	kv_emit(g, in[0].type->dtype, out[0].ptr, in[0].ptr, &v);
	return 0;
}

/* ---- Trilu ----------------------------------------------------------------------- */

/*
** Keeps element (i, j) of each matrix where j - i >= k (upper) or <= k
** (lower), zero elsewhere: one select per element over the row, which
** vectorizes, rather than a split point per row.
*/
int cg_k_trilu(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *t = in[0].type;
	ir_dtype dt = t->dtype;
	int64_t k = ir_op_int(op, "k", 0), rows = t->dims[t->rank - 2], cols = t->dims[t->rank - 1];
	int64_t n = cg_numel(t), mats = rows && cols ? n / (rows * cols) : 0;
	bool upper = ir_op_int(op, "upper", 1) != 0;
	if (mats == 0)
		return 0;
	/* j - i compared with k in i64: k may be any int64, so clamp it to
	** where the comparison's outcome no longer changes. */
	int64_t lim = rows + cols;
	k = k < -lim ? -lim : k > lim ? lim : k;
	LLVMValueRef zero = dt == IR_I4 ? cg_i64(g, 0) : kv_zero(g, dt).v;
	cg_loop lm, li, lj;
	LLVMValueRef m = cg_fori(g, &lm, 0, mats, 1);
	LLVMValueRef i = cg_fori(g, &li, 0, rows, 1);
	LLVMValueRef base = kv_madd(g, kv_madd(g, cg_i64(g, 0), m, rows * cols), i, cols);
	LLVMValueRef from = LLVMBuildNSWAdd(g->b, i, cg_i64(g, k), "");   /* column of the diagonal */
	LLVMValueRef j = cg_fori(g, &lj, 0, cols, 1);
	LLVMValueRef keep = LLVMBuildICmp(g->b, upper ? LLVMIntSGE : LLVMIntSLE, j, from, "");
	LLVMValueRef e = LLVMBuildNSWAdd(g->b, base, j, "");
	if (dt == IR_I4) {
		cg_store(g, dt, out[0].ptr, e, cg_select(g, keep, cg_load(g, dt, in[0].ptr, e), zero));
	} else {
		LLVMValueRef x = LLVMBuildLoad2(g->b, raw_type(g, dt), kv_ptr(g, dt, in[0].ptr, e), "");
		LLVMBuildStore(g->b, cg_select(g, keep, x, zero), kv_ptr(g, dt, out[0].ptr, e));
	}
	cg_endfor(g, &lj);
	cg_endfor(g, &li);
	cg_endfor(g, &lm);
	return 0;
}

/* ---- CumSum --------------------------------------------------------------------------- */

/* The walk along CumSum's axis: x and y as [outer, n, inner]; step k is
** index first + k*dir (in elements), backwards for reverse. */
typedef struct cum_job {
	ir_dtype dt;
	bool excl;
	int64_t n, inner, first, dir;
	LLVMValueRef x, y;
} cum_job;

/* y[at] = y[at - dir] + x[at] (exclusive: x[at - dir]), or for the first
** step x[at] (exclusive: 0). */
static void cum_step(cg *g, const cum_job *j, LLVMValueRef at, bool first)
{
	bool fl = ir_dtype_is_float(j->dt);
	if (first) {
		LLVMValueRef z = fl ? cg_f32(g, 0) : cg_i64(g, 0);
		cg_store(g, j->dt, j->y, at, j->excl ? z : cg_load(g, j->dt, j->x, at));
		return;
	}
	LLVMValueRef prev = LLVMBuildNSWSub(g->b, at, cg_i64(g, j->dir), "");
	LLVMValueRef acc = cg_load(g, j->dt, j->y, prev);
	LLVMValueRef v = cg_load(g, j->dt, j->x, j->excl ? prev : at);
	cg_store(g, j->dt, j->y, at, fl ? LLVMBuildFAdd(g->b, acc, v, "") : LLVMBuildAdd(g->b, acc, v, ""));
}

/* Rows [from, from + count*rows) (rows of n*inner elements), rows at a
** time: the steps of the rows interleave, so that their chains of
** additions overlap (an axis with inner == 1 is one serial chain per row). */
static void cum_rows(cg *g, const cum_job *j, int64_t from, int64_t count, int rows)
{
	if (count <= 0)
		return;
	int64_t len = j->n * j->inner;
	cg_loop lo, lk, lj;
	LLVMValueRef o = cg_fori(g, &lo, 0, count, 1);
	LLVMValueRef base = kv_madd(g, cg_i64(g, from * len + j->first * j->inner), o, rows * len);
	for (int pass = 0; pass < 2; pass++) {
		LLVMValueRef k = pass ? cg_fori(g, &lk, 1, j->n, 1) : NULL;
		LLVMValueRef at = pass ? kv_madd(g, base, k, j->dir) : base;
		LLVMValueRef jv = cg_fori(g, &lj, 0, j->inner, 1);
		for (int r = 0; r < rows; r++)
			cum_step(g, j, kv_madd(g, LLVMBuildNSWAdd(g->b, at, jv, ""), cg_i64(g, r), len), !pass);
		cg_endfor(g, &lj);
		if (pass)
			cg_endfor(g, &lk);
	}
	cg_endfor(g, &lo);
}

/*
** y[k] = y[k-1] + x[k] along the axis (exclusive: x[k-1]; the first is x[0]
** or 0), walking k backwards for reverse.  Each partial sum is rounded to
** the element type before the next step reads it back, as the interpreter
** does: f32 addition of two f32 (or f16) values rounds once, like the
** interpreter's double sum rounded to the type; integers wrap.  The loop
** over the elements after the axis is innermost, so it vectorizes; without
** enough of them, 4 rows are summed at once (more streams thrash the
** cache when rows are a power of two apart).
*/
int cg_k_cumsum(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out)
{
	const ir_type *t = in[0].type;
	bool rev = ir_op_int(op, "reverse", 0) != 0;
	int axis = norm_axis(ir_op_int(op, "axis", 0), t->rank);
	int64_t outer = 1, inner = 1, n = t->dims[axis];
	for (int d = 0; d < t->rank; d++)
		if (d != axis)
			*(d < axis ? &outer : &inner) *= t->dims[d];
	if (outer * n * inner == 0)
		return 0;
	cum_job j = {.dt = t->dtype, .excl = ir_op_int(op, "exclusive", 0) != 0, .n = n, .inner = inner,
		     .first = rev ? n - 1 : 0, .dir = rev ? -inner : inner, .x = in[0].ptr, .y = out[0].ptr};
	int rows = inner < 4 && outer >= 4 ? 4 : 1;
	cum_rows(g, &j, 0, outer / rows, rows);
	cum_rows(g, &j, outer / rows * rows, outer % rows, 1);
	return 0;
}
