/*
** quantize.c - QDQ insertion: the int8 scheme of quantize.h applied to a
** float graph and its calibrated ranges.
**
** Roles.  Every op of the graph is one of
**   compute       an op with an int8 kernel: Conv, ConvTranspose, Gemm,
**                 MatMul, Add, AveragePool, GlobalAveragePool, Concat.  Its
**                 data operands (activations, and constants used as data,
**                 such as Add's) are read through DequantizeLinear; weights
**                 and bias become integer constants behind DequantizeLinear;
**                 its result gets its own Q -> DQ from its range;
**   pass-through  MaxPool, GlobalMaxPool, Reshape, Flatten, Transpose,
**                 Squeeze, Unsqueeze, Slice, Pad, Split, Identity, Relu,
**                 Clip, DepthToSpace, SpaceToDepth, when their operand 0 is
**                 quantized: they read its DQ and their results are
**                 quantized with the operand's scale and zero point, so an
**                 integer kernel moves the int8 unchanged (in the QDQ graph
**                 the Q after them is exact);
**   float         everything else, and the above when a condition fails (the
**                 reason goes to the statistics).  A float op reads the DQ of
**                 a quantized operand; its results are quantized only when
**                 a compute op consumes them.
**
** Formulas (f32 arithmetic unless said otherwise):
**   activation, per tensor, from its range [lo, hi]:
**     lo' = min(lo, 0), hi' = max(hi, 0)      (0 must be exact: padding, Relu)
**     s = fl32((hi' - lo') / 255), in double; below FLT_MIN (the range
**         [0, 0]) s = 1
**     z = clamp(nearbyint(-128 - lo' / s), -128, 127), in double, ties even
**   weights, per output channel c (or per tensor):
**     s_c = max|w_c| / 127; a channel whose s_c would be below FLT_MIN (all
**         zero) takes the tensor's scale, or 1 when the tensor is all zero:
**         any scale holds zeros exactly, and this one keeps the bias scale
**         and the requantization multiplier ordinary
**     nearest:    q = clamp(nearbyintf(w / s_c), -127, 127), the f32
**                 quotient rounded half to even, as QuantizeLinear does
**     stochastic: q = clamp(floor(w / s_c + u), -127, 127) in double, u
**                 uniform in [0, 1) from splitmix64 of (seed, the tensor's
**                 content hash, the element's index), so E[q] = w / s_c
**                 and the integers depend on nothing but those three
**   bias: s_b[c] = s_in * s_w[c], zero point 0,
**     q = clamp(nearbyint(b / s_b[c]), -(2^31 - 1), 2^31 - 1) in double
**     (clamped entries are counted); the input's zero point is not folded
**     in here: that is quant-fold's job
**   a constant data operand: the activation rule with [lo, hi] its min and
**     max, quantized as QuantizeLinear would.
** Weight axes: Conv [M, C/g, k...] 0; ConvTranspose [C, M/g, k...] 1 when
** group is 1, else per tensor (dim 1 is then not the output channel);
** Gemm B 0 with transB ([N, K]), 1 without ([K, N]); MatMul's constant B
** [..., K, N] its last axis, a 1-D B per tensor.
**
** Decisions:
**  - Concat's result has its own range; its operands keep theirs and the
**    integer kernel requantizes each (ir/requant.h).
**  - Standalone Relu and Clip pass through: a clamp of the stored integers
**    is exact, and quant-fold expects their operand and result to share
**    parameters.  After fuse-activation most of them are fused anyway.
**  - Mul, Sub and the rest have no int8 kernel and stay float.
**  - A fused LeakyRelu has no integer form (ir/requant.h): the op stays
**    float.  So does a Gemm with alpha or beta other than 1, as the bias
**    convention assumes both are 1.
**  - A missing range is an error, not a quiet fallback to float: a ranges
**    file that lacks a needed value is stale or mis-edited, and a layer
**    left float without a word would hide it.
**  - Graph inputs and outputs stay float.  A value produced by a quantized
**    op exists only as int8 in the integer program, so every consumer reads
**    its DQ, float ops and graph outputs included.  A value produced in
**    float (a graph input, a float op's result) is read through its DQ only
**    by quantized ops; float consumers keep the exact value.
**  - One Q per value, shared by all its consumers; a weight shared by two
**    ops is quantized once (and its bytes counted once).
**
** The pass plans first, without touching the graph (every error is found
** there), then appends the new ops with an order key each and sorts the op
** list once: new constants first, a graph input's Q/DQ next, weight DQs
** just before their op, a result's Q/DQ just after its op.
*/
#include "passes/quantize.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/util.h"

#define W_QMAX 127              /* weights are int8 in [-W_QMAX, W_QMAX] */
#define A_QMIN (-128)           /* activations are int8 in [A_QMIN, A_QMAX] */
#define A_QMAX 127
#define BIAS_QMAX 2147483647.0  /* bias is int32 in [-BIAS_QMAX, BIAS_QMAX] */
#define LABEL_MAX (IR_MAX_NAME_LEN + 16)

typedef enum qcls { CLS_FLOAT, CLS_COMPUTE, CLS_PASS } qcls;
typedef enum qrole { ROLE_NONE, ROLE_ACT, ROLE_WEIGHT, ROLE_BIAS } qrole;

/* Where a new op goes: original op i sorts as (i, 0); major -2 is the front
** (constants), -1 the graph inputs' Q/DQ; before is true for ops placed
** just before op major (weight DQs), false for just after (a result's Q/DQ). */
typedef struct qplace {
	int64_t major;
	bool before;
} qplace;

typedef struct qkey {
	int64_t major, minor;
	ir_op *op;
} qkey;

/* A quantized weight, kept for a second op sharing it. */
typedef struct qweight {
	ir_val dq;
	int32_t axis, n;        /* axis -1: per tensor, n == 1 */
	const float *scale;
	double sqnr, pred;
} qweight;

typedef struct qz {
	ir_graph *g;
	const quant_ranges *r;
	quant_options o;
	quant_stats *st;
	uint32_t n_vals0, n_ops0;       /* the graph before the rewrite */
	uint32_t *num;                  /* printed numbers of unnamed values */
	uint8_t *cls;                   /* per original op: qcls */
	const char **why;               /* per original op: why it stays float */
	/* per original value */
	bool *has;                      /* quantized per tensor with s, z */
	float *s;
	int32_t *z;
	bool *need;                     /* a data operand of a compute op */
	bool *produced;                 /* the result of a quantized op: every use reads dq */
	bool *touched;                  /* a constant replaced by an integer one */
	ir_val *dq;                     /* the DequantizeLinear result standing for it */
	qweight **wq;                   /* quantized weight, when it is one */
	/* order keys of the new ops: keys[j] for op n_ops0 + j */
	qkey *keys;
	uint32_t cap_keys;
	int64_t seq;
	const char **names;             /* open-addressing set of value names */
	uint32_t cap_names, n_names;
} qz;

/* ---- rounding and parameters ---------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

/* Element i's uniform in [0, 1): splitmix64's i-th output for the stream,
** 53 bits. */
static double uniform01(uint64_t stream, int64_t i)
{
	uint64_t h = mix64(stream + (uint64_t)i * 0x9e3779b97f4a7c15u);
	return (double)(h >> 11) * 0x1p-53;
}

static int32_t round_weight(const qz *z, float w, float s, uint64_t stream, int64_t i)
{
	double q;
	if (z->o.rounding == QUANT_ROUND_STOCHASTIC)
		q = floor((double)w / (double)s + uniform01(stream, i));
	else
		q = nearbyintf(w / s);
	return q < -W_QMAX ? -W_QMAX : q > W_QMAX ? W_QMAX : (int32_t)q;
}

/* Scale and zero point of an activation with range [lo, hi]. */
static void act_params(double lo, double hi, float *s, int32_t *zp)
{
	lo = lo < 0 ? lo : 0;
	hi = hi > 0 ? hi : 0;
	float sc = (float)((hi - lo) / 255.0);
	if (!(sc >= FLT_MIN))
		sc = 1.0f;
	double zz = nearbyint(A_QMIN - lo / sc);
	*s = sc;
	*zp = zz < A_QMIN ? A_QMIN : zz > A_QMAX ? A_QMAX : (int32_t)zz;
}

/* QuantizeLinear of v to int8: f32 quotient, half to even, saturated. */
static int8_t quantize_act(float v, float s, int32_t zp)
{
	float r = nearbyintf(v / s);
	double q = (isnan(r) ? 0.0 : (double)r) + zp;
	return (int8_t)(q < A_QMIN ? A_QMIN : q > A_QMAX ? A_QMAX : q);
}

/* ---- small helpers -------------------------------------------------------- */

static const float *const_f32(const ir_graph *g, ir_val v, int64_t *n)
{
	const ir_blob *b = v != IR_NOVAL ? ir_const_of(g, v) : NULL;
	if (!b || ir_type_of(g, v)->dtype != IR_F32)
		return NULL;
	*n = b->size / 4;
	return (const float *)b->data;
}

static bool all_finite(const float *d, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		if (!isfinite(d[i]))
			return false;
	return true;
}

static int64_t numel_of(const ir_type *t)
{
	int64_t n = 0;
	return ir_type_numel(t, &n) == 0 ? n : 0;
}

/* "'Conv' op \"name\"" or "'Conv' op", for messages. */
static const char *op_desc(const ir_op *op, char *buf, size_t n)
{
	if (op->name)
		snprintf(buf, n, "'%s' op \"%s\"", ir_op_name(op->kind), op->name);
	else
		snprintf(buf, n, "'%s' op", ir_op_name(op->kind));
	return buf;
}

/* ---- value names ------------------------------------------------------------ */

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* The slot of s in the name set: where it is, or the empty slot for it. */
static const char **name_slot(const char **tab, uint32_t cap, const char *s)
{
	uint32_t mask = cap - 1;
	for (uint32_t i = str_hash(s) & mask;; i = (i + 1) & mask)
		if (!tab[i] || strcmp(tab[i], s) == 0)
			return &tab[i];
}

/* Add s (arena-owned) to the set, which stays at most half full. */
static void name_add(qz *z, const char *s)
{
	if (2 * (z->n_names + 1) > z->cap_names) {
		uint32_t cap = z->cap_names ? z->cap_names * 2 : 256;
		const char **tab = ir_alloc_array(z->g->ctx, cap, sizeof *tab);
		for (uint32_t i = 0; i < z->cap_names; i++)
			if (z->names[i])
				*name_slot(tab, cap, z->names[i]) = z->names[i];
		z->names = tab;
		z->cap_names = cap;
	}
	const char **e = name_slot(z->names, z->cap_names, s);
	z->n_names += *e == NULL;
	*e = s;
}

static bool name_taken(const qz *z, const char *s)
{
	return z->cap_names && *name_slot(z->names, z->cap_names, s) != NULL;
}

static void names_init(qz *z)
{
	for (ir_val v = 1; v < z->g->n_vals; v++)
		if (z->g->vals[v].name)
			name_add(z, z->g->vals[v].name);
}

/* base's name plus suffix, made unique ("x.q", else "x.q.1", ...); NULL
** (an unnamed value) when base has no name. */
static const char *fresh_name(qz *z, ir_val base, const char *suffix)
{
	const char *b = base < z->g->n_vals ? z->g->vals[base].name : NULL;
	char buf[IR_MAX_NAME_LEN + 1];
	if (!b || strlen(b) + 16 > IR_MAX_NAME_LEN)
		return NULL;
	for (int k = 0; k < 1000; k++) {
		if (k == 0)
			snprintf(buf, sizeof buf, "%s%s", b, suffix);
		else
			snprintf(buf, sizeof buf, "%s%s.%d", b, suffix, k);
		if (!name_taken(z, buf)) {
			const char *n = ir_strdup(z->g->ctx, buf);
			name_add(z, n);
			return n;
		}
	}
	return NULL;
}

/* ---- building new ops ------------------------------------------------------- */

/* Append an op with one result of type t (named after base), and record
** where it goes. */
static ir_op *new_op(qz *z, qplace at, ir_opkind k, const ir_val *in, int32_t n_in, const ir_type *t,
		     ir_val base, const char *suffix, ir_loc loc)
{
	ir_graph *g = z->g;
	const char *name = fresh_name(z, base, suffix);
	ir_op *op = ir_op_append(g, k, in, n_in, t, 1);
	op->loc = loc;
	g->vals[op->out[0]].name = name;
	uint32_t j = g->n_ops - 1 - z->n_ops0;
	if (j >= z->cap_keys) {
		uint32_t cap = z->cap_keys ? z->cap_keys * 2 : 64;
		qkey *nk = ir_alloc_array(g->ctx, cap, sizeof *nk);
		if (j)
			memcpy(nk, z->keys, (size_t)j * sizeof *nk);
		z->keys = nk;
		z->cap_keys = cap;
	}
	z->seq++;
	z->keys[j] = (qkey){at.major, at.before ? z->seq - ((int64_t)1 << 40) : z->seq, op};
	return op;
}

static ir_val new_const(qz *z, const ir_type *t, const void *data, int64_t size, ir_val base,
			const char *suffix)
{
	ir_op *op = new_op(z, (qplace){-2, false}, IR_OP_CONST, NULL, 0, t, base, suffix, (ir_loc){0});
	op->blob = ir_blob_intern(z->g, data, size);
	return op->out[0];
}

/* Scale and zero-point constants: n entries (a scalar when n is 0). */
static void param_consts(qz *z, const float *s, const void *zp, ir_dtype zt, int64_t n, ir_val base,
			 ir_val *sv, ir_val *zv)
{
	ir_type st = {.dtype = IR_F32, .rank = n ? 1 : 0, .dims = {n}};
	ir_type ztype = st;
	ztype.dtype = zt;
	int64_t cnt = n ? n : 1;
	*sv = new_const(z, &st, s, cnt * 4, base, ".scale");
	*zv = new_const(z, &ztype, zp, cnt * (ir_dtype_bits(zt) / 8), base, ".zero");
}

/* DequantizeLinear of q with the given parameters, giving float type ft. */
static ir_val new_dq(qz *z, qplace at, ir_val q, ir_val sv, ir_val zv, int32_t axis, const ir_type *ft,
		     ir_val base, ir_loc loc)
{
	ir_type t = *ft;
	t.dtype = IR_F32;
	t.quant = NULL;
	ir_op *d = new_op(z, at, IR_OP_DEQUANTIZE, (ir_val[]){q, sv, zv}, 3, &t, base, ".dq", loc);
	if (axis >= 0)
		ir_op_set_int(z->g, d, "axis", axis);
	return d->out[0];
}

/* ---- planning --------------------------------------------------------------- */

static bool is_compute(ir_opkind k)
{
	switch (k) {
	case IR_OP_CONV: case IR_OP_CONVTRANSPOSE: case IR_OP_GEMM: case IR_OP_MATMUL:
	case IR_OP_ADD: case IR_OP_AVGPOOL: case IR_OP_GLOBALAVGPOOL: case IR_OP_CONCAT:
		return true;
	default:
		return false;
	}
}

static bool is_pass(ir_opkind k)
{
	switch (k) {
	case IR_OP_MAXPOOL: case IR_OP_GLOBALMAXPOOL: case IR_OP_RESHAPE: case IR_OP_FLATTEN:
	case IR_OP_TRANSPOSE: case IR_OP_SQUEEZE: case IR_OP_UNSQUEEZE: case IR_OP_SLICE:
	case IR_OP_PAD: case IR_OP_SPLIT: case IR_OP_IDENTITY: case IR_OP_RELU: case IR_OP_CLIP:
	case IR_OP_DEPTHTOSPACE: case IR_OP_SPACETODEPTH:
		return true;
	default:
		return false;
	}
}

static bool is_quant_op(ir_opkind k)
{
	switch (k) {
	case IR_OP_QUANTIZE: case IR_OP_DEQUANTIZE: case IR_OP_DYNQUANTIZE: case IR_OP_QLINEARCONV:
	case IR_OP_QLINEARMATMUL: case IR_OP_CONVINTEGER: case IR_OP_MATMULINTEGER:
		return true;
	default:
		return false;
	}
}

/* What operand k of compute op op is (decided on the original graph). */
static qrole role_of(const ir_graph *g, const ir_op *op, int k)
{
	if (op->in[k] == IR_NOVAL)
		return ROLE_NONE;
	switch (op->kind) {
	case IR_OP_CONV: case IR_OP_CONVTRANSPOSE:
		return k == 0 ? ROLE_ACT : k == 1 ? ROLE_WEIGHT : ROLE_BIAS;
	case IR_OP_GEMM:
		if (k == 2)
			return ROLE_BIAS;
		return k == 1 && ir_const_of(g, op->in[1]) ? ROLE_WEIGHT : ROLE_ACT;
	case IR_OP_MATMUL:
		return k == 1 && ir_const_of(g, op->in[1]) ? ROLE_WEIGHT : ROLE_ACT;
	default:
		return ROLE_ACT;
	}
}

/* Output channels of a compute op with weights: dim 1 of its result. */
static int64_t out_channels(const ir_graph *g, const ir_op *op)
{
	const ir_type *y = ir_type_of(g, op->out[0]);
	return op->kind == IR_OP_MATMUL ? y->dims[y->rank - 1] : y->dims[1];
}

/* A bias that becomes one int32 per output channel: Conv's [M]; Gemm's C
** as [N], [1, N] or a single value. */
static bool bias_shape_ok(const ir_graph *g, const ir_op *op, const ir_type *b)
{
	int64_t n = out_channels(g, op), cnt = numel_of(b);
	if (op->kind != IR_OP_GEMM)
		return b->rank == 1 && b->dims[0] == n;
	return cnt == 1 || (cnt == n && (b->rank == 1 || (b->rank == 2 && b->dims[0] == 1)));
}

/* Why operand k keeps compute op op in float, or NULL. */
static const char *operand_problem(const ir_graph *g, const ir_op *op, int k)
{
	qrole r = role_of(g, op, k);
	ir_val v = op->in[k];
	if (r == ROLE_NONE)
		return NULL;
	if (ir_type_of(g, v)->dtype != IR_F32)
		return "an operand is not f32";
	int64_t n = 0;
	const float *d = const_f32(g, v, &n);
	if (!d && r == ROLE_WEIGHT)
		return "weights are not constant";
	if (!d && r == ROLE_BIAS)
		return "bias is not constant";
	if (d && g->vals[v].def->mask)
		return "a constant operand has a sparsity mask";
	if (d && !all_finite(d, n))
		return "a constant operand is not finite";
	if (r == ROLE_BIAS && !bias_shape_ok(g, op, ir_type_of(g, v)))
		return "bias is not one value per output channel";
	return NULL;
}

static const char *compute_problem(const ir_graph *g, const ir_op *op)
{
	ir_activation a;
	if (op->n_out != 1 || ir_type_of(g, op->out[0])->dtype != IR_F32)
		return "result is not f32";
	if (ir_op_activation(op, &a) < 0 || a.kind == IR_ACT_LEAKYRELU)
		return "fused LeakyRelu has no int8 form";
	if (op->kind == IR_OP_GEMM && (ir_op_float(op, "alpha", 1) != 1 || ir_op_float(op, "beta", 1) != 1))
		return "Gemm alpha or beta is not 1";
	for (int k = 0; k < op->n_in; k++) {
		const char *p = operand_problem(g, op, k);
		if (p)
			return p;
	}
	return NULL;
}

/* Refuse a graph that is already quantized. */
static int check_float_graph(qz *z)
{
	ir_graph *g = z->g;
	char d[LABEL_MAX];
	if (z->r->n_vals != g->n_vals)
		return ir_error(g->ctx, g->loc, "quantize: the ranges were read for a different graph "
				"(%u values; the graph has %u)", (unsigned)z->r->n_vals, (unsigned)g->n_vals);
	for (uint32_t i = 0; i < g->n_ops; i++) {
		const ir_op *op = g->ops[i];
		bool q = is_quant_op(op->kind);
		for (int32_t k = 0; k < op->n_out; k++)
			q |= g->vals[op->out[k]].type.quant != NULL;
		if (q)
			return ir_error(g->ctx, op->loc, "quantize: the graph is already quantized (%s); "
					"quantize a float graph", op_desc(op, d, sizeof d));
	}
	for (uint32_t i = 0; i < g->n_inputs; i++)
		if (g->vals[g->inputs[i]].type.quant)
			return ir_error(g->ctx, g->vals[g->inputs[i]].loc,
					"quantize: the graph is already quantized (a quantized input)");
	return 0;
}

static void classify(qz *z)
{
	ir_graph *g = z->g;
	for (uint32_t i = 0; i < z->n_ops0; i++) {
		const ir_op *op = g->ops[i];
		z->cls[i] = CLS_FLOAT;
		if (op->kind == IR_OP_CONST)
			continue;
		if (is_compute(op->kind)) {
			z->why[i] = compute_problem(g, op);
			z->cls[i] = z->why[i] ? CLS_FLOAT : CLS_COMPUTE;
		} else if (is_pass(op->kind)) {
			z->cls[i] = CLS_PASS;       /* confirmed by plan_pass */
		} else {
			z->why[i] = "no int8 kernel";
		}
		for (int k = 0; z->cls[i] == CLS_COMPUTE && k < op->n_in; k++)
			if (role_of(g, op, k) == ROLE_ACT)
				z->need[op->in[k]] = true;
	}
}

static void set_params(qz *z, ir_val v, float s, int32_t zp)
{
	z->has[v] = true;
	z->s[v] = s;
	z->z[v] = zp;
}

/* v's range as the parameters; -1 with a diagnostic naming v and op when
** it has none.  v is operand k of op, or its result when k < 0. */
static int params_from_range(qz *z, ir_val v, const ir_op *op, int k)
{
	char label[LABEL_MAX], d[LABEL_MAX], what[32];
	float s;
	int32_t zp;
	if (v >= z->r->n_vals || !z->r->has[v]) {
		ir_value_label(z->g, z->num, v, label, sizeof label);
		if (k < 0)
			snprintf(what, sizeof what, "the result of");
		else
			snprintf(what, sizeof what, "operand %d of", k);
		return ir_error(z->g->ctx, op->loc, "quantize: value %s (%s %s) has no range; calibrate it or "
				"add it to the ranges file", label, what, op_desc(op, d, sizeof d));
	}
	act_params(z->r->r[v].lo, z->r->r[v].hi, &s, &zp);
	set_params(z, v, s, zp);
	return 0;
}

/* Parameters for data operand k of compute op op. */
static int plan_operand(qz *z, const ir_op *op, int k)
{
	ir_val v = op->in[k];
	int64_t n = 0;
	const float *d = const_f32(z->g, v, &n);
	float s;
	int32_t zp;
	if (z->has[v])
		return 0;
	if (!d)
		return params_from_range(z, v, op, k);
	double lo = 0, hi = 0;
	for (int64_t i = 0; i < n; i++) {
		lo = d[i] < lo ? d[i] : lo;
		hi = d[i] > hi ? d[i] : hi;
	}
	act_params(lo, hi, &s, &zp);
	set_params(z, v, s, zp);
	return 0;
}

/* Pad's constant value must be an exact int8 at the operand's parameters. */
static bool pad_ok(const qz *z, const ir_op *op, float s, int32_t zp)
{
	int64_t n = 0;
	const char *mode = ir_op_str(op, "mode", "constant");
	if (op->kind != IR_OP_PAD || strcmp(mode, "constant") != 0 || op->n_in < 2 || op->in[1] == IR_NOVAL)
		return true;
	const float *d = const_f32(z->g, op->in[1], &n);
	if (!d || n != 1)
		return false;
	int8_t q = quantize_act(d[0], s, zp);
	return (float)((double)((int32_t)q - zp) * s) == d[0];
}

/* A pass-through op is quantized when its operand is (or must be anyway). */
static void plan_pass(qz *z, uint32_t i)
{
	const ir_op *op = z->g->ops[i];
	ir_val v = op->in[0];
	bool can = z->has[v] || (z->need[v] && !ir_const_of(z->g, v) && v < z->r->n_vals && z->r->has[v]);
	if (!can || ir_type_of(z->g, v)->dtype != IR_F32) {
		z->cls[i] = CLS_FLOAT;
		z->why[i] = "operand not quantized";
		return;
	}
	if (!z->has[v])
		params_from_range(z, v, op, 0);       /* cannot fail: checked above */
	if (!pad_ok(z, op, z->s[v], z->z[v])) {
		z->cls[i] = CLS_FLOAT;
		z->why[i] = "pad value not exact in int8";
		return;
	}
	for (int32_t k = 0; k < op->n_out; k++) {
		set_params(z, op->out[k], z->s[v], z->z[v]);
		z->produced[op->out[k]] = true;
	}
}

static int plan(qz *z)
{
	if (check_float_graph(z) < 0)
		return -1;
	classify(z);
	for (uint32_t i = 0; i < z->n_ops0; i++) {
		const ir_op *op = z->g->ops[i];
		if (z->cls[i] == CLS_PASS) {
			plan_pass(z, i);
			continue;
		}
		if (z->cls[i] != CLS_COMPUTE)
			continue;
		for (int k = 0; k < op->n_in; k++)
			if (role_of(z->g, op, k) == ROLE_ACT && plan_operand(z, op, k) < 0)
				return -1;
		if (params_from_range(z, op->out[0], op, -1) < 0)
			return -1;
		z->produced[op->out[0]] = true;
	}
	return 0;
}

/* ---- rewriting: activations ------------------------------------------------- */

/* Q -> DQ on the non-constant value v, placed at. */
static void qdq_value(qz *z, ir_val v, qplace at, ir_loc loc)
{
	ir_type t = z->g->vals[v].type;
	int8_t zp = (int8_t)z->z[v];
	ir_val sv, zv;
	param_consts(z, &z->s[v], &zp, IR_I8, 0, v, &sv, &zv);
	ir_type qt = t;
	qt.dtype = IR_I8;
	ir_op *q = new_op(z, at, IR_OP_QUANTIZE, (ir_val[]){v, sv, zv}, 3, &qt, v, ".q", loc);
	z->dq[v] = new_dq(z, at, q->out[0], sv, zv, -1, &t, v, loc);
	z->st->n_values++;
}

/* The constant data operand v as int8 + DQ, placed before op i. */
static void qdq_const(qz *z, ir_val v, uint32_t i, ir_loc loc)
{
	ir_type t = z->g->vals[v].type;
	int64_t n = 0;
	const float *d = const_f32(z->g, v, &n);
	int8_t *q = ir_alloc_array(z->g->ctx, (size_t)(n ? n : 1), 1);
	for (int64_t e = 0; e < n; e++)
		q[e] = quantize_act(d[e], z->s[v], z->z[v]);
	ir_type qt = t;
	qt.dtype = IR_I8;
	ir_val qv = new_const(z, &qt, q, n, v, ".q");
	int8_t zp = (int8_t)z->z[v];
	ir_val sv, zv;
	param_consts(z, &z->s[v], &zp, IR_I8, 0, v, &sv, &zv);
	z->dq[v] = new_dq(z, (qplace){i, true}, qv, sv, zv, -1, &t, v, loc);
	z->touched[v] = true;
}

/* ---- rewriting: weights ------------------------------------------------------- */

static int32_t weight_axis(const qz *z, const ir_op *op, const ir_type *w)
{
	if (z->o.per_tensor)
		return -1;
	switch (op->kind) {
	case IR_OP_CONV: return 0;
	case IR_OP_CONVTRANSPOSE: return ir_op_int(op, "group", 1) == 1 ? 1 : -1;
	case IR_OP_GEMM: return ir_op_int(op, "transB", 0) ? 0 : 1;
	default: return w->rank >= 2 ? w->rank - 1 : -1;
	}
}

/* A weight tensor as channels: element e is in channel (e / inner) % n. */
typedef struct wshape {
	int64_t size, inner;
	int32_t n;
} wshape;

static wshape weight_shape(const ir_type *t, int32_t axis)
{
	wshape w = {numel_of(t), 1, 1};
	if (axis < 0 || t->dims[axis] == 0)
		return w;
	w.n = (int32_t)t->dims[axis];
	for (int d = axis + 1; d < t->rank; d++)
		w.inner *= t->dims[d];
	return w;
}

/* Per-channel max |w| into amax, and the scales from them. */
static float *weight_scales(qz *z, const float *w, wshape ws, double *amax)
{
	double all = 0;
	for (int64_t e = 0; e < ws.size; e++) {
		int64_t c = e / ws.inner % ws.n;
		double a = fabs((double)w[e]);
		amax[c] = a > amax[c] ? a : amax[c];
		all = a > all ? a : all;
	}
	float fallback = (float)all / W_QMAX;
	if (!(fallback >= FLT_MIN))
		fallback = 1.0f;
	float *s = ir_alloc_array(z->g->ctx, (size_t)ws.n, sizeof *s);
	for (int32_t c = 0; c < ws.n; c++) {
		s[c] = (float)amax[c] / W_QMAX;
		if (!(s[c] >= FLT_MIN))
			s[c] = fallback;
	}
	return s;
}

/* Quantize w into q with scales s; the measured and predicted SQNR into qw. */
static void weight_ints(qz *z, const float *w, wshape ws, const float *s, const double *amax,
			uint64_t stream, int8_t *q, qweight *qw)
{
	double *sig = ir_alloc_array(z->g->ctx, (size_t)ws.n, sizeof *sig);
	double sum_w2 = 0, sum_e2 = 0, noise = 0;
	for (int64_t e = 0; e < ws.size; e++) {
		int64_t c = e / ws.inner % ws.n;
		q[e] = (int8_t)round_weight(z, w[e], s[c], stream, e);
		double err = (double)w[e] - (double)s[c] * q[e];
		sig[c] += (double)w[e] * w[e];
		sum_e2 += err * err;
	}
	/* Predicted noise of channel c: n_c * D^2 / 12 with step D = 2 clip / 2^8,
	** which is 6.02*8 + 4.77 - 20 log10(clip/rms) for that channel. */
	int64_t per = ws.size / ws.n;
	for (int32_t c = 0; c < ws.n; c++) {
		double step = 2.0 * amax[c] / 256.0;
		noise += (double)per * step * step / 12.0;
		sum_w2 += sig[c];
	}
	qw->sqnr = sum_e2 > 0 ? 10.0 * log10(sum_w2 / sum_e2) : sum_w2 > 0 ? INFINITY : NAN;
	qw->pred = noise > 0 ? 10.0 * log10(sum_w2 / noise) : NAN;
}

/* The int8 weight behind DQ for operand k of op i (shared weights reuse
** theirs); its scales into *sw, *nsw. */
static ir_val quant_weight(qz *z, uint32_t i, ir_op *op, int k, quant_layer *L, const float **sw,
			   int32_t *nsw)
{
	ir_graph *g = z->g;
	ir_val v = op->in[k];
	ir_type t = g->vals[v].type;
	int32_t axis = weight_axis(z, op, &t);
	wshape ws = weight_shape(&t, axis);
	qweight *qw = z->wq[v];
	L->weights = ws.size;
	L->channels = ws.n;
	if (!qw || qw->axis != axis) {
		const ir_blob *b = ir_const_of(g, v);
		const float *w = (const float *)b->data;
		double *amax = ir_alloc_array(g->ctx, (size_t)ws.n, sizeof *amax);
		int8_t *q = ir_alloc_array(g->ctx, (size_t)(ws.size ? ws.size : 1), 1);
		qw = ir_alloc(g->ctx, sizeof *qw);
		*qw = (qweight){.axis = axis, .n = ws.n, .scale = weight_scales(z, w, ws, amax)};
		weight_ints(z, w, ws, qw->scale, amax, mix64(z->o.seed ^ mix64(b->hash.lo)), q, qw);
		ir_type qt = t;
		qt.dtype = IR_I8;
		ir_val qv = new_const(z, &qt, q, ws.size, v, ".q");
		int8_t *zeros = ir_alloc_array(g->ctx, (size_t)ws.n, 1);
		ir_val sv, zv;
		param_consts(z, qw->scale, zeros, IR_I8, axis < 0 ? 0 : ws.n, v, &sv, &zv);
		qw->dq = new_dq(z, (qplace){i, true}, qv, sv, zv, axis, &t, v, op->loc);
		z->wq[v] = qw;
		z->touched[v] = true;
		L->bytes_f32 += 4 * ws.size;
		L->bytes_q += ws.size + 4 * (int64_t)ws.n;
	}
	L->sqnr_db = qw->sqnr;
	L->sqnr_pred_db = qw->pred;
	*sw = qw->scale;
	*nsw = qw->n;
	return qw->dq;
}

/* The bias b of op i as int32 with scales s_in * sw[c], behind DQ. */
static ir_val quant_bias(qz *z, uint32_t i, ir_op *op, ir_val b, float s_in, const float *sw, int32_t nsw,
			 quant_layer *L)
{
	ir_graph *g = z->g;
	int64_t nb = 0, n = out_channels(g, op);
	const float *d = const_f32(g, b, &nb);
	bool per_ch = nsw > 1;
	int32_t *q = ir_alloc_array(g->ctx, (size_t)(n ? n : 1), sizeof *q);
	int32_t *zeros = ir_alloc_array(g->ctx, (size_t)(n ? n : 1), sizeof *zeros);
	float *s = ir_alloc_array(g->ctx, (size_t)(n ? n : 1), sizeof *s);
	for (int64_t c = 0; c < n; c++) {
		s[c] = s_in * sw[per_ch ? c : 0];
		double r = nearbyint((double)d[nb == 1 ? 0 : c] / s[c]);
		if (!(fabs(r) <= BIAS_QMAX)) {
			r = r < 0 ? -BIAS_QMAX : BIAS_QMAX;
			L->bias_saturated++;
		}
		q[c] = (int32_t)r;
	}
	ir_type bt = {.dtype = IR_I32, .rank = 1, .dims = {n}};
	ir_val qv = new_const(z, &bt, q, n * 4, b, ".q");
	ir_val sv, zv;
	param_consts(z, s, zeros, IR_I32, per_ch ? n : 0, b, &sv, &zv);
	z->touched[b] = true;
	L->bytes_f32 += 4 * nb;
	L->bytes_q += 4 * n;
	bt.dtype = IR_F32;
	return new_dq(z, (qplace){i, true}, qv, sv, zv, per_ch ? 0 : -1, &bt, b, op->loc);
}

static void rewrite_compute(qz *z, uint32_t i)
{
	ir_op *op = z->g->ops[i];
	quant_layer *L = &z->st->layers[z->st->n_layers++];
	*L = (quant_layer){.op = op, .sqnr_db = NAN, .sqnr_pred_db = NAN};
	const float *sw = NULL;
	int32_t nsw = 0;
	for (int k = 0; k < op->n_in; k++) {
		qrole r = role_of(z->g, op, k);
		ir_val v = op->in[k];
		if (r == ROLE_ACT && !z->dq[v] && ir_const_of(z->g, v))
			qdq_const(z, v, i, op->loc);
		else if (r == ROLE_WEIGHT)
			op->in[k] = quant_weight(z, i, op, k, L, &sw, &nsw);
	}
	if (op->n_in > 2 && op->in[2] != IR_NOVAL) {
		if (!sw) {      /* Gemm whose B is an activation */
			sw = &z->s[op->in[1]];
			nsw = 1;
		}
		op->in[2] = quant_bias(z, i, op, op->in[2], z->s[op->in[0]], sw, nsw, L);
	}
	z->st->bytes_f32 += L->bytes_f32;
	z->st->bytes_q += L->bytes_q;
}

/* ---- rewriting: uses and order ------------------------------------------------- */

/* Point the uses at the DQs: every use of a quantized op's result, and the
** data operands of quantized ops.  New values (>= n_vals0) are the
** integer weights and biases, already in place. */
static void rewire(qz *z)
{
	ir_graph *g = z->g;
	for (uint32_t i = 0; i < z->n_ops0; i++) {
		ir_op *op = g->ops[i];
		for (int k = 0; k < op->n_in; k++) {
			ir_val v = op->in[k];
			if (v == IR_NOVAL || v >= z->n_vals0 || !z->dq[v])
				continue;
			bool data = z->cls[i] == CLS_COMPUTE ? role_of(g, op, k) == ROLE_ACT
							     : z->cls[i] == CLS_PASS && k == 0;
			if (z->produced[v] || data)
				op->in[k] = z->dq[v];
		}
	}
	for (uint32_t k = 0; k < g->n_outputs; k++) {
		ir_val v = g->outputs[k].val;
		if (v < z->n_vals0 && z->produced[v])
			g->outputs[k].val = z->dq[v];
	}
}

static int cmp_key(const void *a, const void *b)
{
	const qkey *x = a, *y = b;
	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return x->minor < y->minor ? -1 : x->minor > y->minor;
}

/* Drop the float constants nothing uses any more, then sort the ops. */
static void reorder(qz *z)
{
	ir_graph *g = z->g;
	uint32_t *uses = ir_use_counts(g);
	for (uint32_t i = 0; i < z->n_ops0; i++) {
		ir_op *op = g->ops[i];
		if (op->kind == IR_OP_CONST && z->touched[op->out[0]] && uses[op->out[0]] == 0)
			op->dead = true;
	}
	qkey *k = ir_alloc_array(g->ctx, g->n_ops, sizeof *k);
	for (uint32_t j = 0; j < g->n_ops; j++)
		k[j] = j < z->n_ops0 ? (qkey){j, 0, g->ops[j]} : z->keys[j - z->n_ops0];
	qsort(k, g->n_ops, sizeof *k, cmp_key);
	for (uint32_t j = 0; j < g->n_ops; j++)
		g->ops[j] = k[j].op;
	ir_graph_compact(g);
}

/* A float operand or result: the op computes on real numbers. */
static bool touches_float(const ir_graph *g, const ir_op *op)
{
	bool f = false;
	for (int32_t k = 0; k < op->n_in; k++)
		f |= op->in[k] != IR_NOVAL && ir_dtype_is_float(ir_type_of(g, op->in[k])->dtype);
	for (int32_t k = 0; k < op->n_out; k++)
		f |= ir_dtype_is_float(ir_type_of(g, op->out[k])->dtype);
	return f;
}

/* The statistics' op lists; ops on integers only (shape arithmetic) are
** not "left float". */
static void record_floats(qz *z)
{
	for (uint32_t i = 0; i < z->n_ops0; i++) {
		const ir_op *op = z->g->ops[i];
		if (z->cls[i] == CLS_PASS)
			z->st->n_passthrough++;
		else if (z->cls[i] == CLS_FLOAT && op->kind != IR_OP_CONST && touches_float(z->g, op))
			z->st->floats[z->st->n_float++] = (quant_float_op){op, z->why[i] ? z->why[i] : "no int8 kernel"};
	}
}

static void rewrite(qz *z)
{
	ir_graph *g = z->g;
	record_floats(z);
	for (uint32_t k = 0; k < g->n_inputs; k++) {
		ir_val v = g->inputs[k];
		if (z->has[v] && !z->dq[v])
			qdq_value(z, v, (qplace){-1, false}, g->vals[v].loc);
	}
	for (uint32_t i = 0; i < z->n_ops0; i++) {
		ir_op *op = g->ops[i];
		if (z->cls[i] == CLS_COMPUTE)
			rewrite_compute(z, i);
		for (int32_t k = 0; k < op->n_out; k++)
			if (z->has[op->out[k]] && op->kind != IR_OP_CONST)
				qdq_value(z, op->out[k], (qplace){i, false}, op->loc);
	}
	rewire(z);
	reorder(z);
}

/* ---- entry points ------------------------------------------------------------ */

typedef struct qjob {
	ir_graph *g;
	const quant_ranges *r;
	const quant_options *o;
	quant_stats *st;
} qjob;

static qz *qz_new(const qjob *j)
{
	ir_graph *g = j->g;
	ir_ctx *c = g->ctx;
	qz *z = ir_alloc(c, sizeof *z);
	uint32_t nv = g->n_vals, no = g->n_ops ? g->n_ops : 1;
	*z = (qz){.g = g, .r = j->r, .st = j->st, .n_vals0 = nv, .n_ops0 = g->n_ops};
	if (j->o)
		z->o = *j->o;
	z->num = ir_number_values(g);
	z->cls = ir_alloc_array(c, no, sizeof *z->cls);
	z->why = ir_alloc_array(c, no, sizeof *z->why);
	z->has = ir_alloc_array(c, nv, sizeof *z->has);
	z->s = ir_alloc_array(c, nv, sizeof *z->s);
	z->z = ir_alloc_array(c, nv, sizeof *z->z);
	z->need = ir_alloc_array(c, nv, sizeof *z->need);
	z->produced = ir_alloc_array(c, nv, sizeof *z->produced);
	z->touched = ir_alloc_array(c, nv, sizeof *z->touched);
	z->dq = ir_alloc_array(c, nv, sizeof *z->dq);
	z->wq = ir_alloc_array(c, nv, sizeof *z->wq);
	*z->st = (quant_stats){0};
	z->st->layers = ir_alloc_array(c, no, sizeof *z->st->layers);
	z->st->floats = ir_alloc_array(c, no, sizeof *z->st->floats);
	names_init(z);
	return z;
}

static int run_quantize(ir_ctx *c, void *ud)
{
	(void)c;
	qz *z = qz_new(ud);
	if (plan(z) < 0)
		return -1;
	rewrite(z);
	return 0;
}

int quant_insert_qdq(ir_graph *g, const quant_ranges *r, const quant_options *o, quant_stats *st)
{
	quant_stats local;
	qjob j = {g, r, o, st ? st : &local};
	return ir_protect(g->ctx, run_quantize, &j);
}

/* ---- the table ---------------------------------------------------------------- */

static void op_label(const ir_graph *g, const uint32_t *num, const ir_op *op, char *buf, size_t n)
{
	if (op->name)
		snprintf(buf, n, "%s", op->name);
	else if (op->n_out > 0)
		ir_value_label(g, num, op->out[0], buf, n);
	else
		snprintf(buf, n, "-");
}

static void put_db(FILE *out, double db)
{
	if (isnan(db))
		fprintf(out, " %9s", "-");
	else if (isinf(db))
		fprintf(out, " %9s", "exact");
	else
		fprintf(out, " %9.2f", db);
}

static void print_layer(FILE *out, const char *label, const quant_layer *L)
{
	fprintf(out, "  %-28s %-18s", label, ir_op_name(L->op->kind));
	if (L->weights == 0 && L->bytes_f32 == 0) {
		fprintf(out, " %9s %5s %10s    %8s", "-", "-", "-", "-");
	} else {
		fprintf(out, " %9lld %5d %10lld -> %8lld", (long long)L->weights, (int)L->channels,
			(long long)L->bytes_f32, (long long)L->bytes_q);
	}
	put_db(out, L->sqnr_db);
	put_db(out, L->sqnr_pred_db);
	if (L->bias_saturated)
		fprintf(out, "  (%d bias values clamped to int32)", (int)L->bias_saturated);
	fputc('\n', out);
}

typedef struct pjob {
	const ir_graph *g;
	const quant_stats *st;
	FILE *out;
} pjob;

static int print_stats(ir_ctx *c, void *ud)
{
	(void)c;
	const pjob *j = ud;
	const ir_graph *g = j->g;
	const quant_stats *st = j->st;
	FILE *out = j->out;
	uint32_t *num = ir_number_values(g);
	char label[LABEL_MAX];
	int64_t weights = 0;
	fprintf(out, "quantize: int8 ops %d, pass-through %d, activations quantized %d, ops left float %d\n",
		(int)st->n_layers, (int)st->n_passthrough, (int)st->n_values, (int)st->n_float);
	fprintf(out, "  %-28s %-18s %9s %5s %10s    %8s %9s %9s\n", "op", "kind", "weights", "ch", "bytes f32",
		"int8", "SQNR dB", "predicted");
	for (int32_t i = 0; i < st->n_layers; i++) {
		op_label(g, num, st->layers[i].op, label, sizeof label);
		print_layer(out, label, &st->layers[i]);
		weights += st->layers[i].weights;
	}
	fprintf(out, "  %-28s %-18s %9lld %5s %10lld -> %8lld", "total", "", (long long)weights, "",
		(long long)st->bytes_f32, (long long)st->bytes_q);
	if (st->bytes_f32 > 0)
		fprintf(out, " (%.1f%%)", 100.0 * (double)st->bytes_q / (double)st->bytes_f32);
	fputc('\n', out);
	for (int32_t i = 0; i < st->n_float; i++) {
		op_label(g, num, st->floats[i].op, label, sizeof label);
		fprintf(out, "  left float: %s (%s): %s\n", label, ir_op_name(st->floats[i].op->kind),
			st->floats[i].why);
	}
	return ferror(out) ? -1 : 0;
}

int quant_stats_print(const ir_graph *g, const quant_stats *st, FILE *out)
{
	pjob j = {g, st, out};
	return ir_protect(g->ctx, print_stats, &j);
}
