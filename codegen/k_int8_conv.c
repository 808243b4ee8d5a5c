/*
** k_int8_conv.c - the fast int8 convolutions (k_int8.h) and the pieces of
** emission every fast kernel shares (packing activations, the epilogue's
** tables).
**
** Two algorithms (i8_plan.depthwise decides):
**  - depthwise (one input channel per group): each input plane is copied,
**    minus its zero point, into a padded i16 plane; outputs go in vectors
**    along the row, each tap a multiply-accumulate of the shifted plane by
**    the tap's weight (w - z_w as i16: exact, no correction terms);
**  - everything else: the group's input is repacked once into the
**    workspace channel-minor ("NHWC": each padded input position holds its
**    cg channels, padded to Cp, a multiple of 4; padding holds the zero
**    point), by 8 x 8 transposes, and the GEMM engine runs straight on it:
**    a tap is a fixed offset from each output pixel's position, and a
**    kernel row (kw taps of Cp channels, unit dilation) is one contiguous
**    run of k.  No im2col.
*/
#include <string.h>

#include "codegen/k_int8.h"


/* ---- emission: shared pieces ---------------------------------------------------------- */

/* x's zero point as the signed byte the sdot kernel multiplies. */
static int32_t zx_signed(const i8_plan *p)
{
	return p->xt == IR_U8 ? p->zx - 128 : p->zx;
}

LLVMValueRef i8_pack_x(cg *g, const i8_emit *m, LLVMValueRef v)
{
	bool u8 = m->p->xt == IR_U8;
	LLVMTypeRef ty = LLVMTypeOf(v);
	bool isvec = LLVMGetTypeKind(ty) == LLVMVectorTypeKind;
	unsigned n = isvec ? LLVMGetVectorSize(ty) : 1;
	if (m->t.esz == 1) {
		LLVMValueRef k = LLVMConstInt(g->t_i8, 0x80, 0);
		return u8 ? LLVMBuildXor(g->b, v, isvec ? i8_splat(g, k, (int)n) : k, "") : v;
	}
	LLVMTypeRef wt = isvec ? LLVMVectorType(g->t_i16, n) : g->t_i16;
	LLVMValueRef w = u8 ? LLVMBuildZExt(g->b, v, wt, "") : LLVMBuildSExt(g->b, v, wt, "");
	LLVMValueRef z = LLVMConstInt(g->t_i16, (unsigned long long)m->p->zx, 1);
	return LLVMBuildSub(g->b, w, isvec ? i8_splat(g, z, (int)n) : z, "");
}

LLVMTypeRef i8_packed_type(cg *g, const i8_emit *m)
{
	return m->t.esz == 2 ? g->t_i16 : g->t_i8;
}

/* An i32 table of n entries padded to np, or NULL when every entry is 0. */
static LLVMValueRef i32_table(cg *g, const int64_t *v, int64_t n, int64_t np, const char *name)
{
	bool any = false;
	int32_t *t = ir_alloc_array(g->c, (size_t)np + 1, sizeof *t);
	for (int64_t i = 0; i < np; i++) {
		t[i] = i < n ? (int32_t)(uint32_t)v[i] : 0;
		any |= t[i] != 0;
	}
	return any ? cg_const_bytes(g, t, np * 4, name) : NULL;
}

void i8_make_epi(cg *g, i8_emit *m, const int64_t *wsum)
{
	const i8_plan *p = m->p;
	int64_t np = p->n + m->t.nr, zs = zx_signed(p);
	int64_t *corr = ir_alloc_array(g->c, (size_t)p->n + 1, sizeof *corr);
	int64_t *rz = ir_alloc_array(g->c, (size_t)p->n + 1, sizeof *rz);
	for (int64_t c = 0; c < p->n; c++) {
		corr[c] = (p->bias ? p->bias[c] : 0) - (m->t.esz == 1 || m->signed_x ? zs * wsum[c] : 0);
		rz[c] = p->rz[c];
	}
	i8_epi *e = &m->e;
	*e = (i8_epi){.corr = i32_table(g, corr, p->n, np, "corr"), .yt = p->y->dtype};
	if (p->colsum)
		e->rz = i32_table(g, rz, p->n, np, "rz");
	if (!p->requant)
		return;
	e->rq = p->rq;
	e->mult_uniform = p->mult_uniform;
	e->shift_uniform = p->shift_uniform;
	e->rq_np = np;
	e->hi_word = i8_rq_hi_word(p->rq, p->n, p->ties_even);
	if (e->hi_word && (!p->mult_uniform || !p->shift_uniform))
		e->hi_tab = i8_rq_hi_tables(g, p->rq, p->n, np);
	else if (!p->mult_uniform || !p->shift_uniform)
		e->rq_tab = i8_rq_tables(g, p->rq, p->n, np);
	e->acc_bound = p->acc_bound;
	e->zero = p->zero;
	e->lo = p->lo;
	e->hi = p->hi;
	e->ties_even = p->ties_even;
}

/* ---- convolution: packing the input -------------------------------------------------------------- */

/* Weights of the GEMM path: matrix q is group q, depth d its input channel. */
static int8_t conv_w_get(const void *ud, int64_t q, int64_t tap, int64_t d, int64_t c)
{
	const i8_plan *p = ud;
	int64_t mch = q * p->geo.mg + c;
	if (d >= p->geo.cg)
		return 0;                       /* channel padding */
	return (int8_t)(i8_weight(p, mch, d * p->geo.k_sz + tap) - p->wo[mch]);
}

/* Set what the copy of the input leaves untouched to the fill: the
** borders (the padding), or everything when channels are padded too. */
static void conv_clear(cg *g, const i8_emit *m, LLVMValueRef ws, int64_t rows, int64_t cols)
{
	const i8_plan *p = m->p;
	int fill = m->fill & 0xff;
	int64_t pos = p->Cp * m->t.esz, rowb = p->PW * pos, right = p->PW - p->pw - cols;
	if (p->Cp != p->geo.cg || rows <= 0 || cols <= 0) {
		cg_memset(g, ws, fill, p->PH * rowb);
		return;
	}
	if (p->ph > 0)
		cg_memset(g, ws, fill, p->ph * rowb);
	if (p->PH > p->ph + rows)
		cg_memset(g, i8_gepc(g, g->t_i8, ws, (p->ph + rows) * rowb), fill, (p->PH - p->ph - rows) * rowb);
	if (p->pw == 0 && right <= 0)
		return;
	cg_loop l;
	LLVMValueRef row = i8_gep(g, g->t_i8, ws, i8_mul(g, i8_add(g, cg_fori(g, &l, 0, rows, 1), p->ph), rowb));
	if (p->pw > 0)
		cg_memset(g, row, fill, p->pw * pos);
	if (right > 0)
		cg_memset(g, i8_gepc(g, g->t_i8, row, (p->pw + cols) * pos), fill, right * pos);
	cg_endfor(g, &l);
}

/* The 8 x 8 transpose of rows[0..8) (vectors of 8), in place: three
** rounds of interleaving (punpck / zip). */
static void transpose8(cg *g, LLVMValueRef *r)
{
	static const int lo[3][8] = {{0, 8, 1, 9, 2, 10, 3, 11}, {0, 1, 8, 9, 2, 3, 10, 11}, {0, 1, 2, 3, 8, 9, 10, 11}};
	static const int pair[3][8] = {{0, 1, 2, 3, 4, 5, 6, 7}, {0, 2, 1, 3, 4, 6, 5, 7}, {0, 4, 1, 5, 2, 6, 3, 7}};
	for (int round = 0; round < 3; round++) {
		LLVMValueRef t[8], ml[8], mh[8];
		for (int i = 0; i < 8; i++) {
			ml[i] = cg_i32(g, lo[round][i]);
			mh[i] = cg_i32(g, lo[round][i] + 4);
		}
		for (int i = 0; i < 4; i++) {
			LLVMValueRef a = r[pair[round][2 * i]], b = r[pair[round][2 * i + 1]];
			t[2 * i] = LLVMBuildShuffleVector(g->b, a, b, LLVMConstVector(ml, 8), "");
			t[2 * i + 1] = LLVMBuildShuffleVector(g->b, a, b, LLVMConstVector(mh, 8), "");
		}
		memcpy(r, t, sizeof t);
	}
}

/* Element (iy, x) of channel ch of the group's input, and where it is packed. */
static void copy_at(cg *g, const i8_emit *m, LLVMValueRef xg, LLVMValueRef ws, LLVMValueRef iy, LLVMValueRef ch,
		    LLVMValueRef x, LLVMValueRef *src, LLVMValueRef *dst)
{
	const i8_plan *p = m->p;
	LLVMValueRef s = LLVMBuildNSWAdd(g->b, i8_mul(g, LLVMBuildNSWAdd(g->b, i8_mul(g, ch, p->ih), iy, ""), p->iw),
					 x, "");
	LLVMValueRef pos = LLVMBuildNSWAdd(g->b, i8_mul(g, i8_add(g, iy, p->ph), p->PW), i8_add(g, x, p->pw), "");
	*src = i8_gep(g, g->t_i8, xg, s);
	*dst = i8_gep(g, i8_packed_type(g, m), ws, LLVMBuildNSWAdd(g->b, i8_mul(g, pos, p->Cp), ch, ""));
}

/* Channels [c0, c1) by columns [x0, x1) of row iy, element by element. */
static void copy_scalar(cg *g, const i8_emit *m, LLVMValueRef xg, LLVMValueRef ws, LLVMValueRef iy, int64_t c0,
			int64_t c1, int64_t x0, int64_t x1)
{
	if (c1 <= c0 || x1 <= x0)
		return;
	cg_loop lc, lx;
	LLVMValueRef ch = cg_fori(g, &lc, c0, c1, 1), x = cg_fori(g, &lx, x0, x1, 1), src, dst;
	copy_at(g, m, xg, ws, iy, ch, x, &src, &dst);
	i8_store(g, i8_pack_x(g, m, i8_load(g, g->t_i8, src)), dst);
	cg_endfor(g, &lx);
	cg_endfor(g, &lc);
}

/* 8 channels from ch by 8 columns from x of row iy: 8 rows of the input
** become 8 packed positions through one transpose. */
static void copy_block(cg *g, const i8_emit *m, LLVMValueRef xg, LLVMValueRef ws, LLVMValueRef iy, LLVMValueRef ch,
		       LLVMValueRef x)
{
	const i8_plan *p = m->p;
	LLVMValueRef r[8], src, dst;
	copy_at(g, m, xg, ws, iy, ch, x, &src, &dst);
	for (int i = 0; i < 8; i++)
		r[i] = i8_pack_x(g, m, i8_load(g, LLVMVectorType(g->t_i8, 8), i8_gepc(g, g->t_i8, src, i * p->ih * p->iw)));
	transpose8(g, r);
	for (int j = 0; j < 8; j++)
		i8_store(g, r[j], i8_gepc(g, i8_packed_type(g, m), dst, j * p->Cp));
}

/* Group gi's input (channels from xg on, of batch b) into the packed
** layout at ws: position (iy, ix) of the padded input holds Cp channels. */
static void conv_pack(cg *g, const i8_emit *m, LLVMValueRef xg, LLVMValueRef ws)
{
	const i8_plan *p = m->p;
	int64_t rows = p->ih < p->PH - p->ph ? p->ih : p->PH - p->ph;
	int64_t cols = p->iw < p->PW - p->pw ? p->iw : p->PW - p->pw;
	conv_clear(g, m, ws, rows, cols);
	if (rows <= 0 || cols <= 0)
		return;
	int64_t cb = p->geo.cg / 8 * 8, xb = cols / 8 * 8;
	cg_loop ly, lc, lx;
	LLVMValueRef iy = cg_fori(g, &ly, 0, rows, 1);
	if (cb > 0 && xb > 0) {
		LLVMValueRef ch = cg_fori(g, &lc, 0, cb, 8), x = cg_fori(g, &lx, 0, xb, 8);
		copy_block(g, m, xg, ws, iy, ch, x);
		cg_endfor(g, &lx);
		cg_endfor(g, &lc);
	}
	copy_scalar(g, m, xg, ws, iy, 0, cb, xb, cols);
	copy_scalar(g, m, xg, ws, iy, cb, p->geo.cg, 0, cols);
	cg_endfor(g, &ly);
}


LLVMValueRef i8_centered(cg *g, const i8_emit *m, LLVMValueRef p)
{
	LLVMValueRef v = LLVMBuildSExt(g->b, i8_load(g, i8_packed_type(g, m), p), g->t_i32, "");
	return LLVMBuildSub(g->b, v, cg_i32(g, m->fill), "");
}

/* colsum[r] = sum over output pixel r's window of x - z_x: per position
** first (sums over channels, into s), then over the taps. */
static void conv_colsum(cg *g, const i8_emit *m, LLVMValueRef ws, LLVMValueRef s, LLVMValueRef cs)
{
	const i8_plan *p = m->p;
	LLVMTypeRef et = i8_packed_type(g, m);
	cg_loop lp, lc, lr, ly, lx;
	LLVMValueRef pos = cg_fori(g, &lp, 0, p->PH * p->PW, 1);
	LLVMValueRef acc = cg_var(g, g->t_i32, "cs");
	LLVMBuildStore(g->b, cg_i32(g, 0), acc);
	LLVMValueRef c = cg_fori(g, &lc, 0, p->Cp, 1);
	LLVMValueRef v = i8_centered(g, m, i8_gep(g, et, ws, LLVMBuildNSWAdd(g->b, i8_mul(g, pos, p->Cp), c, "")));
	LLVMBuildStore(g->b, LLVMBuildAdd(g->b, LLVMBuildLoad2(g->b, g->t_i32, acc, ""), v, ""), acc);
	cg_endfor(g, &lc);
	LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, g->t_i32, acc, ""), i8_gep(g, g->t_i32, s, pos));
	cg_endfor(g, &lp);
	LLVMValueRef r = cg_fori(g, &lr, 0, p->oh * p->ow, 1);
	LLVMValueRef oy = LLVMBuildUDiv(g->b, r, cg_i64(g, p->ow), ""), ox = LLVMBuildURem(g->b, r, cg_i64(g, p->ow), "");
	LLVMValueRef base = LLVMBuildNSWAdd(g->b, i8_mul(g, oy, p->sh * p->PW), i8_mul(g, ox, p->sw), "");
	LLVMBuildStore(g->b, cg_i32(g, 0), acc);
	LLVMValueRef ky = cg_fori(g, &ly, 0, p->kh, 1), kx = cg_fori(g, &lx, 0, p->kw, 1);
	LLVMValueRef at = LLVMBuildNSWAdd(g->b, base, LLVMBuildNSWAdd(g->b, i8_mul(g, ky, p->dh * p->PW),
								       i8_mul(g, kx, p->dw), ""), "");
	LLVMValueRef sv = LLVMBuildLoad2(g->b, g->t_i32, i8_gep(g, g->t_i32, s, at), "");
	LLVMBuildStore(g->b, LLVMBuildAdd(g->b, LLVMBuildLoad2(g->b, g->t_i32, acc, ""), sv, ""), acc);
	cg_endfor(g, &lx);
	cg_endfor(g, &ly);
	LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, g->t_i32, acc, ""), i8_gep(g, g->t_i32, cs, r));
	cg_endfor(g, &lr);
}

/* ---- convolution: the GEMM path ------------------------------------------------------------------------ */

/* The packed weights of every group (per bytes each) and the epilogue's
** tables. */
static i8_wts conv_weights(cg *g, i8_emit *m, int64_t *per)
{
	const i8_plan *p = m->p;
	const i8_cgeo *x = &p->geo;
	int64_t taps = p->kh * p->kw;
	int64_t *wsum = ir_alloc_array(g->c, (size_t)p->n + 1, sizeof *wsum);
	for (int64_t c = 0; c < p->n; c++) {
		wsum[c] = 0;
		for (int64_t j = 0; j < p->Cp * taps; j++)
			wsum[c] += conv_w_get(p, c / x->mg, j % taps, j / taps, c % x->mg);
	}
	i8_make_epi(g, m, wsum);
	i8_wts w = {i8_pack_weights(g, &m->t, x->group, taps, p->Cp, x->mg, conv_w_get, p, per), x->mg, 0};
	w.panel = *per / ((x->mg + m->t.nr - 1) / m->t.nr);
	return w;
}

/* The GEMM's rows: output pixels, each at its window's first position in
** the packed input. */
static i8_rows conv_rows(const i8_emit *m, LLVMValueRef ws)
{
	const i8_plan *p = m->p;
	i8_rows a = {ws, p->oh * p->ow, p->ow, p->sh * p->PW * p->Cp, p->sw * p->Cp, p->kh, p->kw,
		     p->dh * p->PW * p->Cp, p->dw * p->Cp, p->Cp / m->t.kg};
	if (a.rs == a.w * a.cs)
		a.w = a.n;                      /* rows are evenly spaced */
	if (p->dw == 1) {
		a.steps *= a.kw;                /* a kernel row is one run of kw * Cp elements */
		a.kw = 1;
		a.tx = 0;
	}
	return a;
}

static void conv_gemm(cg *g, i8_emit *m, const cg_buf *in, const cg_buf *out)
{
	const i8_plan *p = m->p;
	const i8_cgeo *x = &p->geo;
	int64_t per, P = p->oh * p->ow;
	i8_wts w = conv_weights(g, m, &per);
	LLVMValueRef ws = g->ws, s = NULL;
	if (p->colsum) {
		s = i8_gepc(g, g->t_i8, ws, i8_ws_bytes(p->PH * p->PW * p->Cp * I8_ESZ_BOUND));
		m->e.colsum = i8_gepc(g, g->t_i8, s, i8_ws_bytes(p->PH * p->PW * 4));
	}
	i8_rows a = conv_rows(m, ws);
	cg_loop lb, lg;
	LLVMValueRef bi = cg_fori(g, &lb, 0, x->batch, 1), gi = cg_fori(g, &lg, 0, x->group, 1);
	LLVMValueRef chan = LLVMBuildNSWAdd(g->b, i8_mul(g, bi, x->c), i8_mul(g, gi, x->cg), "");
	conv_pack(g, m, i8_gep(g, g->t_i8, in[0].ptr, i8_mul(g, chan, x->in_sz)), ws);
	if (p->colsum)
		conv_colsum(g, m, ws, s, m->e.colsum);
	i8_epi e = m->e;
	LLVMTypeRef yt = e.yt == IR_I32 ? g->t_i32 : g->t_i8;
	e.y = i8_gep(g, yt, out[0].ptr, i8_mul(g, bi, x->m * P));   /* channels counted from 0 */
	e.y_rs = 1;
	e.y_cs = P;
	i8_wts wg = w;
	wg.p = i8_gep(g, g->t_i8, w.p, i8_mul(g, gi, per));
	i8_gemm(g, &m->t, &a, &wg, &e, i8_mul(g, gi, x->mg));
	cg_endfor(g, &lg);
	cg_endfor(g, &lb);
}

/* ---- convolution: 1 x 1 with few input channels, swapped ----------------------------------------------- */

/*
** A 1 x 1 conv (stride 1, no padding, one group) over few input channels
** does few products per output, and the GEMM above then spends most of its
** time requantizing and storing: its vectors hold channels, so each
** channel's outputs leave 4 bytes at a time, spread over the output
** planes (and with few output channels a panel is half empty).  Swapped, the GEMM's rows are the output channels and its lanes
** pixels: a vector of sums is nr consecutive outputs of one channel (one
** rule, one contiguous store).  The weights become the broadcast operand,
** a constant table of i16 (x86 pmaddwd only, so twice their bytes: hence
** the bound on their number), and the activations the packed panels, as
** signed bytes x' (u8 x is stored as x - 128): panel j holds pixels [j nr,
** j nr + nr), step s the bytes of input channels 2s and 2s + 1
** interleaved.  sum (x - z_x) W = sum x' W - z_x' sum W, in the bias.
*/
#define I8_SWAP_MAX_WEIGHTS 8192

/* Workspace bytes of the panels, or -1 when the swapped form does not apply. */
static int64_t swap_bytes(const cg *g, const i8_emit *m)
{
	const i8_plan *p = m->p;
	const i8_cgeo *x = &p->geo;
	if ((m->t.isa != I8_AVX2 && m->t.isa != I8_SSE2) || p->kh != 1 || p->kw != 1 || p->sh != 1 ||
	    p->sw != 1 || p->ph != 0 || p->pw != 0 || x->group != 1 || p->colsum || x->cg * x->m > I8_SWAP_MAX_WEIGHTS ||
	    p->oh != p->ih || p->ow != p->iw)
		return -1;
	int64_t P = p->oh * p->ow, kp = (x->cg + 1) / 2 * 2, bytes = (P + m->t.nr - 1) / m->t.nr * m->t.nr * kp;
	return bytes <= g->ws_size ? bytes : -1;
}

/* The panels of pixels [j nr, j nr + n) of image xb (n < nr: a last
** partial panel, its other lanes 0). */
static void swap_pack(cg *g, const i8_emit *m, LLVMValueRef xb, LLVMValueRef ws, LLVMValueRef j, int64_t n)
{
	const i8_plan *p = m->p;
	int64_t P = p->oh * p->ow, nr = m->t.nr, steps = (p->geo.cg + 1) / 2, K = p->geo.cg;
	LLVMValueRef pan = i8_gep(g, g->t_i8, ws, i8_mul(g, j, steps * nr * 2)), at = i8_mul(g, j, nr), idx[64];
	LLVMTypeRef vb = LLVMVectorType(g->t_i8, (unsigned)nr);
	LLVMValueRef flip = i8_splat(g, LLVMConstInt(g->t_i8, p->xt == IR_U8 ? 0x80 : 0, 0), (int)nr);
	for (int64_t i = 0; i < nr; i++) {
		idx[2 * i] = cg_i32(g, (int)i);
		idx[2 * i + 1] = cg_i32(g, (int)(nr + i));
	}
	if (n < nr)
		cg_memset(g, pan, 0, steps * nr * 2);
	for (int64_t s = 0; s < steps; s++) {
		LLVMValueRef v[2];
		for (int u = 0; u < 2; u++) {
			int64_t k = 2 * s + u;
			LLVMValueRef src = i8_gep(g, g->t_i8, xb, i8_add(g, at, k * P));
			if (k >= K || n < nr) {
				v[u] = LLVMConstNull(vb);
				for (int64_t i = 0; k < K && i < n; i++)
					v[u] = LLVMBuildInsertElement(g->b, v[u], i8_load(g, g->t_i8, i8_gepc(g, g->t_i8, src, i)),
								      cg_i32(g, (int)i), "");
			} else {
				v[u] = i8_load(g, vb, src);
			}
			v[u] = LLVMBuildXor(g->b, v[u], flip, "");
		}
		LLVMValueRef both = LLVMBuildShuffleVector(g->b, v[0], v[1], LLVMConstVector(idx, (unsigned)(2 * nr)), "");
		i8_store(g, both, i8_gepc(g, g->t_i8, pan, s * nr * 2));
	}
}

/* The weights as the i16 table [channel][depth rounded to pairs], with
** their sums for the bias. */
static LLVMValueRef swap_weights(cg *g, i8_emit *m)
{
	const i8_plan *p = m->p;
	int64_t kp = (p->geo.cg + 1) / 2 * 2;
	int16_t *t = ir_alloc_array(g->c, (size_t)(p->n * kp) + 1, sizeof *t);
	int64_t *wsum = ir_alloc_array(g->c, (size_t)p->n + 1, sizeof *wsum);
	for (int64_t c = 0; c < p->n; c++) {
		wsum[c] = 0;
		for (int64_t d = 0; d < kp; d++) {
			t[c * kp + d] = conv_w_get(p, 0, 0, d, c);
			wsum[c] += t[c * kp + d];
		}
	}
	m->signed_x = true;
	i8_make_epi(g, m, wsum);
	return cg_const_bytes(g, t, p->n * kp * 2, "wsw");
}

static void conv_swapped(cg *g, i8_emit *m, const cg_buf *in, const cg_buf *out)
{
	const i8_plan *p = m->p;
	const i8_cgeo *x = &p->geo;
	int64_t P = p->oh * p->ow, nr = m->t.nr, kp = (x->cg + 1) / 2 * 2, full = P / nr;
	LLVMValueRef wt = swap_weights(g, m);
	cg_loop lb, lj;
	LLVMValueRef bi = cg_fori(g, &lb, 0, x->batch, 1);
	LLVMValueRef xb = i8_gep(g, g->t_i8, in[0].ptr, i8_mul(g, bi, x->c * P));
	if (full > 0) {
		swap_pack(g, m, xb, g->ws, cg_fori(g, &lj, 0, full, 1), nr);
		cg_endfor(g, &lj);
	}
	if (P % nr)
		swap_pack(g, m, xb, g->ws, cg_i64(g, full), P % nr);
	i8_rows a = {wt, p->n, p->n, 0, kp, 1, 1, 0, 0, kp / m->t.kg};
	i8_wts w = {g->ws, P, kp * nr};
	i8_epi e = m->e;
	LLVMTypeRef yt = e.yt == IR_I32 ? g->t_i32 : g->t_i8;
	e.y = i8_gep(g, yt, out[0].ptr, i8_mul(g, bi, x->m * P));
	e.y_rs = P;
	e.y_cs = 1;
	e.swap = true;
	i8_gemm(g, &m->t, &a, &w, &e, cg_i64(g, 0));
	cg_endfor(g, &lb);
}

/* ---- convolution: depthwise ------------------------------------------------------------------------------ */

/*
** On x86 (pmaddwd) two horizontally adjacent taps are one instruction: the
** pair (x[i], x[i+1]) of a row times (w[kx], w[kx+1]), a row's odd last
** tap paired with a zero weight.  With stride 2 the pairs of output o are
** adjacent in the plane (x[2o+kx], x[2o+kx+1]), so a load at 2*o0 + kx
** feeds vl outputs; with stride 1 a load at o0 + kx feeds the even
** outputs o0 + 2j and one at o0 + kx + 1 the odd ones, interleaved before
** the store.  Loads stay within the plane's row reach (dw plan).
*/
#define DW_PAIR_MAX_TAPS (I8_DW_MAX_TAPS + 7)

typedef struct dw_ctx {
	int vl;
	bool pairs;                     /* the pmaddwd form above */
	int64_t np;                     /* tap pairs per row */
	LLVMValueRef plane;             /* i16 [PH][PW] */
	LLVMValueRef w[I8_DW_MAX_TAPS]; /* the channel's weights, <vl x i32> splats */
	LLVMValueRef wp[DW_PAIR_MAX_TAPS]; /* pairs: <2vl x i16> splats of (w[kx], w[kx+1]) */
	LLVMValueRef ch;                /* output channel (i64) */
	LLVMValueRef y;                 /* the channel's output plane */
} dw_ctx;

/* vl i16 at p, p + s, ..., widened to i32 (the plane has room for whole vectors). */
static LLVMValueRef dw_load(cg *g, LLVMValueRef p, int64_t s, int vl)
{
	LLVMTypeRef v16 = LLVMVectorType(g->t_i16, (unsigned)vl), v32 = LLVMVectorType(g->t_i32, (unsigned)vl);
	LLVMValueRef v;
	if (s == 1) {
		v = i8_load(g, v16, p);
	} else if (s == 2) {
		LLVMValueRef two = i8_load(g, LLVMVectorType(g->t_i16, (unsigned)(2 * vl)), p), idx[32];
		for (int i = 0; i < vl; i++)
			idx[i] = cg_i32(g, 2 * i);
		v = LLVMBuildShuffleVector(g->b, two, LLVMGetPoison(LLVMTypeOf(two)),
					   LLVMConstVector(idx, (unsigned)vl), "");
	} else {
		v = LLVMGetPoison(v16);
		for (int i = 0; i < vl; i++)
			v = LLVMBuildInsertElement(g->b, v, i8_load(g, g->t_i16, i8_gepc(g, g->t_i16, p, i * s)),
						   cg_i32(g, i), "");
	}
	return LLVMBuildSExt(g->b, v, v32, "");
}

/* nvec vectors of output row oy from column ox0; the last has `last` lanes. */
static void dw_tile(cg *g, const i8_emit *m, const dw_ctx *d, LLVMValueRef oy, LLVMValueRef ox0, int nvec,
		    int last)
{
	const i8_plan *p = m->p;
	LLVMValueRef acc[4];
	LLVMValueRef row = LLVMBuildNSWAdd(g->b, i8_mul(g, oy, p->sh * p->PW), i8_mul(g, ox0, p->sw), "");
	LLVMValueRef base = i8_gep(g, g->t_i16, d->plane, row);
	for (int v = 0; v < nvec; v++)
		acc[v] = LLVMConstNull(LLVMVectorType(g->t_i32, (unsigned)d->vl));
	for (int64_t ky = 0; ky < p->kh; ky++)
		for (int64_t kx = 0; kx < p->kw; kx++)
			for (int v = 0; v < nvec; v++) {
				int64_t off = ky * p->dh * p->PW + kx * p->dw + (int64_t)v * d->vl * p->sw;
				LLVMValueRef xv = dw_load(g, i8_gepc(g, g->t_i16, base, off), p->sw, d->vl);
				acc[v] = LLVMBuildAdd(g->b, acc[v],
						      LLVMBuildMul(g->b, xv, d->w[ky * p->kw + kx], ""), "");
			}
	LLVMTypeRef yt = m->e.yt == IR_I32 ? g->t_i32 : g->t_i8;
	LLVMValueRef yrow = LLVMBuildNSWAdd(g->b, i8_mul(g, oy, p->ow), ox0, "");
	for (int v = 0; v < nvec; v++) {
		LLVMValueRef r = i8_epi_vec(g, &m->e, acc[v], NULL, d->ch, true);
		LLVMValueRef yp = i8_gep(g, yt, d->y, i8_add(g, yrow, (int64_t)v * d->vl));
		i8_store_lanes(g, r, m->e.yt, yp, 1, v == nvec - 1 ? last : d->vl);
	}
}

/* The pmaddwd sums of ng groups of outputs into acc, kernel row ky
** reading the plane from rows[ky] (the first output's first tap):
** stride 2, group v is outputs v*vl + j; stride 1, acc[2v] the even and
** acc[2v+1] the odd outputs of v*2vl + (0 .. 2vl). */
static void dw_pair_sums(cg *g, const i8_emit *m, const dw_ctx *d, const LLVMValueRef *rows, int ng,
			 LLVMValueRef *acc)
{
	const i8_plan *p = m->p;
	int vl = d->vl, na = p->sw == 1 ? 2 * ng : ng;
	LLVMTypeRef v16 = LLVMVectorType(g->t_i16, (unsigned)(2 * vl));
	for (int a = 0; a < na; a++)
		acc[a] = LLVMConstNull(LLVMVectorType(g->t_i32, (unsigned)vl));
	for (int64_t ky = 0; ky < p->kh; ky++)
		for (int64_t q = 0; q < d->np; q++)
			for (int a = 0; a < na; a++) {
				int64_t off = 2 * q + (p->sw == 1 ? (int64_t)(a / 2) * 2 * vl + a % 2 : (int64_t)a * 2 * vl);
				LLVMValueRef xv = i8_load(g, v16, i8_gepc(g, g->t_i16, rows[ky], off));
				acc[a] = LLVMBuildAdd(g->b, acc[a], i8_pmaddwd(g, &m->t, xv, d->wp[ky * d->np + q]), "");
			}
}

/* The ng groups' results (dw_pair_sums) as one vector of outputs in order. */
static LLVMValueRef dw_pair_result(cg *g, const i8_emit *m, const dw_ctx *d, const LLVMValueRef *acc, int v)
{
	LLVMValueRef idx[32];
	int vl = d->vl;
	if (m->p->sw != 1)
		return i8_epi_vec(g, &m->e, acc[v], NULL, d->ch, true);
	for (int j = 0; j < vl; j++) {
		idx[2 * j] = cg_i32(g, j);
		idx[2 * j + 1] = cg_i32(g, vl + j);
	}
	LLVMValueRef e = i8_epi_vec(g, &m->e, acc[2 * v], NULL, d->ch, true);
	LLVMValueRef o = i8_epi_vec(g, &m->e, acc[2 * v + 1], NULL, d->ch, true);
	return LLVMBuildShuffleVector(g->b, e, o, LLVMConstVector(idx, (unsigned)(2 * vl)), "");
}

/* ng groups of outputs of row oy from ox0 (see dw_pair_sums). */
static void dw_pair_tile(cg *g, const i8_emit *m, const dw_ctx *d, LLVMValueRef oy, LLVMValueRef ox0, int ng)
{
	const i8_plan *p = m->p;
	int vl = d->vl;
	LLVMValueRef acc[8], rows[I8_DW_MAX_TAPS];
	LLVMValueRef row = LLVMBuildNSWAdd(g->b, i8_mul(g, oy, p->sh * p->PW), i8_mul(g, ox0, p->sw), "");
	for (int64_t ky = 0; ky < p->kh; ky++)
		rows[ky] = i8_gep(g, g->t_i16, d->plane, i8_add(g, row, ky * p->dh * p->PW));
	dw_pair_sums(g, m, d, rows, ng, acc);
	LLVMTypeRef yt = m->e.yt == IR_I32 ? g->t_i32 : g->t_i8;
	LLVMValueRef yrow = LLVMBuildNSWAdd(g->b, i8_mul(g, oy, p->ow), ox0, "");
	for (int v = 0; v < ng; v++) {
		LLVMValueRef r = dw_pair_result(g, m, d, acc, v);
		int64_t at = (int64_t)v * (p->sw == 1 ? 2 * vl : vl);
		i8_store_lanes(g, r, m->e.yt, i8_gep(g, yt, d->y, i8_add(g, yrow, at)), 1,
			       (int)LLVMGetVectorSize(LLVMTypeOf(r)));
	}
}

/* Outputs [x0, ow) of row oy in tiles of up to 4 vectors (dw_tile). */
static void dw_row_rest(cg *g, const i8_emit *m, const dw_ctx *d, LLVMValueRef oy, int64_t x0)
{
	const i8_plan *p = m->p;
	int vl = d->vl;
	int64_t n = p->ow - x0, nvt = (n + vl - 1) / vl, nvx = nvt < 4 ? nvt : 4;
	if (n <= 0)
		return;
	int64_t tw = nvx * vl, full = n / tw, rem = n % tw;
	cg_loop lx;
	if (full > 0) {
		LLVMValueRef t = full > 1 ? cg_fori(g, &lx, 0, full, 1) : cg_i64(g, 0);
		dw_tile(g, m, d, oy, i8_add(g, i8_mul(g, t, tw), x0), (int)nvx, vl);
		if (full > 1)
			cg_endfor(g, &lx);
	}
	if (rem > 0) {
		int nv = (int)((rem + vl - 1) / vl);
		dw_tile(g, m, d, oy, cg_i64(g, x0 + full * tw), nv, (int)(rem - (int64_t)(nv - 1) * vl));
	}
}

/* Output channel d->ch from the plane: pair tiles where they apply, the
** rest of each row by dw_tile. */
static void dw_channel(cg *g, const i8_emit *m, const dw_ctx *d)
{
	const i8_plan *p = m->p;
	int64_t gw = p->sw == 1 ? 2 * d->vl : d->vl, maxg = p->sw == 1 ? 2 : 4;
	int64_t ng = d->pairs ? p->ow / gw : 0;
	ng = ng < maxg ? ng : maxg;
	int64_t full = ng > 0 ? p->ow / (ng * gw) : 0;
	cg_loop ly, lx;
	LLVMValueRef oy = cg_fori(g, &ly, 0, p->oh, 1);
	if (full > 0) {
		LLVMValueRef t = full > 1 ? cg_fori(g, &lx, 0, full, 1) : cg_i64(g, 0);
		dw_pair_tile(g, m, d, oy, i8_mul(g, t, ng * gw), (int)ng);
		if (full > 1)
			cg_endfor(g, &lx);
	}
	dw_row_rest(g, m, d, oy, full * ng * gw);
	cg_endfor(g, &ly);
}

/* The channel's tap pairs as <2vl x i16> splats of (w[kx], w[kx+1]), a
** row's odd last tap with 0, from the i16 tap table ([channel][tap]): two
** adjacent taps are one little-endian i32 (pairs exist on x86 only). */
static void dw_pair_weights(cg *g, const i8_emit *m, dw_ctx *d, LLVMValueRef tab)
{
	const i8_plan *p = m->p;
	LLVMTypeRef v16 = LLVMVectorType(g->t_i16, (unsigned)(2 * d->vl));
	LLVMValueRef base = i8_gep(g, g->t_i16, tab, i8_mul(g, d->ch, p->kh * p->kw));
	for (int64_t ky = 0; ky < p->kh; ky++)
		for (int64_t q = 0; q < d->np; q++) {
			LLVMValueRef at = i8_gepc(g, g->t_i16, base, ky * p->kw + 2 * q), w;
			if (2 * q + 1 < p->kw)
				w = i8_load(g, g->t_i32, at);
			else
				w = LLVMBuildZExt(g->b, i8_load(g, g->t_i16, at), g->t_i32, "");
			d->wp[ky * d->np + q] = LLVMBuildBitCast(g->b, i8_splat(g, w, d->vl), v16, "");
		}
}

/* The channel's single taps as <vl x i32> splats, from the i16 tap table. */
static void dw_tap_weights(cg *g, const i8_emit *m, dw_ctx *d, LLVMValueRef tab)
{
	const i8_plan *p = m->p;
	int64_t taps = p->kh * p->kw;
	for (int64_t t = 0; t < taps; t++) {
		LLVMValueRef wp = i8_gep(g, g->t_i16, tab, i8_add(g, i8_mul(g, d->ch, taps), t));
		d->w[t] = i8_splat(g, LLVMBuildSExt(g->b, i8_load(g, g->t_i16, wp), g->t_i32, ""), d->vl);
	}
}

/* Input channel xc into the plane's interior, minus the zero point. */
static void dw_fill(cg *g, const i8_emit *m, LLVMValueRef plane, LLVMValueRef xc)
{
	const i8_plan *p = m->p;
	int64_t rows = p->ih < p->PH - p->ph ? p->ih : p->PH - p->ph;
	int64_t cols = p->iw < p->PW - p->pw ? p->iw : p->PW - p->pw;
	if (rows <= 0 || cols <= 0)
		return;
	cg_loop ly, lx;
	LLVMValueRef iy = cg_fori(g, &ly, 0, rows, 1), ix = cg_fori(g, &lx, 0, cols, 1);
	LLVMValueRef v = i8_load(g, g->t_i8, i8_gep(g, g->t_i8, xc, LLVMBuildNSWAdd(g->b, i8_mul(g, iy, p->iw), ix, "")));
	LLVMValueRef at = LLVMBuildNSWAdd(g->b, i8_mul(g, i8_add(g, iy, p->ph), p->PW), i8_add(g, ix, p->pw), "");
	i8_emit wide = *m;
	wide.t.esz = 2;
	i8_store(g, i8_pack_x(g, &wide, v), i8_gep(g, g->t_i16, plane, at));
	cg_endfor(g, &lx);
	cg_endfor(g, &ly);
}

/* Input channel xc into the flat plane(s) (i8_dw_flat), minus the zero
** point: padded row r at row r (stride 1), or row r/2 of half-plane r%2. */
static void dw_flat_fill(cg *g, const i8_emit *m, const i8_dw_flat *f, LLVMValueRef plane, LLVMValueRef xc)
{
	const i8_plan *p = m->p;
	int64_t s = p->sw, ph = (p->oh - 1) * s + p->kh;
	int64_t rows = p->ih < ph - p->ph ? p->ih : ph - p->ph;
	int64_t cols = p->iw < f->pitch - p->pw ? p->iw : f->pitch - p->pw;
	if (rows <= 0 || cols <= 0)
		return;
	cg_loop ly, lx;
	LLVMValueRef iy = cg_fori(g, &ly, 0, rows, 1), r = i8_add(g, iy, p->ph), at;
	if (s == 1) {
		at = i8_mul(g, r, f->pitch);
	} else {
		LLVMValueRef two = cg_i64(g, 2);
		at = LLVMBuildNSWAdd(g->b, i8_mul(g, LLVMBuildURem(g->b, r, two, ""), f->plane),
				     i8_mul(g, LLVMBuildUDiv(g->b, r, two, ""), f->pitch), "");
	}
	at = i8_add(g, at, p->pw);
	LLVMValueRef ix = cg_fori(g, &lx, 0, cols, 1);
	LLVMValueRef v = i8_load(g, g->t_i8, i8_gep(g, g->t_i8, xc, LLVMBuildNSWAdd(g->b, i8_mul(g, iy, p->iw), ix, "")));
	i8_emit wide = *m;
	wide.t.esz = 2;
	i8_store(g, i8_pack_x(g, &wide, v), i8_gep(g, g->t_i16, plane, LLVMBuildNSWAdd(g->b, at, ix, "")));
	cg_endfor(g, &lx);
	cg_endfor(g, &ly);
}

/* Output channel d->ch in the flat form: every tile into the staging row,
** then its rows' first ow outputs to y. */
static void dw_flat_channel(cg *g, const i8_emit *m, const dw_ctx *d, const i8_dw_flat *f, LLVMValueRef stage)
{
	const i8_plan *p = m->p;
	int64_t gw = p->sw == 1 ? 2 * d->vl : d->vl, es = m->e.yt == IR_I32 ? 4 : 1;
	LLVMTypeRef yt = es == 4 ? g->t_i32 : g->t_i8;
	LLVMValueRef acc[8], rows[I8_DW_MAX_TAPS];
	cg_loop lt, ly;
	LLVMValueRef t = f->tiles > 1 ? cg_fori(g, &lt, 0, f->tiles, 1) : cg_i64(g, 0), q0 = i8_mul(g, t, f->tile);
	for (int64_t ky = 0; ky < p->kh; ky++) {
		LLVMValueRef off = p->sw == 1 ? i8_add(g, q0, ky * f->pitch)
					      : i8_add(g, i8_mul(g, q0, 2), ky % 2 * f->plane + ky / 2 * f->pitch);
		rows[ky] = i8_gep(g, g->t_i16, d->plane, off);
	}
	dw_pair_sums(g, m, d, rows, f->ng, acc);
	for (int v = 0; v < f->ng; v++) {
		LLVMValueRef r = dw_pair_result(g, m, d, acc, v);
		i8_store_lanes(g, r, m->e.yt, i8_gep(g, yt, stage, i8_add(g, q0, v * gw)), 1,
			       (int)LLVMGetVectorSize(LLVMTypeOf(r)));
	}
	if (f->tiles > 1)
		cg_endfor(g, &lt);
	LLVMValueRef oy = cg_fori(g, &ly, 0, p->oh, 1);
	cg_memcpy(g, i8_gep(g, g->t_i8, d->y, i8_mul(g, oy, p->ow * es)),
		  i8_gep(g, g->t_i8, stage, i8_mul(g, oy, f->q * es)), p->ow * es);
	cg_endfor(g, &ly);
}

/* The flat form (i8_dw_flat) of conv_depthwise: x86 tap pairs only. */
static void conv_dw_flat(cg *g, i8_emit *m, dw_ctx *d, const i8_dw_flat *f, const cg_buf *in, const cg_buf *out,
			 LLVMValueRef wtab)
{
	const i8_plan *p = m->p;
	const i8_cgeo *x = &p->geo;
	LLVMValueRef stage = i8_gep(g, g->t_i8, g->ws, cg_i64(g, i8_ws_bytes(f->plane * 2 * p->sw)));
	cg_memset(g, d->plane, 0, f->plane * 2 * p->sw);
	cg_loop lb, lc, lm;
	LLVMValueRef bi = cg_fori(g, &lb, 0, x->batch, 1), ci = cg_fori(g, &lc, 0, x->c, 1);
	LLVMValueRef img = LLVMBuildNSWAdd(g->b, i8_mul(g, bi, x->c), ci, "");
	dw_flat_fill(g, m, f, d->plane, i8_gep(g, g->t_i8, in[0].ptr, i8_mul(g, img, x->in_sz)));
	LLVMValueRef mm = x->mg > 1 ? cg_fori(g, &lm, 0, x->mg, 1) : cg_i64(g, 0);
	d->ch = LLVMBuildNSWAdd(g->b, i8_mul(g, ci, x->mg), mm, "");
	dw_pair_weights(g, m, d, wtab);
	LLVMTypeRef yt = m->e.yt == IR_I32 ? g->t_i32 : g->t_i8;
	d->y = i8_gep(g, yt, out[0].ptr, i8_mul(g, LLVMBuildNSWAdd(g->b, i8_mul(g, bi, x->m), d->ch, ""),
						 p->oh * p->ow));
	dw_flat_channel(g, m, d, f, stage);
	if (x->mg > 1)
		cg_endfor(g, &lm);
	cg_endfor(g, &lc);
	cg_endfor(g, &lb);
}

static void conv_depthwise(cg *g, i8_emit *m, const cg_buf *in, const cg_buf *out)
{
	const i8_plan *p = m->p;
	const i8_cgeo *x = &p->geo;
	int64_t taps = p->kh * p->kw, P = p->oh * p->ow;
	int16_t *wt = ir_alloc_array(g->c, (size_t)(p->n * taps) + 1, sizeof *wt);
	for (int64_t c = 0; c < p->n; c++)
		for (int64_t t = 0; t < taps; t++)
			wt[c * taps + t] = (int16_t)(i8_weight(p, c, t) - p->zw[c]);
	m->t.esz = 2;                       /* the plane is i16 on every target */
	m->t.nr = 1;
	i8_make_epi(g, m, NULL);
	dw_ctx d = {.plane = g->ws};
	d.vl = g->vec_bytes / 4 < 1 ? 1 : g->vec_bytes / 4 > 16 ? 16 : g->vec_bytes / 4;
	d.np = (p->kw + 1) / 2;
	bool pair_isa = (m->t.isa == I8_AVX2 || m->t.isa == I8_SSE2) && d.vl * 4 == (m->t.isa == I8_AVX2 ? 32 : 16) &&
			p->dw == 1 && (p->sw == 1 || p->sw == 2) && p->kh * d.np <= DW_PAIR_MAX_TAPS;
	d.pairs = pair_isa && p->ow >= (p->sw == 1 ? 2 * d.vl : d.vl);   /* a row holds a whole pair tile */
	i8_dw_flat f;
	bool flat = pair_isa && i8_dw_flat_geo(p, d.vl, &f) == 0 &&
		    g->ws_size >= i8_ws_bytes(f.plane * 2 * p->sw) + i8_ws_bytes(f.stage * 4);
	LLVMValueRef wtab = cg_const_bytes(g, wt, p->n * taps * 2, "wdw");
	if (flat) {
		conv_dw_flat(g, m, &d, &f, in, out, wtab);
		return;
	}
	cg_memset(g, d.plane, 0, p->PH * p->PW * 2);
	cg_loop lb, lc, lm;
	LLVMValueRef bi = cg_fori(g, &lb, 0, x->batch, 1), ci = cg_fori(g, &lc, 0, x->c, 1);
	dw_fill(g, m, d.plane, i8_gep(g, g->t_i8, in[0].ptr, i8_mul(g, LLVMBuildNSWAdd(g->b, i8_mul(g, bi, x->c), ci, ""),
									 x->in_sz)));
	LLVMValueRef mm = x->mg > 1 ? cg_fori(g, &lm, 0, x->mg, 1) : cg_i64(g, 0);
	d.ch = LLVMBuildNSWAdd(g->b, i8_mul(g, ci, x->mg), mm, "");
	dw_tap_weights(g, m, &d, wtab);
	if (d.pairs)
		dw_pair_weights(g, m, &d, wtab);
	LLVMTypeRef yt = m->e.yt == IR_I32 ? g->t_i32 : g->t_i8;
	d.y = i8_gep(g, yt, out[0].ptr, i8_mul(g, LLVMBuildNSWAdd(g->b, i8_mul(g, bi, x->m), d.ch, ""), P));
	dw_channel(g, m, &d);
	if (x->mg > 1)
		cg_endfor(g, &lm);
	cg_endfor(g, &lc);
	cg_endfor(g, &lb);
}

void i8_emit_conv(cg *g, i8_emit *m, const cg_buf *in, const cg_buf *out)
{
	if (m->p->depthwise)
		conv_depthwise(g, m, in, out);
	else if (swap_bytes(g, m) >= 0)
		conv_swapped(g, m, in, out);
	else
		conv_gemm(g, m, in, out);
}
