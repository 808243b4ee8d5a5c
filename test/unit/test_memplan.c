/*
** test_memplan.c - buffer placement: known optima, validity, bounds.
**
** valid() is an independent checker: every offset aligned and non-negative,
** the arena size the largest end, no two buffers that meet in time sharing
** a byte, and the lower bound equal to a brute-force count step by step.
** It runs over hand-made cases with known optima, thousands of seeded
** random cases, and synthetic MobileNetV2 and ResNet-18 activation chains,
** which must come within 1.10x of the lower bound (the product target).
** Ratios and timings are printed, not asserted.
*/
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "passes/memplan.h"

/* Peak live bytes by walking every step; for small step ranges. */
static int64_t brute_bound(const memplan_buf *b, int32_t n)
{
	int32_t lo = INT32_MAX, hi = INT32_MIN;
	for (int32_t i = 0; i < n; i++) {
		lo = b[i].first < lo ? b[i].first : lo;
		hi = b[i].last > hi ? b[i].last : hi;
	}
	int64_t peak = 0;
	for (int64_t s = lo; s <= hi && n > 0; s++) {
		int64_t live = 0;
		for (int32_t i = 0; i < n; i++)
			if (b[i].first <= s && s <= b[i].last)
				live += b[i].size;
		peak = live > peak ? live : peak;
	}
	return peak;
}

static bool valid(const memplan_buf *b, int32_t n, const memplan_result *r, bool brute)
{
	int64_t top = 0;
	for (int32_t i = 0; i < n; i++) {
		if (b[i].offset < 0 || b[i].offset % b[i].align != 0 || b[i].offset + b[i].size > r->total)
			return false;
		top = b[i].offset + b[i].size > top ? b[i].offset + b[i].size : top;
		for (int32_t j = 0; j < i; j++) {
			bool in_time = b[i].first <= b[j].last && b[j].first <= b[i].last;
			bool in_mem = b[i].offset < b[j].offset + b[j].size && b[j].offset < b[i].offset + b[i].size;
			if (in_time && in_mem)
				return false;
		}
	}
	if (brute && r->lower_bound != brute_bound(b, n))
		return false;
	return top == r->total && r->total >= r->lower_bound;
}

static int plan(memplan_buf *b, int32_t n, memplan_result *r)
{
	ir_ctx *c = ir_ctx_new(0);
	int rc = memplan_place(c, b, n, r);
	ir_ctx_free(c);
	return rc;
}

static void set(memplan_buf *b, int64_t size, int32_t first, int32_t last, int64_t align)
{
	*b = (memplan_buf){size, first, last, align, -1};
}

/* ---- known optima ----------------------------------------------------------- */

/* x0 -> x1 -> ... -> x7: two buffers of 100 bytes alternate. */
static void test_chain(void)
{
	memplan_buf b[8];
	memplan_result r;
	for (int32_t i = 0; i < 8; i++)
		set(&b[i], 100, i, i + 1, 1);
	CHECK(plan(b, 8, &r) == 0);
	CHECK(valid(b, 8, &r, true));
	CHECK(r.lower_bound == 200 && r.total == 200 && r.tried == 1);
	for (int32_t i = 0; i < 8; i++)
		CHECK(b[i].offset == 0 || b[i].offset == 100);
}

/* a feeds b and c, which both feed d; a and d can share. */
static void test_diamond(void)
{
	memplan_buf b[4];
	memplan_result r;
	set(&b[0], 10, 0, 2, 1);
	set(&b[1], 20, 1, 3, 1);
	set(&b[2], 30, 2, 3, 1);
	set(&b[3], 10, 3, 3, 1);
	CHECK(plan(b, 4, &r) == 0);
	CHECK(valid(b, 4, &r, true));
	CHECK(r.lower_bound == 60 && r.total == 60);
	CHECK(b[0].offset == b[3].offset);
}

static void test_overlapping_and_disjoint(void)
{
	memplan_buf b[10];
	memplan_result r;
	for (int32_t i = 0; i < 10; i++)
		set(&b[i], i + 1, 0, 0, 1);
	CHECK(plan(b, 10, &r) == 0);
	CHECK(valid(b, 10, &r, true) && r.total == 55 && r.lower_bound == 55);
	for (int32_t i = 0; i < 10; i++)
		set(&b[i], (i * 7) % 10 + 1, i, i, 1);
	CHECK(plan(b, 10, &r) == 0);
	CHECK(valid(b, 10, &r, true) && r.total == 10 && r.lower_bound == 10);
	for (int32_t i = 0; i < 10; i++)
		CHECK(b[i].offset == 0);
}

static void test_alignment(void)
{
	memplan_buf b[4];
	memplan_result r;
	set(&b[0], 3, 0, 1, 4);
	set(&b[1], 3, 0, 1, 4);
	CHECK(plan(b, 2, &r) == 0);
	CHECK(valid(b, 2, &r, true));
	CHECK(r.total == 7 && r.lower_bound == 6 && r.align == 4);
	set(&b[0], 1, 0, 2, 1);
	set(&b[1], 8, 1, 2, 64);
	set(&b[2], 5, 0, 0, 16);
	set(&b[3], 5, 2, 2, 16);
	CHECK(plan(b, 4, &r) == 0);
	CHECK(valid(b, 4, &r, true) && r.align == 64);
}

static void test_empty_and_large(void)
{
	memplan_buf b[8];
	memplan_result r;
	CHECK(plan(NULL, 0, &r) == 0);
	CHECK(r.total == 0 && r.lower_bound == 0 && r.tried == 0 && r.align == 1);
	for (int32_t i = 0; i < 8; i++)
		set(&b[i], (int64_t)1 << 40, 0, i, (int64_t)1 << 12);
	CHECK(plan(b, 8, &r) == 0);
	CHECK(valid(b, 8, &r, true) && r.total == (int64_t)1 << 43);
	set(&b[0], INT64_MAX / 4, 0, 1, 1);
	set(&b[1], INT64_MAX / 4, 1, 2, 1);
	CHECK(plan(b, 2, &r) == 0);
	CHECK(valid(b, 2, &r, true) && r.total == INT64_MAX / 4 * 2);
}

/* ---- rejected input ---------------------------------------------------------- */

static void expect_error(memplan_buf *b, int32_t n, const char *text)
{
	memplan_result r;
	ir_ctx *c = ir_ctx_new(0);
	c->diag_out = NULL;
	CHECK(memplan_place(c, b, n, &r) == -1);
	CHECK(c->n_errors == 1 && strstr(c->first_error, text));
	CHECK(r.total == 0);
	for (int32_t i = 0; i < n; i++)
		CHECK(b[i].offset == -1);
	ir_ctx_free(c);
}

static void test_invalid(void)
{
	memplan_buf b[3];
	set(&b[0], 8, 0, 1, 1);
	set(&b[1], 0, 0, 1, 1);
	expect_error(b, 2, "buffer 1 has size 0 (must be > 0)");
	set(&b[1], -5, 0, 1, 1);
	expect_error(b, 2, "buffer 1 has size -5");
	set(&b[1], 8, 3, 2, 1);
	expect_error(b, 2, "buffer 1 is live over steps [3, 2] (last before first)");
	set(&b[1], 8, 0, 1, 0);
	expect_error(b, 2, "buffer 1 has alignment 0 (must be a power of two)");
	set(&b[1], 8, 0, 1, 24);
	expect_error(b, 2, "alignment 24");
	set(&b[1], 8, 0, 1, INT64_MIN);
	expect_error(b, 2, "must be a power of two");
	expect_error(b, -1, "negative buffer count");
	for (int32_t i = 0; i < 3; i++)
		set(&b[i], INT64_MAX / 3 + 1, 0, 0, 1);
	expect_error(b, 3, "the arena size overflows");
	set(&b[0], INT64_MAX, 0, 0, 1);
	set(&b[1], 1, 5, 5, 2);
	expect_error(b, 2, "overflows");
}

/* Arena exhaustion unwinds to memplan_place, which reports it. */
static void test_out_of_memory(void)
{
	static memplan_buf b[1000];
	memplan_result r;
	for (int32_t i = 0; i < 1000; i++)
		set(&b[i], 64, i, i + 1, 1);
	ir_ctx *c = ir_ctx_new(4096);
	c->diag_out = NULL;
	CHECK(memplan_place(c, b, 1000, &r) == -1);
	CHECK(strstr(c->first_error, "out of memory") && r.total == 0 && b[0].offset == -1);
	ir_ctx_free(c);
}

/* ---- random cases ---------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int64_t below(int64_t n)
{
	return (int64_t)(xorshift() % (uint64_t)n);
}

/* n buffers over at most `steps` steps; kind 0 small sizes, 1 powers of
** two, 2 up to 2^40; alignments up to 64, or all 1. */
static void random_case(memplan_buf *b, int32_t n, int32_t steps, int kind, int32_t max_span, bool aligned)
{
	for (int32_t i = 0; i < n; i++) {
		int32_t first = (int32_t)below(steps), last = first + (int32_t)below(max_span);
		int64_t size = kind == 0 ? 1 + below(1000)
			: kind == 1 ? (int64_t)1 << below(20) : 1 + below((int64_t)1 << 40);
		int64_t align = aligned ? (int64_t)1 << below(7) : 1;
		set(&b[i], size, first, last < steps ? last : steps - 1, align);
	}
}

typedef struct tally {
	double sum, worst;
	int count;
} tally;

/* Plan one case twice; false unless both are valid and identical. */
static bool random_one(memplan_buf *b, int32_t n, tally *t, int *at_bound)
{
	enum { MAXN = 400 };
	static memplan_buf again[MAXN];
	memplan_result r, r2;
	memcpy(again, b, (size_t)n * sizeof *b);
	if (plan(b, n, &r) != 0 || !valid(b, n, &r, true) || plan(again, n, &r2) != 0)
		return false;
	if (memcmp(b, again, (size_t)n * sizeof *b) != 0 || r.total != r2.total)
		return false;
	double q = (double)r.total / (double)r.lower_bound;
	t->sum += q;
	t->worst = q > t->worst ? q : t->worst;
	t->count++;
	*at_bound += r.total == r.lower_bound;
	return true;
}

/* Few conflicts per buffer (the conflict-list path), with and without
** alignment, then many (the scan path). */
static void test_random(void)
{
	enum { CASES = 3000, DENSE = 200 };
	static memplan_buf b[400];
	static const char *kinds[3] = {"sizes 1..1000", "powers of two", "sizes up to 2^40"};
	tally t[3][2] = {{{0}}}, dense = {0};
	int ok = 0, at_bound = 0;
	for (int c = 0; c < CASES; c++) {
		int kind = c % 3, aligned = c / 3 % 2;
		int32_t n = 1 + (int32_t)below(64);
		int32_t steps = 1 + (int32_t)below(2 * n);
		random_case(b, n, steps, kind, 1 + (int32_t)below(8), aligned);
		ok += random_one(b, n, &t[kind][aligned], &at_bound);
	}
	for (int c = 0; c < DENSE; c++) {
		int32_t n = 200 + (int32_t)below(200);
		random_case(b, n, 1 + (int32_t)below(8), c % 3, 8, c % 2);
		ok += random_one(b, n, &dense, &at_bound);
	}
	CHECK(ok == CASES + DENSE);
	for (int k = 0; k < 3; k++)
		for (int a = 0; a < 2; a++)
			printf("random %-16s %-9s: mean total/bound %.4f, worst %.4f (%d cases)\n", kinds[k],
			       a ? "aligned" : "align 1", t[k][a].sum / t[k][a].count, t[k][a].worst, t[k][a].count);
	printf("random dense: mean total/bound %.4f, worst %.4f (%d cases)\n", dense.sum / dense.count,
	       dense.worst, dense.count);
	printf("random: %d of %d cases at the lower bound\n", at_bound, CASES + DENSE);
}

/* ---- synthetic networks ------------------------------------------------------ */

/*
** A network as a list of tensors: one op per step, each op writes one new
** tensor and reads earlier ones, which stay live up to their last reader.
** Tensor 0, the input, is written by step 0.
*/
typedef struct net {
	memplan_buf b[256];
	int32_t n;
} net;

static int32_t op(net *t, int64_t bytes, int32_t in0, int32_t in1)
{
	int32_t step = t->n;
	if (in0 >= 0)
		t->b[in0].last = step;
	if (in1 >= 0)
		t->b[in1].last = step;
	set(&t->b[t->n], bytes, step, step, 64);
	return t->n++;
}

static int64_t act(int64_t h, int64_t w, int64_t ch)
{
	return h * w * ch * 4;
}

/*
** MobileNetV2 1.0, 224x224x3 f32 (HWC bytes).  Layers, in order:
**   conv 3x3/2 -> 112x112x32
**   bottlenecks (expand t, out c, repeat n, first stride s):
**     (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1)
**     each: expand 1x1 -> HxWx(t*cin) [skipped when t = 1],
**           depthwise 3x3/s -> H/s x W/s x (t*cin), project 1x1 -> H/s x W/s x c,
**           add with the block input when s = 1 and cin = c (the skip tensor
**           stays live across expand, depthwise, project and add)
**   conv 1x1 -> 7x7x1280, global pool -> 1280, fc -> 1000
*/
static void mobilenet_v2(net *t)
{
	static const int cfg[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
				      {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
	int64_t hw = 112, cin = 32;
	t->n = 0;
	int32_t x = op(t, act(224, 224, 3), -1, -1);
	x = op(t, act(hw, hw, cin), x, -1);
	for (int k = 0; k < 7; k++)
		for (int r = 0; r < cfg[k][2]; r++) {
			int64_t s = r == 0 ? cfg[k][3] : 1, mid = cin * cfg[k][0], c = cfg[k][1];
			int32_t y = cfg[k][0] == 1 ? x : op(t, act(hw, hw, mid), x, -1);
			hw /= s;
			y = op(t, act(hw, hw, mid), y, -1);
			y = op(t, act(hw, hw, c), y, -1);
			if (s == 1 && cin == c)
				y = op(t, act(hw, hw, c), y, x);
			x = y;
			cin = c;
		}
	x = op(t, act(7, 7, 1280), x, -1);
	x = op(t, act(1, 1, 1280), x, -1);
	op(t, 1000 * 4, x, -1);
}

/* A basic block: two 3x3 convs and an add; a 1x1/2 conv on the skip when
** the block downsamples. */
static int32_t basic_block(net *t, int32_t x, int64_t hw, int64_t c, bool down)
{
	int32_t skip = down ? op(t, act(hw, hw, c), x, -1) : x;
	int32_t y = op(t, act(hw, hw, c), x, -1);
	y = op(t, act(hw, hw, c), y, -1);
	return op(t, act(hw, hw, c), y, skip);
}

/*
** ResNet-18, 224x224x3 f32: conv 7x7/2 -> 112x112x64, maxpool -> 56x56x64,
** two basic blocks each at 56x56x64, 28x28x128, 14x14x256, 7x7x512 (the
** first of the last three downsamples), global pool -> 512, fc -> 1000.
*/
static void resnet18(net *t)
{
	t->n = 0;
	int32_t x = op(t, act(224, 224, 3), -1, -1);
	x = op(t, act(112, 112, 64), x, -1);
	x = op(t, act(56, 56, 64), x, -1);
	for (int s = 0; s < 4; s++) {
		int64_t hw = 56 >> s, c = 64 << s;
		x = basic_block(t, x, hw, c, s > 0);
		x = basic_block(t, x, hw, c, false);
	}
	x = op(t, act(1, 1, 512), x, -1);
	op(t, 1000 * 4, x, -1);
}

static void check_net(const char *name, net *t)
{
	memplan_result r;
	CHECK(plan(t->b, t->n, &r) == 0);
	CHECK(valid(t->b, t->n, &r, true));
	double q = (double)r.total / (double)r.lower_bound;
	CHECK(q <= 1.10);
	printf("%s: %d tensors, arena %lld bytes, bound %lld, ratio %.4f, %s after %d\n", name, (int)t->n,
	       (long long)r.total, (long long)r.lower_bound, q, r.heuristic, (int)r.tried);
}

static void test_networks(void)
{
	static net t;
	mobilenet_v2(&t);
	check_net("mobilenet_v2", &t);
	resnet18(&t);
	check_net("resnet18", &t);
}

/* ---- scale ------------------------------------------------------------------- */

/* Processor time, so that a loaded machine does not skew the figure. */
static double seconds(void)
{
	return (double)clock() / CLOCKS_PER_SEC;
}

static void time_case(const char *name, memplan_buf *b, int32_t n)
{
	memplan_result r;
	double t0 = seconds();
	CHECK(plan(b, n, &r) == 0);
	double dt = seconds() - t0;
	CHECK(valid(b, n, &r, false));
	printf("%s: n=%d, %.1f ms cpu, ratio %.4f, %s after %d\n", name, (int)n, dt * 1e3,
	       (double)r.total / (double)r.lower_bound, r.heuristic, (int)r.tried);
}

static void test_scale(void)
{
	enum { N = 10000 };
	static memplan_buf b[N];
	random_case(b, N, N, 0, 4, true);
	time_case("scale, short lifetimes", b, N);
	random_case(b, N, N, 1, 200, true);
	time_case("scale, lifetimes up to 200", b, N);
	random_case(b, N, 100, 0, 100, true);
	time_case("scale, dense (100 steps)", b, N);
	for (int32_t i = 0; i < N; i++)
		set(&b[i], 1 + below(4096), 0, 0, 16);
	time_case("scale, all overlapping", b, N);
}

int main(void)
{
	test_chain();
	test_diamond();
	test_overlapping_and_disjoint();
	test_alignment();
	test_empty_and_large();
	test_invalid();
	test_out_of_memory();
	test_random();
	test_networks();
	test_scale();
	return check_done("memplan");
}
