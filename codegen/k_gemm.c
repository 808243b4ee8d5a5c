/*
** k_gemm.c - the float GEMM engine of the linear-algebra emitters (see
** k_linear.h): the register-blocked micro-kernel, the loops around it, the
** epilogue, compile-time packing and the helpers for f16 operands.
**
** Loop order, outside in: blocks of nb columns of B; passes over chunks
** of kc rows of k (partial sums go through the result, so one pass reads
** a kc x nb block of B, small enough to stay in cache while every row
** tile reuses it); tiles of mr rows of A (a panel of mr x kc floats,
** reused by every column tile of the block); tiles of nrw columns; then
** the kc steps with the tile's accumulators in registers.  Trip counts
** are compile-time constants: full tiles run in loops and the ragged
** edges are separate instances of the tile with fewer rows or vectors.
**
** The block sizes were tuned on ResNet-18 and MobileNetV2 layers on a
** Zen 3 core (32 KiB L1d, 512 KiB L2) against ONNX Runtime's MLAS; small
** chunks of k cost little (one load and store of the tile per chunk) and
** keep the block of B in L1.
*/
#include <string.h>

#include "codegen/k_linear.h"
#include "ir/util.h"

/* k steps per trip of the inner loop. */
#define LIN_UNROLL 4

/* ---- vectors ------------------------------------------------------------- */

LLVMTypeRef lin_vec(cg *g, int vl)
{
	return LLVMVectorType(g->t_f32, (unsigned)vl);
}

LLVMValueRef lin_gep(cg *g, LLVMValueRef p, LLVMValueRef i)
{
	return LLVMBuildInBoundsGEP2(g->b, g->t_f32, p, &i, 1, "");
}

LLVMValueRef lin_gepc(cg *g, LLVMValueRef p, int64_t i)
{
	return i ? lin_gep(g, p, cg_i64(g, i)) : p;
}

LLVMValueRef lin_splat(cg *g, LLVMValueRef s, int vl)
{
	LLVMTypeRef vt = lin_vec(g, vl);
	LLVMValueRef v = LLVMBuildInsertElement(g->b, LLVMGetPoison(vt), s, cg_i32(g, 0), "");
	LLVMValueRef mask = LLVMConstNull(LLVMVectorType(g->t_i32, (unsigned)vl));
	return LLVMBuildShuffleVector(g->b, v, LLVMGetPoison(vt), mask, "");
}

/* The constant v of type ty (f32 or a vector of f32). */
static LLVMValueRef fconst(cg *g, LLVMTypeRef ty, float v)
{
	if (LLVMGetTypeKind(ty) != LLVMVectorTypeKind)
		return cg_f32(g, v);
	LLVMValueRef e[LIN_MAX_VL];
	unsigned n = LLVMGetVectorSize(ty);
	for (unsigned i = 0; i < n; i++)
		e[i] = cg_f32(g, v);
	return LLVMConstVector(e, n);
}

static LLVMValueRef lane_mask(cg *g, int vl, int lanes)
{
	LLVMValueRef e[LIN_MAX_VL];
	for (int i = 0; i < vl; i++)
		e[i] = LLVMConstInt(g->t_i1, i < lanes, 0);
	return LLVMConstVector(e, (unsigned)vl);
}

static LLVMValueRef call_masked(cg *g, const char *name, LLVMTypeRef vt, LLVMValueRef *args, unsigned n)
{
	LLVMTypeRef tys[2] = {vt, g->t_ptr};
	unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
	LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, tys, 2);
	return LLVMBuildCall2(g->b, LLVMIntrinsicGetType(g->lc, id, tys, 2), fn, args, n, "");
}

LLVMValueRef lin_load(cg *g, LLVMValueRef p, int vl, int lanes)
{
	LLVMTypeRef vt = lin_vec(g, vl);
	if (lanes >= vl) {
		LLVMValueRef v = LLVMBuildLoad2(g->b, vt, p, "");
		LLVMSetAlignment(v, 4);
		return v;
	}
	LLVMValueRef args[4] = {p, cg_i32(g, 4), lane_mask(g, vl, lanes), LLVMConstNull(vt)};
	return call_masked(g, "llvm.masked.load", vt, args, 4);
}

void lin_store_vec(cg *g, LLVMValueRef p, LLVMValueRef v, int vl, int lanes)
{
	if (lanes >= vl) {
		LLVMSetAlignment(LLVMBuildStore(g->b, v, p), 4);
		return;
	}
	LLVMValueRef args[4] = {v, p, cg_i32(g, 4), lane_mask(g, vl, lanes)};
	call_masked(g, "llvm.masked.store", lin_vec(g, vl), args, 4);
}

static LLVMValueRef load_f32(cg *g, LLVMValueRef p)
{
	LLVMValueRef v = LLVMBuildLoad2(g->b, g->t_f32, p, "");
	LLVMSetAlignment(v, 4);
	return v;
}

LLVMValueRef lin_act(cg *g, const ir_activation *a, LLVMValueRef v)
{
	LLVMBuilderRef b = g->b;
	LLVMTypeRef ty = LLVMTypeOf(v);
	LLVMValueRef zero = LLVMConstNull(ty);
	switch (a->kind) {
	case IR_ACT_RELU:
		return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, v, zero, ""), zero, v, "");
	case IR_ACT_CLIP: {
		LLVMValueRef lo = fconst(g, ty, a->lo), hi = fconst(g, ty, a->hi);
		v = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, v, hi, ""), hi, v, "");
		return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, v, lo, ""), lo, v, "");
	}
	case IR_ACT_LEAKYRELU: {
		LLVMValueRef s = LLVMBuildFMul(b, v, fconst(g, ty, a->alpha), "");
		return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, v, zero, ""), s, v, "");
	}
	default:
		return v;
	}
}

/* ---- the epilogue -------------------------------------------------------- */

static LLVMValueRef mul_c(cg *g, LLVMValueRef i, int64_t c)
{
	if (c == 1)
		return i;
	return LLVMBuildNSWMul(g->b, i, cg_i64(g, c), "");
}

static LLVMValueRef add_c(cg *g, LLVMValueRef i, int64_t c)
{
	return c ? LLVMBuildNSWAdd(g->b, i, cg_i64(g, c), "") : i;
}

void lin_store(cg *g, const lin_epi *e, LLVMValueRef row, LLVMValueRef col,
	       LLVMValueRef acc, int lanes)
{
	LLVMBuilderRef b = g->b;
	int vl = (int)LLVMGetVectorSize(LLVMTypeOf(acc));
	LLVMValueRef v = acc;
	if (e->alpha != 1)
		v = LLVMBuildFMul(b, v, fconst(g, LLVMTypeOf(v), e->alpha), "");
	if (e->bias)
		v = LLVMBuildFAdd(b, v, lin_splat(g, load_f32(g, lin_gep(g, e->bias, row)), vl), "");
	if (e->c) {
		LLVMValueRef ci = LLVMBuildNSWAdd(b, mul_c(g, row, e->c_rs), mul_c(g, col, e->c_cs), "");
		LLVMValueRef cp = lin_gep(g, e->c, ci);
		LLVMValueRef cv = e->c_cs ? lin_load(g, cp, vl, lanes) : lin_splat(g, load_f32(g, cp), vl);
		if (e->beta == 1)
			v = LLVMBuildFAdd(b, v, cv, "");
		else
			v = cg_fma(g, cv, fconst(g, LLVMTypeOf(v), e->beta), v);
	}
	v = lin_act(g, &e->act, v);
	LLVMValueRef yi = LLVMBuildNSWAdd(b, mul_c(g, row, e->y_rs), col, "");
	lin_store_vec(g, lin_gep(g, e->y, yi), v, vl, lanes);
}

/* ---- loops ----------------------------------------------------------------- */

LLVMValueRef lin_loop(cg *g, lin_loopv *l, int64_t trips)
{
	l->once = trips == 1;
	if (l->once)
		return cg_i64(g, 0);
	return cg_fori(g, &l->l, 0, trips, 1);
}

void lin_endloop(cg *g, lin_loopv *l)
{
	if (!l->once)
		cg_endfor(g, &l->l);
}

/* ---- the micro-kernel ------------------------------------------------------ */

typedef struct gemm_ctx {
	const lin_tile *t;
	int64_t m, n, k;
	const lin_a *a;
	const lin_b *b;
	const lin_epi *e;
} gemm_ctx;

/* One pass: depth [k0, k0+kc) of the product (k0 an i64 value), which
** is row bk0 of B. */
typedef struct kpass {
	LLVMValueRef k0, bk0;
	int64_t kc;
	lin_part part;
} kpass;

/* One tile being emitted: mr rows by nvec vectors, the last of `last` lanes. */
typedef struct tile_ctx {
	LLVMValueRef pa, pb;      /* A at (m0, k0), B at (k0, n0) */
	int64_t ars, aks, bks;    /* element strides within the tile */
	int mr, nvec, last, vl;
	bool mask_loads;          /* the last vector of B may not be over-read */
} tile_ctx;

#define MAX_ACC (LIN_MAX_MR * 8)

static void tile_setup(cg *g, const gemm_ctx *x, const kpass *kp, LLVMValueRef m0, LLVMValueRef n0,
		       int mr, int64_t w, tile_ctx *c)
{
	const lin_a *a = x->a;
	const lin_b *b = x->b;
	LLVMBuilderRef bu = g->b;
	c->vl = x->t->vl;
	c->mr = mr;
	c->nvec = (int)((w + c->vl - 1) / c->vl);
	c->last = (int)(w - (int64_t)(c->nvec - 1) * c->vl);
	c->mask_loads = !b->packed && !b->overread && c->last < c->vl;
	if (a->packed) {
		c->ars = 1;
		c->aks = x->t->mr;
		c->pa = lin_gep(g, a->p, LLVMBuildNSWAdd(bu, mul_c(g, m0, x->k), mul_c(g, kp->k0, c->aks), ""));
	} else {
		c->ars = a->rs;
		c->aks = a->ks;
		c->pa = lin_gep(g, a->p, LLVMBuildNSWAdd(bu, mul_c(g, m0, a->rs), mul_c(g, kp->k0, a->ks), ""));
	}
	c->bks = b->packed ? x->t->nrw : b->ks;
	LLVMValueRef bn = b->packed ? mul_c(g, n0, x->k) : n0;
	c->pb = lin_gep(g, b->p, LLVMBuildNSWAdd(bu, bn, mul_c(g, kp->bk0, c->bks), ""));
}

/* acc[r][v] += A(r, kk) * B(kk, v) for one k index kk (an i64 value). */
static void tile_step(cg *g, const tile_ctx *c, LLVMValueRef kk, LLVMValueRef *acc)
{
	LLVMValueRef pak = lin_gep(g, c->pa, mul_c(g, kk, c->aks));
	LLVMValueRef pbk = lin_gep(g, c->pb, mul_c(g, kk, c->bks));
	LLVMValueRef bv[8];
	for (int v = 0; v < c->nvec; v++) {
		int lanes = v == c->nvec - 1 && c->mask_loads ? c->last : c->vl;
		bv[v] = lin_load(g, lin_gepc(g, pbk, (int64_t)v * c->vl), c->vl, lanes);
	}
	for (int r = 0; r < c->mr; r++) {
		LLVMValueRef s = lin_splat(g, load_f32(g, lin_gepc(g, pak, r * c->ars)), c->vl);
		for (int v = 0; v < c->nvec; v++)
			acc[r * c->nvec + v] = cg_fma(g, s, bv[v], acc[r * c->nvec + v]);
	}
}

/* The k loop: trips of LIN_UNROLL steps with the accumulators in phis. */
static void tile_loop(cg *g, const tile_ctx *c, int64_t trips, LLVMValueRef *acc)
{
	int na = c->mr * c->nvec;
	LLVMValueRef phi[MAX_ACC], cur[MAX_ACC];
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(g->b);
	cg_loop l;
	LLVMValueRef iv = cg_fori(g, &l, 0, trips, 1);
	LLVMPositionBuilderBefore(g->b, LLVMGetNextInstruction(l.phi));
	for (int i = 0; i < na; i++) {
		phi[i] = LLVMBuildPhi(g->b, lin_vec(g, c->vl), "acc");
		LLVMAddIncoming(phi[i], &acc[i], &pre, 1);
		cur[i] = phi[i];
	}
	LLVMPositionBuilderAtEnd(g->b, l.body);
	LLVMValueRef k0 = mul_c(g, iv, LIN_UNROLL);
	for (int u = 0; u < LIN_UNROLL; u++)
		tile_step(g, c, add_c(g, k0, u), cur);
	LLVMBasicBlockRef latch = LLVMGetInsertBlock(g->b);
	for (int i = 0; i < na; i++) {
		LLVMAddIncoming(phi[i], &cur[i], &latch, 1);
		acc[i] = phi[i];
	}
	cg_endfor(g, &l);
}

/* Store one accumulator of a pass (see kpart). */
static void tile_store(cg *g, const gemm_ctx *x, lin_part part, LLVMValueRef row, LLVMValueRef col,
		       LLVMValueRef acc, int lanes)
{
	const lin_epi *e = x->e;
	int vl = x->t->vl;
	if (part == LIN_ALL) {
		lin_store(g, e, row, col, acc, lanes);
		return;
	}
	LLVMValueRef yp = lin_gep(g, e->y, LLVMBuildNSWAdd(g->b, mul_c(g, row, e->y_rs), col, ""));
	if (part != LIN_FIRST)
		acc = LLVMBuildFAdd(g->b, acc, lin_load(g, yp, vl, lanes), "");
	if (part == LIN_LAST)
		lin_store(g, e, row, col, acc, lanes);
	else
		lin_store_vec(g, yp, acc, vl, lanes);
}

/* One tile: rows [m0, m0+mr) by columns [n0, n0+w), w <= nrw. */
static void tile(cg *g, const gemm_ctx *x, const kpass *kp, LLVMValueRef m0, LLVMValueRef n0, int mr,
		 int64_t w)
{
	tile_ctx c;
	LLVMValueRef acc[MAX_ACC];
	tile_setup(g, x, kp, m0, n0, mr, w, &c);
	for (int i = 0; i < mr * c.nvec; i++)
		acc[i] = LLVMConstNull(lin_vec(g, c.vl));
	int64_t trips = kp->kc / LIN_UNROLL;
	if (trips > 0)
		tile_loop(g, &c, trips, acc);
	for (int64_t kk = trips * LIN_UNROLL; kk < kp->kc; kk++)
		tile_step(g, &c, cg_i64(g, kk), acc);
	for (int r = 0; r < mr; r++) {
		LLVMValueRef row = add_c(g, m0, r);
		for (int v = 0; v < c.nvec; v++)
			tile_store(g, x, kp->part, row, add_c(g, n0, (int64_t)v * c.vl), acc[r * c.nvec + v],
				   v == c.nvec - 1 ? c.last : c.vl);
	}
}

/* ---- the loops around it ------------------------------------------------------ */

/* How w columns split into tiles: `full` tiles of nrw columns, then up to
** two tail tiles of tail[i] columns.  A lone one-vector tail is merged with
** the last full tile into two tiles of about equal width, so that no tile
** loads nearly as much A as it computes (not for packed B, whose tiles
** must start at a panel). */
static int split_cols(const lin_tile *t, bool packed, int64_t w, int64_t *full, int64_t *tail)
{
	int64_t vl = t->vl, nvt = (w + vl - 1) / vl;
	*full = w / t->nrw;
	int64_t rem = w - *full * t->nrw;
	if (rem == 0)
		return 0;
	if (!packed && nvt % t->nv == 1 && *full > 0 && t->nv >= 3) {
		int64_t v1 = (t->nv + 2) / 2;
		*full -= 1;
		tail[0] = v1 * vl;
		tail[1] = t->nrw + rem - tail[0];
		return 2;
	}
	tail[0] = rem;
	return 1;
}

/* Column tiles of one row tile. */
static void row_tiles(cg *g, const gemm_ctx *x, const kpass *kp, LLVMValueRef m0, int mr, LLVMValueRef n0,
		      int64_t w)
{
	int64_t nrw = x->t->nrw, full, tail[2];
	int nt = split_cols(x->t, x->b->packed, w, &full, tail);
	if (full > 0) {
		lin_loopv l;
		LLVMValueRef j = lin_loop(g, &l, full);
		tile(g, x, kp, m0, LLVMBuildNSWAdd(g->b, n0, mul_c(g, j, nrw), ""), mr, nrw);
		lin_endloop(g, &l);
	}
	int64_t at = full * nrw;
	for (int i = 0; i < nt; i++) {
		tile(g, x, kp, m0, add_c(g, n0, at), mr, tail[i]);
		at += tail[i];
	}
}

/* Every row tile of one column block for one pass over k. */
static void col_block(cg *g, const gemm_ctx *x, const kpass *kp, LLVMValueRef n0, int64_t w)
{
	int mr = x->t->mr;
	int64_t full = x->m / mr, rem = x->m % mr;
	if (full > 0) {
		lin_loopv l;
		LLVMValueRef i = lin_loop(g, &l, full);
		row_tiles(g, x, kp, mul_c(g, i, mr), mr, n0, w);
		lin_endloop(g, &l);
	}
	if (rem > 0)
		row_tiles(g, x, kp, cg_i64(g, full * mr), (int)rem, n0, w);
}

/* Depth per pass: all of k up to LIN_KC_MAX, else equal chunks of at
** most that (a panel of A, mr x kc, stays in L1). */
static int64_t pick_kc(int64_t k)
{
	int64_t chunks = (k + LIN_KC_MAX - 1) / LIN_KC_MAX;
	if (chunks <= 1)
		return k;
	int64_t kc = (k + chunks - 1) / chunks;
	return (kc + LIN_UNROLL - 1) / LIN_UNROLL * LIN_UNROLL;
}

/* About how many columns of B a column block should have for depth k. */
static int64_t lin_block_target(int64_t k)
{
	int64_t kc = pick_kc(k);
	return LIN_BLOCK_BYTES / (4 * (kc > 0 ? kc : 1));
}

/* Columns per block: a multiple of nrw near lin_block_target. */
static int64_t lin_block_cols(const lin_tile *t, int64_t n, int64_t k)
{
	int64_t nb = lin_block_target(k) / t->nrw * t->nrw;
	if (nb < t->nrw)
		nb = t->nrw;
	return nb >= n ? n : nb;
}

/* One column block: the passes over k. */
static void col_passes(cg *g, const gemm_ctx *x, LLVMValueRef n0, int64_t w)
{
	int64_t kc = pick_kc(x->k);
	if (kc >= x->k) {
		kpass all = {cg_i64(g, 0), cg_i64(g, 0), x->k, LIN_ALL};
		col_block(g, x, &all, n0, w);
		return;
	}
	int64_t chunks = (x->k + kc - 1) / kc, klast = x->k - (chunks - 1) * kc;
	kpass first = {cg_i64(g, 0), cg_i64(g, 0), kc, LIN_FIRST};
	col_block(g, x, &first, n0, w);
	if (chunks > 2) {
		lin_loopv l;
		LLVMValueRef j = lin_loop(g, &l, chunks - 2);
		LLVMValueRef k0 = mul_c(g, add_c(g, j, 1), kc);
		kpass mid = {k0, k0, kc, LIN_MID};
		col_block(g, x, &mid, n0, w);
		lin_endloop(g, &l);
	}
	LLVMValueRef kl = cg_i64(g, (chunks - 1) * kc);
	kpass last = {kl, kl, klast, LIN_LAST};
	col_block(g, x, &last, n0, w);
}

void lin_gemm_pass(cg *g, const lin_tile *t, int64_t m, int64_t n, int64_t k, LLVMValueRef k0,
		   int64_t kc, lin_part part, const lin_a *a, const lin_b *b, const lin_epi *e)
{
	if (m <= 0 || n <= 0)
		return;
	gemm_ctx x = {t, m, n, k, a, b, e};
	kpass kp = {k0, cg_i64(g, 0), kc, part};
	col_block(g, &x, &kp, cg_i64(g, 0), n);
}

void lin_gemm(cg *g, const lin_tile *t, int64_t m, int64_t n, int64_t k, const lin_a *a,
	      const lin_b *b, const lin_epi *e)
{
	if (m <= 0 || n <= 0)
		return;
	gemm_ctx x = {t, m, n, k, a, b, e};
	int64_t nb = lin_block_cols(t, n, k), full = n / nb, rem = n % nb;
	if (full > 0) {
		lin_loopv l;
		LLVMValueRef j = lin_loop(g, &l, full);
		col_passes(g, &x, mul_c(g, j, nb), nb);
		lin_endloop(g, &l);
	}
	if (rem > 0)
		col_passes(g, &x, cg_i64(g, full * nb), rem);
}

/* ---- tiles per target -------------------------------------------------------- */

/* x86-64 has 16 vector registers: 4 x 3 accumulators leave room for the
** three vectors of B and a broadcast.  AArch64 and RISC-V V have 32, but
** 8 x 3 accumulators made LLVM spill in the unrolled k loop; 8 x 2 does
** not.  Without vectors (vl 1) the tile is 16 scalar accumulators. */
int lin_vl_of(int vec_bytes)
{
	int vl = vec_bytes / 4;
	return vl < 1 ? 1 : vl > LIN_MAX_VL ? LIN_MAX_VL : vl;
}

void lin_tile_for(const cg *g, lin_tile *t)
{
	int vl = lin_vl_of(g->vec_bytes);
	const char *triple = LLVMGetTarget(g->mod);
	bool x86 = !strncmp(triple, "x86_64", 6) || !strncmp(triple, "i686", 4);
	t->vl = vl;
	if (vl == 1) {
		t->mr = 4;
		t->nv = 4;
	} else if (x86) {
		t->mr = 4;
		t->nv = 3;
	} else {
		t->mr = 8;
		t->nv = 2;
	}
	t->nrw = t->nv * t->vl;
}

/* ---- packing ------------------------------------------------------------------- */

LLVMValueRef lin_pack_a(cg *g, const lin_tile *t, int64_t nmat, int64_t m, int64_t k, lin_getf *get,
			const void *ud, int64_t *per)
{
	int64_t mr = t->mr, mp = (m + mr - 1) / mr * mr;
	*per = mp * k;
	float *buf = ir_alloc_array(g->c, (size_t)(nmat * *per) + 1, sizeof *buf);
	for (int64_t q = 0; q < nmat; q++)
		for (int64_t i = 0; i < m; i++)
			for (int64_t kk = 0; kk < k; kk++)
				buf[q * *per + (i / mr) * k * mr + kk * mr + i % mr] = get(ud, q * m + i, kk);
	return cg_const_bytes(g, buf, nmat * *per * (int64_t)sizeof *buf, "pa");
}

LLVMValueRef lin_pack_b(cg *g, const lin_tile *t, int64_t nmat, int64_t k, int64_t n, lin_getf *get,
			const void *ud, int64_t *per)
{
	int64_t nr = t->nrw, np = (n + nr - 1) / nr * nr;
	*per = np * k;
	float *buf = ir_alloc_array(g->c, (size_t)(nmat * *per) + 1, sizeof *buf);
	for (int64_t q = 0; q < nmat; q++)
		for (int64_t kk = 0; kk < k; kk++)
			for (int64_t j = 0; j < n; j++)
				buf[q * *per + (j / nr) * k * nr + kk * nr + j % nr] = get(ud, q * k + kk, j);
	return cg_const_bytes(g, buf, nmat * *per * (int64_t)sizeof *buf, "pb");
}

/* ---- float operands and the workspace --------------------------------------------- */

float lin_src_get(const lin_src *s, int64_t i)
{
	if (s->dt == IR_F16) {
		uint16_t h;
		memcpy(&h, s->konst->data + 2 * i, sizeof h);
		return ir_f16_to_f32(h);
	}
	float f;
	memcpy(&f, s->konst->data + 4 * i, sizeof f);
	return f;
}

int64_t lin_ws_bytes(int64_t bytes)
{
	return (bytes + 63) / 64 * 64;
}

LLVMValueRef lin_ws_take(cg *g, int64_t *off, int64_t bytes)
{
	LLVMValueRef p = LLVMConstPointerNull(g->t_ptr);
	if (g->ws) {
		LLVMValueRef o = cg_i64(g, *off);
		p = LLVMBuildInBoundsGEP2(g->b, g->t_i8, g->ws, &o, 1, "");
	}
	*off += lin_ws_bytes(bytes);
	return p;
}

int lin_ws_check(cg *g, const ir_op *op, int64_t used)
{
	if (used > 0 && (!g->ws || used > g->ws_size))
		return cg_unsupported(g, op, "this shape: internal error, %lld workspace bytes needed but "
				      "%lld planned", (long long)used, (long long)g->ws_size);
	return 0;
}

LLVMValueRef lin_src_ptr(cg *g, lin_src *s, const cg_buf *b, int64_t *ws)
{
	if (s->p)
		return s->p;
	if (s->dt == IR_F32) {
		s->p = b->ptr;
	} else if (s->konst) {
		float *f = ir_alloc_array(g->c, (size_t)s->n + 1, sizeof *f);
		for (int64_t i = 0; i < s->n; i++)
			f[i] = lin_src_get(s, i);
		s->p = cg_const_bytes(g, f, s->n * (int64_t)sizeof *f, "wf");
	} else {
		s->p = lin_ws_take(g, ws, s->n * 4);
		cg_loop l;
		LLVMValueRef i = cg_fori(g, &l, 0, s->n, 1);
		LLVMBuildStore(g->b, cg_load(g, s->dt, b->ptr, i), lin_gep(g, s->p, i));
		cg_endfor(g, &l);
	}
	return s->p;
}

void lin_f16_out(cg *g, LLVMValueRef f, LLVMValueRef y, int64_t n, const ir_activation *act)
{
	if (n <= 0)
		return;
	cg_loop l;
	LLVMValueRef i = cg_fori(g, &l, 0, n, 1);
	LLVMValueRef v = cg_convert(g, load_f32(g, lin_gep(g, f, i)), IR_F32, IR_F16);
	cg_store(g, IR_F16, y, i, lin_act(g, act, v));
	cg_endfor(g, &l);
}
