/*
** k_int8.h - the int8 kernels: the integer GEMM engine (k_int8.c), the
** plan of an op (k_int8_plan.c) and the emitters of convolutions
** (k_int8_conv.c) and matrix products (k_int8_mm.c), used by k_quant.c's
** integer ops and by cg_int8_linear (cg.h).  Internal to those files.
**
** Every product is Y[r][c] = epilogue(sum_k X[r][k] W[k][c]): r runs over
** rows of activations (output pixels of a conv, rows of a matmul), c over
** output channels.  The micro-kernel holds a tile of mr rows by nr
** channels of i32 sums in registers, the channels in vector lanes: each
** step loads nr channels' weights for kg consecutive k (packed at compile
** time in exactly that order, int8) and broadcasts kg activations of each
** row.  Per target (i8_tile_for):
**   x86-64 AVX2/SSE2  kg 2: activations as i16 pairs, weights sign-extended
**                     to i16, vpmaddwd then vpaddd (exact: no saturating
**                     vpmaddubsw);
**   AArch64 +dotprod  kg 4: signed bytes, sdot;
**   AArch64, RISC-V V and targets without vectors  kg 1: i16 activations,
**                     weights widened, multiply-accumulate into i32 (smlal
**                     on AArch64, vwmacc on RISC-V V).
** All sums are exact i32 arithmetic wrapping modulo 2^32, the
** interpreter's semantics of an integer sum stored to i32.
**
** Zero points.  The activations are packed with the zero point
** subtracted (i16 flavors: x - z_x, exact in [-255, 255], padding 0) or
** as signed bytes x' (sdot: u8 x is stored as x - 128, padding z_x'), and
** the weights as signed bytes w - o[c], o[c] = z_w[c] when every w - z_w[c]
** fits a byte, else 128 for u8 weights, 0 for i8 ones.  With r[c] = z_w[c]
** - o[c] (the residual weight zero point, almost always 0):
**   sum (x - z_x)(w - z_w) = sum X W - z_x' sum_k W[k][c] - r[c] sum_k (x - z_x)
** where X W is what the kernel sums and the z_x' term exists only for sdot.
** The per-channel terms fold into one i32 constant per channel (with the
** bias); the per-row column sums are computed at run time only when some
** r[c] is not 0 (the slower path).
*/
#ifndef CONDENSE_K_INT8_H
#define CONDENSE_K_INT8_H

#include "codegen/cg.h"

/* ---- the micro-kernel's shape per target ------------------------------------ */

typedef enum i8_isa {
	I8_WIDE,        /* generic IR, kg 1: smlal on AArch64, vwmacc on RISC-V V, scalar elsewhere */
	I8_SSE2,        /* x86-64 without AVX2: pmaddwd on 128 bits */
	I8_AVX2,        /* vpmaddwd on 256 bits */
	I8_DOT,         /* AArch64 with +dotprod: sdot */
	I8_NONE         /* no kernel (x86-64 without SSE2) */
} i8_isa;

typedef struct i8_tile {
	i8_isa isa;
	int kg;         /* depth per step (the packing group of k) */
	int vl;         /* i32 lanes (channels) per accumulator vector */
	int nv;         /* vectors per tile row */
	int nr;         /* channels per tile: nv * vl */
	int mr;         /* rows per tile */
	int esz;        /* bytes per packed activation: 2 (i16) or 1 (signed byte, I8_DOT) */
} i8_tile;

#define I8_MAX_MR 8
#define I8_MAX_NV 4

/* The tile for g's target (its triple, CPU, features and vector width);
** -1 when the int8 kernels cannot be compiled for it. */
int i8_tile_for(cg *g, i8_tile *t);

/* Bytes per packed activation the workspace is sized for: the planner
** knows the vector width but not the features (+dotprod), so it takes the
** larger flavor; the signed-byte kernel uses half. */
#define I8_ESZ_BOUND 2

/* ---- requantization ------------------------------------------------------------ */

/*
** One requantization rule for every integer kernel:
**     y = clamp(zero + floor((acc * M + 2^(S-1)) / 2^S), lo, hi)
** with an exact half before the floor rounded to even instead of up when
** ties_even.  QLinearConv and QLinearMatMul: the interpreter's double
** formula rne(fl64(fl64(acc * m) + zero)) equals it with ties_even for
** m = M 2^-S as i8_rq_qlinear derives it (the proof is in k_int8.c); the
** quantized Conv/Gemm/MatMul of docs/ir.md use M, S from ir/requant.h with
** ties up.  0 <= M < 2^31, 1 <= S <= 62.
*/
typedef struct i8_rq {
	int32_t mult, shift;
} i8_rq;

/* m (an f32 multiplier as QLinear* compute it) as M 2^-S: 0, or -1 when m
** is NaN, infinite, negative or below about 2^-20 (the scalar kernels of
** k_quant.c handle those). */
int i8_rq_qlinear(float m, i8_rq *r);

/* floor((acc * M + 2^(S-1)) / 2^S) + zero, a tie to even when asked: the
** value the emitted code computes before its final clamp (|acc| < 2^31). */
int64_t i8_rq_eval(const i8_rq *r, int32_t zero, bool ties_even, int64_t acc);

/* Whether an exact tie can occur below saturation for this rule (only
** when M has at most 10 significant bits). */
bool i8_rq_has_ties(const i8_rq *r);

/* Raise every shift of rq[0..n) to their maximum, scaling M to match
** (exact), when every M still fits 31 bits: true when they now share one
** shift. */
bool i8_rq_common_shift(i8_rq *rq, int64_t n);

/* The bound the kernel clamps sums to before requantizing, so that its
** 64-bit product and the 32-bit result cannot overflow: 0 when none is
** needed (every multiplier below 1/2), else B with |sum| >= B saturating
** every channel's 8-bit result; -1 when no such B exists (the
** multipliers of the channels are too far apart). */
int64_t i8_rq_acc_bound(const i8_rq *rq, int64_t n);

/* ---- the GEMM --------------------------------------------------------------------- */

/* The activations X: packed rows in the workspace, elements of t->esz
** bytes.  Row r's data start at element (r / w) * rs + (r % w) * cs; the k
** loop runs over taps (i, j) in [0, kh) x [0, kw), tap (i, j) adding i*ty
** + j*tx elements, and within a tap over steps of kg consecutive elements. */
typedef struct i8_rows {
	LLVMValueRef p;
	int64_t n;               /* rows */
	int64_t w, rs, cs;
	int64_t kh, kw, ty, tx;
	int64_t steps;           /* steps per tap */
} i8_rows;

/* The weights W: panels of nr channels, each [tap][step][nr][kg] bytes,
** zero padded (i8_pack_weights). */
typedef struct i8_wts {
	LLVMValueRef p;
	int64_t n;               /* channels */
	int64_t panel;           /* bytes per panel */
} i8_wts;

/*
** What becomes of each finished sum s(r, c), c counted from the first
** channel of the op (c0 + the channel within the product):
**     v = s + corr[c] - rz[c] * colsum[r]      (terms present when non-NULL)
** then v is stored as i32 (rq NULL), or clamped to +-acc_bound (when not
** 0), requantized with channel c's rule and stored as yt.  Element (r, c)
** of the product is y[r*y_rs + c*y_cs].  The per-channel tables are
** padded to whole panels.
*/
typedef struct i8_epi {
	LLVMValueRef corr, rz, colsum;     /* i32 tables (corr, rz per channel; colsum per row) */
	const i8_rq *rq;                   /* the rules, [channels] (compile time) */
	bool mult_uniform, shift_uniform;  /* one M, one S for every channel: rq[0]'s */
	LLVMValueRef rq_tab;               /* else i8_rq_tables: [mult][shift], rq_np each */
	int64_t rq_np;
	/* The high-word form (i8_rq_hi_word): every rule has S >= 33 and no
	** tie needs rounding to even.  hi_tab (when the rules differ) holds
	** M as i32 then S - 33 as bytes, rq_np each. */
	bool hi_word;
	LLVMValueRef hi_tab;
	int64_t acc_bound;
	int32_t zero, lo, hi;
	bool ties_even;
	LLVMValueRef y;
	int64_t y_rs, y_cs;
	ir_dtype yt;                       /* i32, or the 8-bit result type */
	/* The product is swapped: its rows are the channels (counted from
	** 0) and its lanes pixels, so a vector of sums is one channel. */
	bool swap;
} i8_epi;

/* Whether the high-word form applies to rq[0..n) (i8_epi.hi_word). */
bool i8_rq_hi_word(const i8_rq *rq, int64_t n, bool ties_even);

/* What the emitted high-word form computes for sum v (before the clamp);
** *sum is its last i32 intermediate (for tests: it must fit). */
int64_t i8_rq_hi_eval(const i8_rq *r, int32_t zero, int32_t v, int64_t *sum);

/* Its tables [M as i32][S - 33 as a byte], padded with harmless rules to np. */
LLVMValueRef i8_rq_hi_tables(cg *g, const i8_rq *rq, int64_t n, int64_t np);

/* The run-time tables of rq[0..n), padded with harmless rules to np. */
LLVMValueRef i8_rq_tables(cg *g, const i8_rq *rq, int64_t n, int64_t np);

/* The epilogue (before the store) of a vector of sums: lanes are channels
** c, c+1, ... of row r, or (one_channel) rows r, r+1, ... of channel c.
** r and c are i64 values, c counted as in i8_epi. */
LLVMValueRef i8_epi_vec(cg *g, const i8_epi *e, LLVMValueRef acc, LLVMValueRef r, LLVMValueRef c,
			bool one_channel);

/* Emit Y = epilogue(X W).  c0 (an i64 value) is the first channel of W
** within the per-channel tables of e (groups of a grouped conv). */
void i8_gemm(cg *g, const i8_tile *t, const i8_rows *a, const i8_wts *w, const i8_epi *e,
	     LLVMValueRef c0);

/*
** Pack nmat weight matrices (K = taps * depth rows per matrix by n
** channels; element (tap, d, c) of matrix q is get(ud, q, tap, d, c),
** already the signed byte to multiply) into panels: one constant global,
** matrix after matrix, *per bytes each.
*/
typedef int8_t i8_getw(const void *ud, int64_t q, int64_t tap, int64_t d, int64_t c);
LLVMValueRef i8_pack_weights(cg *g, const i8_tile *t, int64_t nmat, int64_t taps, int64_t depth,
			     int64_t n, i8_getw *get, const void *ud, int64_t *per);

/* ---- small IR helpers shared by k_int8*.c ---------------------------------------- */

LLVMValueRef i8_splat(cg *g, LLVMValueRef s, int n);
LLVMValueRef i8_gep(cg *g, LLVMTypeRef t, LLVMValueRef p, LLVMValueRef i);
LLVMValueRef i8_gepc(cg *g, LLVMTypeRef t, LLVMValueRef p, int64_t i);
LLVMValueRef i8_load(cg *g, LLVMTypeRef t, LLVMValueRef p);         /* align 1 */
void i8_store(cg *g, LLVMValueRef v, LLVMValueRef p);               /* align 1 */
LLVMValueRef i8_mul(cg *g, LLVMValueRef i, int64_t c);              /* i64 */
LLVMValueRef i8_add(cg *g, LLVMValueRef i, int64_t c);              /* i64 */

/* pmaddwd (t: I8_AVX2 or I8_SSE2) of <2vl x i16> x and w: <vl x i32>. */
LLVMValueRef i8_pmaddwd(cg *g, const i8_tile *t, LLVMValueRef x, LLVMValueRef w);

/* Store lanes [0, lanes) of an i32 vector v as elements of type dt (i32 or
** 8-bit) at p, p + stride, ... (stride in elements). */
void i8_store_lanes(cg *g, LLVMValueRef v, ir_dtype dt, LLVMValueRef p, int64_t stride, int lanes);

/* ---- conv geometry (k_quant.c) ------------------------------------------------------ */

/* A convolution over n spatial dims, as interp/k_conv.c's geometry. */
typedef struct i8_cgeo {
	int n;
	int64_t batch, c, m, group, cg, mg;
	int64_t in[IR_MAX_RANK], out[IR_MAX_RANK], k[IR_MAX_RANK];
	int64_t s[IR_MAX_RANK], d[IR_MAX_RANK], pb[IR_MAX_RANK];   /* strides, dilations, begin pads */
	int64_t in_sz, out_sz, k_sz;
	bool check[IR_MAX_RANK];        /* some tap of dim i may fall outside the input */
} i8_cgeo;

void i8_conv_geo(const ir_op *op, const ir_type *x, const ir_type *w, const ir_type *y, i8_cgeo *c);

/* ---- the plan of an op (k_int8_plan.c) ------------------------------------------------ */

/*
** What the fast kernels need to know about an op, from its types and
** constants: QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger, and
** Conv, MatMul and Gemm on quantized types (docs/ir.md, "Quantized
** arithmetic").  Every parameter is a compile-time constant here: the
** weights, the zero points, the bias and the requantization rules.
*/
typedef struct i8_plan {
	bool conv;                      /* a convolution, else a matrix product */
	bool requant;                   /* 8-bit result through the rules, else the i32 sums */
	ir_dtype xt;                    /* the activations: u8 or i8 */
	const ir_type *y;
	/* The weights: weight j (of depth) of channel ch is element ch*wcs +
	** j*wjs of w (u8 or i8). */
	const uint8_t *w;
	ir_dtype wt;
	int64_t n, depth, wcs, wjs;
	int32_t zx;                     /* x's zero point */
	int32_t *zw;                    /* [n] each channel's weight zero point */
	int64_t *bias;                  /* [n], or NULL */
	int32_t *wo;                    /* [n] the offset subtracted from packed weights */
	int32_t *rz;                    /* [n] the residual weight zero point, zw - wo */
	bool colsum;                    /* some rz is not 0 */
	i8_rq *rq;                      /* [n] when requant */
	bool mult_uniform, shift_uniform, ties_even;
	int64_t acc_bound;
	int32_t zero, lo, hi;           /* y's zero point and clamp */
	/* Convolutions: the geometry, seen in 2-D (1-D with height 1), and
	** the packed input: PH x PW positions of Cp channels. */
	i8_cgeo geo;
	bool depthwise;
	int64_t ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
	int64_t PH, PW, Cp;
	/* Matrix products: rows of depth k; element (r, k) of the activations
	** at r*ars + k*aks. */
	int64_t rows, k, ars, aks;
	int64_t ws;                     /* workspace bytes */
} i8_plan;

/* Depthwise kernels with more taps go through the GEMM path (a channel's
** weights are held in registers). */
#define I8_DW_MAX_TAPS 49

/*
** The flat depthwise form (k_int8_conv.c): the plane's rows follow one
** another without a gap, so output (oy, ox) is position q = oy*Q + ox of
** one long row and each tap a fixed offset from it.  Stride 1: the plane
** is PW = ow + kw - 1 wide and Q = PW.  Stride 2: padded rows go
** alternately to two half-planes of even width PW, Q = PW/2, and output q
** reads element 2q (the pair of taps 2kp, 2kp + 1 at 2q + 2kp) of
** half-plane ky % 2, row ky / 2.  Tiles of ng groups of outputs (2 vl for
** stride 1: even and odd outputs; vl for stride 2) run over q across the
** ends of rows; the outputs at ox >= ow are computed into a staging row
** and dropped when it is copied out.
*/
typedef struct i8_dw_flat {
	int64_t pitch, q;       /* PW and Q */
	int ng;                 /* groups per tile */
	int64_t tile, tiles;    /* outputs per tile, tiles per plane */
	int64_t plane;          /* i16 elements per (half-)plane, reads included */
	int64_t stage;          /* staging elements */
} i8_dw_flat;

/* The flat form's geometry for vectors of vl i32 lanes: 0, or -1 when it
** does not apply (dilation, unequal strides, strides other than 1, 2). */
int i8_dw_flat_geo(const i8_plan *p, int vl, i8_dw_flat *f);

/* The plan of op for vectors of vec_bytes (0: a bound over targets): 0,
** or -1 when the fast kernels do not apply. */
int i8_plan_of(const ir_graph *gr, const ir_op *op, int vec_bytes, i8_plan *p);

/* Element (ch, j) of the weights, and the value packed for it. */
int64_t i8_weight(const i8_plan *p, int64_t ch, int64_t j);

/* ---- emitters (k_int8_conv.c, k_int8_mm.c) ------------------------------------------------ */

typedef struct i8_emit {
	const i8_plan *p;
	i8_tile t;
	int32_t fill;                   /* the packed value of x = z_x: 0, or z_x' for signed bytes */
	bool signed_x;                  /* the products see x as signed bytes x' (as sdot does) */
	i8_epi e;
} i8_emit;

/* -1 when the target has no int8 kernels (i8_tile_for). */
int i8_emit_init(cg *g, const i8_plan *p, i8_emit *m);
/* The epilogue's tables; wsum[c] is the sum of channel c's packed
** weights (the signed-byte kernel's correction), NULL when unused. */
void i8_make_epi(cg *g, i8_emit *m, const int64_t *wsum);
/* The packed form (i16 x - z_x, or a signed byte) of x loaded as i8 (a
** scalar or a vector). */
LLVMValueRef i8_pack_x(cg *g, const i8_emit *m, LLVMValueRef v);
LLVMTypeRef i8_packed_type(cg *g, const i8_emit *m);
/* A packed element loaded as i32 minus the fill: its x - z_x. */
LLVMValueRef i8_centered(cg *g, const i8_emit *m, LLVMValueRef p);

void i8_emit_conv(cg *g, i8_emit *m, const cg_buf *in, const cg_buf *out);
void i8_emit_matmul(cg *g, i8_emit *m, const cg_buf *in, const cg_buf *out);

/* Workspace bytes rounded as the plan lays them out. */
int64_t i8_ws_bytes(int64_t b);

/* ---- entry points (k_int8_mm.c) ------------------------------------------------------------------ */

/* Returned by i8_try when the fast kernels do not apply, or the planner
** gave the op no workspace for them (the scalar kernels of k_quant.c then
** compile it). */
#define I8_DECLINE 1

/* QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger: 0, or
** I8_DECLINE.  (Quantized Conv, MatMul, Gemm: cg_int8_linear, cg.h.) */
int i8_try(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out);

#endif
