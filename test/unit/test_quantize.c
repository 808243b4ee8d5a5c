/*
** test_quantize.c - weight rounding of the QDQ insertion (passes/quantize.h).
**
** The graphs are x -> Gemm(W, transB) -> y with W [N, K], quantized per
** output channel; the int8 weights are read back from the constant behind
** the Gemm's DequantizeLinear.  Checked:
**   - stochastic rounding is unbiased per element: over R seeds the mean
**     of q is within 5 standard deviations (sqrt(f(1-f)/R), f the
**     fractional part of w/s) of w/s for every element, while nearest
**     rounding, fed the same weights, misses that bound on most elements
**     (so the check can fail);
**   - the mean of s*q over one large tensor whose weights all equal w0 is
**     within 5 standard deviations (s*sqrt(f(1-f)/n)) of w0, and nearest
**     rounding is not;
**   - the same seed gives the same integers, another seed different ones;
**   - the integers do not depend on what else the graph holds or the order
**     in which layers are visited: the same weight tensor in a larger
**     graph quantizes to the same bytes.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "passes/quantize.h"

typedef struct qgraph {
	ir_ctx *c;
	ir_graph *g;
	quant_ranges *r;
	ir_op *gemm;
} qgraph;

/* Append Gemm(x, W^T) with W = w [n, k] and a range for its result. */
static ir_op *add_gemm(ir_graph *g, ir_val x, const float *w, int64_t n, int64_t k)
{
	ir_type wt = {.dtype = IR_F32, .rank = 2, .dims = {n, k}};
	ir_type yt = {.dtype = IR_F32, .rank = 2, .dims = {1, n}};
	ir_val wv = ir_const_new(g, &wt, w, n * k * 4);
	ir_op *op = ir_op_append(g, IR_OP_GEMM, (ir_val[]){x, wv}, 2, &yt, 1);
	ir_op_set_int(g, op, "transB", 1);
	return op;
}

/* x [1, k] -> (optionally a first Gemm with other weights) -> Gemm(w). */
static qgraph build(const float *w, int64_t n, int64_t k, bool extra_layer)
{
	qgraph q = {ir_ctx_new(0), NULL, NULL, NULL};
	q.g = ir_graph_new(q.c, "t");
	ir_type xt = {.dtype = IR_F32, .rank = 2, .dims = {1, k}};
	ir_val x = ir_add_input(q.g, &xt, "x");
	if (extra_layer) {
		float *e = calloc((size_t)(k * k), sizeof *e);
		for (int64_t i = 0; i < k * k; i++)
			e[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
		x = add_gemm(q.g, x, e, k, k)->out[0];
		free(e);
	}
	q.gemm = add_gemm(q.g, x, w, n, k);
	ir_add_output(q.g, "y", q.gemm->out[0]);
	q.r = quant_ranges_new(q.g);
	for (ir_val v = 1; v < q.g->n_vals; v++) {
		q.r->has[v] = ir_type_of(q.g, v)->dtype == IR_F32;
		q.r->r[v] = (quant_range){-1, 1};
	}
	return q;
}

/* The int8 weights of the last Gemm after quantization (NULL on failure). */
static const int8_t *quantize(qgraph *q, quant_rounding rounding, uint64_t seed, float *scale)
{
	quant_options o = {rounding, seed, false};
	if (ir_verify(q->g) < 0 || quant_insert_qdq(q->g, q->r, &o, NULL) < 0 || ir_verify(q->g) < 0)
		return NULL;
	const ir_op *dq = q->g->vals[q->gemm->in[1]].def;
	if (!dq || dq->kind != IR_OP_DEQUANTIZE)
		return NULL;
	const ir_blob *s = ir_const_of(q->g, dq->in[1]);
	if (scale && s)
		memcpy(scale, s->data, 4);
	const ir_blob *b = ir_const_of(q->g, dq->in[0]);
	return b ? (const int8_t *)b->data : NULL;
}

/* Quantize a fresh graph of w and copy its k * n int8 weights into out. */
static bool quantize_copy(const float *w, int64_t n, int64_t k, bool extra, quant_rounding rd, uint64_t seed,
			  int8_t *out, float *scale)
{
	qgraph q = build(w, n, k, extra);
	const int8_t *p = quantize(&q, rd, seed, scale);
	if (p)
		memcpy(out, p, (size_t)(n * k));
	ir_ctx_free(q.c);
	return p != NULL;
}

#define K1 600
#define SEEDS 400

/* Elements whose mean over SEEDS runs misses w/s by more than 5 sigma. */
static int biased_elements(const float *w, quant_rounding rd, int *runs_ok)
{
	static double sum[K1];
	static int8_t q[K1];
	float s = 0;
	memset(sum, 0, sizeof sum);
	*runs_ok = 0;
	for (int seed = 1; seed <= SEEDS; seed++) {
		*runs_ok += quantize_copy(w, 1, K1, false, rd, (uint64_t)seed, q, &s);
		for (int i = 0; i < K1; i++)
			sum[i] += q[i];
	}
	int bad = 0;
	for (int i = 0; i < K1; i++) {
		double x = (double)w[i] / (double)s, f = x - floor(x);
		double bound = 5.0 * sqrt(f * (1 - f) / SEEDS) + 1e-9;
		bad += fabs(sum[i] / SEEDS - x) > bound;
	}
	return bad;
}

static void unbiased_per_element(void)
{
	static float w[K1];
	w[0] = 1.27f;           /* the channel's max: s = 0.01 */
	for (int i = 1; i < K1; i++)
		w[i] = (float)(((i * 2654435761u) >> 8) % 25400) / 10000.0f - 1.27f;
	int ok_s = 0, ok_n = 0;
	int bad_s = biased_elements(w, QUANT_ROUND_STOCHASTIC, &ok_s);
	int bad_n = biased_elements(w, QUANT_ROUND_NEAREST, &ok_n);
	CHECK(ok_s == SEEDS && ok_n == SEEDS);
	CHECK(bad_s == 0);
	CHECK(bad_n > K1 / 2);
	printf("per element over %d seeds: stochastic %d/%d elements beyond 5 sigma, nearest %d/%d\n", SEEDS, bad_s,
	       K1, bad_n, K1);
}

#define K2 100000

/* |mean(s q) - w0| over one tensor of K2 - 1 copies of w0 (and the max). */
static double mean_error(const float *w, quant_rounding rd, double *sigma)
{
	static int8_t q[K2];
	float s = 0;
	if (!quantize_copy(w, 1, K2, false, rd, 7, q, &s))
		return INFINITY;
	double sum = 0, x = (double)w[1] / s, f = x - floor(x);
	for (int i = 1; i < K2; i++)
		sum += (double)s * q[i];
	*sigma = (double)s * sqrt(f * (1 - f) / (K2 - 1));
	return fabs(sum / (K2 - 1) - (double)w[1]);
}

static void unbiased_mean(void)
{
	static float w[K2];
	w[0] = 1.27f;
	for (int i = 1; i < K2; i++)
		w[i] = 0.00337f;        /* w/s = 0.337 */
	double sig = 0, sig_n = 0;
	double err = mean_error(w, QUANT_ROUND_STOCHASTIC, &sig);
	double err_n = mean_error(w, QUANT_ROUND_NEAREST, &sig_n);
	CHECK(sig > 0 && err <= 5 * sig);
	CHECK(err_n > 5 * sig_n);
	printf("mean of s*q over %d weights 0.00337: stochastic off by %.3g (5 sigma %.3g), nearest by %.3g\n",
	       K2 - 1, err, 5 * sig, err_n);
}

#define N3 4
#define K3 64

static void deterministic(void)
{
	static float w[N3 * K3];
	static int8_t a[N3 * K3], b[N3 * K3], c[N3 * K3], d[N3 * K3], e[N3 * K3];
	for (int i = 0; i < N3 * K3; i++)
		w[i] = sinf((float)i * 0.37f);
	CHECK(quantize_copy(w, N3, K3, false, QUANT_ROUND_STOCHASTIC, 42, a, NULL));
	CHECK(quantize_copy(w, N3, K3, false, QUANT_ROUND_STOCHASTIC, 42, b, NULL));
	CHECK(quantize_copy(w, N3, K3, false, QUANT_ROUND_STOCHASTIC, 43, c, NULL));
	CHECK(memcmp(a, b, sizeof a) == 0);
	CHECK(memcmp(a, c, sizeof a) != 0);
	/* Another layer quantized first changes nothing for this weight. */
	CHECK(quantize_copy(w, N3, K3, true, QUANT_ROUND_STOCHASTIC, 42, d, NULL));
	CHECK(memcmp(a, d, sizeof a) == 0);
	/* Each stochastic integer is one of the two neighbours of w/s. */
	CHECK(quantize_copy(w, N3, K3, false, QUANT_ROUND_NEAREST, 0, e, NULL));
	int far = 0;
	for (int i = 0; i < N3 * K3; i++)
		far += abs(a[i] - e[i]) > 1;
	CHECK(far == 0);
}

int main(void)
{
	unbiased_per_element();
	unbiased_mean();
	deterministic();
	return check_done("test_quantize");
}
