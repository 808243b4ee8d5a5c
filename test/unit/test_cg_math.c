/*
** test_cg_math.c - the code generator's inline math (codegen/cg_math.c)
** against the C library in double precision.
**
** Each function is JIT-compiled on the host (ORC LLJIT) three ways: a
** scalar loop with vectorization off, the same loop auto-vectorized, and a
** loop over explicit <8 x float> calls; and for two CPUs: the host's
** (fused llvm.fmuladd where it has FMA) and a baseline one without FMA.
** Every variant runs over the same inputs: special values, every f32 bit
** pattern at a stride (NaNs included), and dense sweeps where the
** approximations switch methods.  Errors are in ulp of the exact result
** (the double one: an error of 0.5 is a correctly rounded f32), with the
** bounds docs/codegen-math.md states; rounding functions must be exact,
** signed zeros included.  The optimized IR may declare no function but
** the intrinsics cg.h allows: a call to anything else would not link in a
** freestanding object.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "check.h"
#include "codegen/cg.h"

typedef LLVMValueRef (*unary_emit)(cg *g, LLVMValueRef x);

/* One function under test: bound is its max error in ulp (0: exact) where
** |x| <= range; outside range only |y| <= limit (sin, cos) is checked. */
typedef struct math_case {
	const char *name;
	unary_emit emit;
	double (*ref)(double);
	double bound;
	double range;
	double limit;
} math_case;

static double ref_sigmoid(double v) { return v >= 0 ? 1 / (1 + exp(-v)) : exp(v) / (1 + exp(v)); }
static double ref_softplus(double v) { return v > 0 ? v + log1p(exp(-v)) : log1p(exp(v)); }

#define INF_RANGE HUGE_VAL
static const math_case cases[] = {
	{"floor", cg_floor, floor, 0, INF_RANGE, 0},
	{"ceil", cg_ceil, ceil, 0, INF_RANGE, 0},
	{"trunc", cg_trunc, trunc, 0, INF_RANGE, 0},
	{"round", cg_round_even, nearbyint, 0, INF_RANGE, 0},
	{"exp", cg_exp, exp, 1.5, INF_RANGE, 0},
	{"log", cg_log, log, 1.5, INF_RANGE, 0},
	{"tanh", cg_tanh, tanh, 2.0, INF_RANGE, 0},
	{"sigmoid", cg_sigmoid, ref_sigmoid, 3.0, INF_RANGE, 0},
	{"erf", cg_erf, erf, 2.0, INF_RANGE, 0},
	{"softplus", cg_softplus, ref_softplus, 2.5, INF_RANGE, 0},
	{"sin", cg_sin, sin, 2.0, 1e5, 1},
	{"cos", cg_cos, cos, 2.0, 1e5, 1},
};
#define N_CASES (sizeof cases / sizeof cases[0])
#define POW_BOUND 2.5

/* ---- inputs --------------------------------------------------------------------- */

static float from_bits(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static uint32_t to_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

typedef struct inputs {
	float *v;
	int64_t n, cap;
} inputs;

static void push(inputs *in, float f)
{
	if (in->n == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 1 << 16;
		in->v = realloc(in->v, (size_t)in->cap * sizeof *in->v);
	}
	in->v[in->n++] = f;
}

static const float specials[] = {
	0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 1.0f, -1.0f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f,
	0x1p-149f, -0x1p-149f, 0x1p-126f, -0x1p-126f, 0x1.fffffcp-127f, -0x1.fffffcp-127f, 0x1p-100f,
	3.4028235e38f, -3.4028235e38f, 8388607.5f, -8388607.5f, 8388608.0f, 4194304.5f, -4194304.5f,
	16777215.0f, 0.49999997f, -0.49999997f, 88.72283f, 88.7229f, 89.0f, -87.33655f, -103.97208f,
	-104.0f, -150.0f, 1.0000001f, 0.99999994f, 0.625f, 0.62499994f, 9.1f, 3.92f, 3.8325f,
	1.5707964f, 3.1415927f, 252.898208f, 52516.434f, 1011.59283f, 14.1371670f, 4.712389f, 6.2831855f, -1.5707964f, 1e4f, -1e4f, 1e5f, 7.0e6f, 1e30f,
};

/* The unary inputs, padded with zeros to a multiple of 8. */
static inputs unary_inputs(void)
{
	inputs in = {0};
	for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
		push(&in, specials[i]);
	for (uint64_t u = 0; u < (1ull << 32); u += 2039)
		push(&in, from_bits((uint32_t)u));
	/* Dense where methods switch: around 0.625, 1, 3.92, 9.1, 88. */
	for (uint32_t u = to_bits(0.5f); u < to_bits(4.0f); u += 127) {
		push(&in, from_bits(u));
		push(&in, -from_bits(u));
	}
	for (uint32_t u = to_bits(80.0f); u < to_bits(105.0f); u += 61) {
		push(&in, from_bits(u));
		push(&in, -from_bits(u));
	}
	for (int i = -50000; i <= 50000; i++)
		push(&in, (float)i * 0.5f);  /* multiples of pi/2 and halfway cases nearby */
	while (in.n % 8)
		push(&in, 0.0f);
	return in;
}

/* Pow: every base against every exponent. */
static void pow_inputs(inputs *x, inputs *y)
{
	static const float ys[] = {0.0f, -0.0f, 1.0f, -1.0f, 2.0f, -2.0f, 3.0f, -3.0f, 0.5f, -0.5f,
				   1.0f / 3, 10.0f, -10.0f, 127.0f, 128.0f, -149.0f, 0x1p24f, 0x1p24f + 2,
				   16777215.0f, 1e10f, -1e10f, INFINITY, -INFINITY, NAN, 1e-7f, -1e-7f,
				   0x1p-149f, 2.5f, -2.5f, 7.0f, 1.0000001f, 100.5f};
	inputs bx = {0}, by = {0};
	for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
		push(&bx, specials[i]);
	for (uint64_t u = 0; u < (1ull << 32); u += 2000003)
		push(&bx, from_bits((uint32_t)u));
	for (uint32_t u = to_bits(0.99f); u < to_bits(1.01f); u += 977)
		push(&bx, from_bits(u));
	for (size_t i = 0; i < sizeof ys / sizeof ys[0]; i++)
		push(&by, ys[i]);
	for (int i = -40; i <= 40; i++)
		push(&by, (float)i * 0.25f);
	for (uint32_t u = 0; u < 0x80000000u; u += 0x800009)
		push(&by, from_bits(u));
	for (int64_t i = 0; i < bx.n; i++)
		for (int64_t j = 0; j < by.n; j++) {
			push(x, bx.v[i]);
			push(y, by.v[j]);
		}
	for (int k = 0; k < 200000; k++) {  /* results near the overflow and underflow edges */
		float b = 1.0f + (float)(k % 1000) / 128.0f;
		push(x, b);
		push(y, (float)((k % 2 ? 128.0 : -149.0) / log2(b) * (1 + (k / 1000 - 100) * 1e-5)));
	}
	while (x->n % 8) {
		push(x, 1.0f);
		push(y, 1.0f);
	}
	free(bx.v);
	free(by.v);
}

/* ---- emission ---------------------------------------------------------------------- */

enum { V_SCALAR, V_AUTO, V_VEC8, N_VARIANTS };
static const char *const variant_name[] = {"scalar", "auto-vectorized", "vector<8>"};

static void init_types(cg *g)
{
	g->t_void = LLVMVoidTypeInContext(g->lc);
	g->t_i1 = LLVMInt1TypeInContext(g->lc);
	g->t_i8 = LLVMInt8TypeInContext(g->lc);
	g->t_i16 = LLVMInt16TypeInContext(g->lc);
	g->t_i32 = LLVMInt32TypeInContext(g->lc);
	g->t_i64 = LLVMInt64TypeInContext(g->lc);
	g->t_f32 = LLVMFloatTypeInContext(g->lc);
	g->t_f64 = LLVMDoubleTypeInContext(g->lc);
	g->t_ptr = LLVMPointerTypeInContext(g->lc, 0);
}

/* void NAME(ptr x, ptr y, ptr out, i64 n): out[i] = f(x[i]) or f(x[i], y[i]). */
static void emit_loop(cg *g, const char *name, unary_emit f1, bool binary, int variant)
{
	LLVMTypeRef params[4] = {g->t_ptr, g->t_ptr, g->t_ptr, g->t_i64};
	g->fn = LLVMAddFunction(g->mod, name, LLVMFunctionType(g->t_void, params, 4, 0));
	LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->lc, g->fn, "entry"));
	int w = variant == V_VEC8 ? 8 : 1;
	LLVMTypeRef t = w == 8 ? LLVMVectorType(g->t_f32, 8) : g->t_f32;
	cg_loop l;
	LLVMValueRef i = cg_for(g, &l, cg_i64(g, 0), LLVMGetParam(g->fn, 3), w);
	LLVMValueRef p[3];
	for (int k = 0; k < 3; k++)
		p[k] = LLVMBuildInBoundsGEP2(g->b, g->t_f32, LLVMGetParam(g->fn, (unsigned)k), &i, 1, "");
	LLVMValueRef x = LLVMBuildLoad2(g->b, t, p[0], "");
	LLVMSetAlignment(x, 4);
	LLVMValueRef r;
	if (binary) {
		LLVMValueRef y = LLVMBuildLoad2(g->b, t, p[1], "");
		LLVMSetAlignment(y, 4);
		r = cg_pow(g, x, y);
	} else {
		r = f1(g, x);
	}
	LLVMSetAlignment(LLVMBuildStore(g->b, r, p[2]), 4);
	cg_endfor(g, &l);
	LLVMBuildRetVoid(g->b);
}

/* Declarations the optimized module may keep: the allowed intrinsics. */
static bool allowed_decl(const char *name)
{
	static const char *const ok[] = {"llvm.fabs.", "llvm.sqrt.", "llvm.copysign.", "llvm.fmuladd.",
					 "llvm.fma.", "llvm.smax.", "llvm.smin.", "llvm.umax.",
					 "llvm.umin.", "llvm.abs."};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (!strncmp(name, ok[i], strlen(ok[i])))
			return true;
	return false;
}

static void check_decls(LLVMModuleRef mod)
{
	for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
		size_t len;
		const char *name = LLVMGetValueName2(f, &len);
		if (LLVMIsDeclaration(f) && !allowed_decl(name)) {
			fprintf(stderr, "optimized module declares %s\n", name);
			CHECK(!"only allowed intrinsics");
		}
	}
}

static bool ok_err(LLVMErrorRef e, const char *what)
{
	if (!e)
		return true;
	char *msg = LLVMGetErrorMessage(e);
	fprintf(stderr, "%s: %s\n", what, msg);
	LLVMDisposeErrorMessage(msg);
	return false;
}

static LLVMTargetMachineRef make_tm(const char *cpu, const char *features)
{
	char *triple = LLVMGetDefaultTargetTriple(), *err = NULL;
	LLVMTargetRef target;
	LLVMTargetMachineRef tm = NULL;
	if (!LLVMGetTargetFromTriple(triple, &target, &err))
		tm = LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelDefault,
					     LLVMRelocDefault, LLVMCodeModelJITDefault);
	else
		fprintf(stderr, "%s\n", err), LLVMDisposeMessage(err);
	LLVMDisposeMessage(triple);
	return tm;
}

typedef void (*kernel_fn)(const float *x, const float *y, float *out, int64_t n);

/* A JIT holding every function in one variant for one CPU. */
typedef struct jit {
	LLVMOrcLLJITRef j;
	kernel_fn fn[N_CASES + 1];
} jit;

static bool build_jit(jit *J, const char *cpu, const char *features, int variant)
{
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	cg g = {0};
	g.lc = LLVMOrcThreadSafeContextGetContext(tsc);
	g.mod = LLVMModuleCreateWithNameInContext("cg_math_test", g.lc);
	g.b = LLVMCreateBuilderInContext(g.lc);
	init_types(&g);
	char name[32];
	for (size_t k = 0; k < N_CASES; k++) {
		snprintf(name, sizeof name, "t_%s", cases[k].name);
		emit_loop(&g, name, cases[k].emit, false, variant);
	}
	emit_loop(&g, "t_pow", NULL, true, variant);
	LLVMDisposeBuilder(g.b);
	char *msg = NULL;
	if (LLVMVerifyModule(g.mod, LLVMReturnStatusAction, &msg)) {
		fprintf(stderr, "invalid module: %s\n", msg);
		CHECK(!"module verifies");
	}
	LLVMDisposeMessage(msg);

	LLVMTargetMachineRef tm = make_tm(cpu, features);
	LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
	LLVMPassBuilderOptionsSetLoopVectorization(po, variant == V_AUTO);
	LLVMPassBuilderOptionsSetSLPVectorization(po, variant == V_AUTO);
	bool ok = tm && ok_err(LLVMRunPasses(g.mod, "default<O2>", tm, po), "passes");
	LLVMDisposePassBuilderOptions(po);
	check_decls(g.mod);

	LLVMOrcLLJITBuilderRef jb = LLVMOrcCreateLLJITBuilder();
	LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(jb, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm));
	ok = ok && ok_err(LLVMOrcCreateLLJIT(&J->j, jb), "LLJIT");
	LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(g.mod, tsc);
	ok = ok && ok_err(LLVMOrcLLJITAddLLVMIRModule(J->j, LLVMOrcLLJITGetMainJITDylib(J->j), tsm), "add");
	LLVMOrcDisposeThreadSafeContext(tsc);
	for (size_t k = 0; ok && k <= N_CASES; k++) {
		LLVMOrcExecutorAddress a = 0;
		snprintf(name, sizeof name, "t_%s", k < N_CASES ? cases[k].name : "pow");
		ok = ok_err(LLVMOrcLLJITLookup(J->j, &a, name), name);
		J->fn[k] = (kernel_fn)(uintptr_t)a;
	}
	return ok;
}

/* ---- errors ------------------------------------------------------------------------- */

/* The f32 ulp at the magnitude of v (subnormal spacing below 2^-126). */
static double ulp_of(double v)
{
	int e;
	frexp(fabs(v), &e);
	return ldexp(1.0, (e - 1 < -126 ? -126 : e - 1) - 23);
}

/* Error of got against the exact ref in ulp; HUGE_VAL for a wrong NaN or
** infinity (an infinity counts as 2^128 against a finite ref). */
static double ulp_err(float got, double ref)
{
	if (isnan(ref) || isnan(got))
		return isnan(ref) && isnan(got) ? 0 : HUGE_VAL;
	if (isinf(ref))
		return (double)got == ref ? 0 : HUGE_VAL;
	/* Beyond the largest f32 (and half its ulp), the exact result is inf. */
	if (fabs(ref) >= 0x1.ffffffp127)
		ref = copysign(0x1p128, ref);
	double gd = isinf(got) ? copysign(0x1p128, got) : got;
	return fabs(gd - ref) / ulp_of(ref);
}

typedef struct worst {
	double err;
	float x, y, got;
	double ref;
	bool seen;
} worst;

static void note(worst *w, double err, float x, float y, float got, double ref)
{
	if (!w->seen || err > w->err)
		*w = (worst){err, x, y, got, ref, true};
}

/* Fold the errors of got over x[0..n) into w (in range) and out (beyond). */
static void measure(const math_case *c, const float *x, int64_t n, const float *got, const double *ref,
		    worst *w, worst *out)
{
	for (int64_t i = 0; i < n; i++) {
		if (c->bound == 0) {  /* exact, signed zeros included */
			float want = (float)ref[i];
			bool same = isnan(want) ? isnan(got[i]) : to_bits(got[i]) == to_bits(want);
			note(w, same ? 0 : HUGE_VAL, x[i], 0, got[i], ref[i]);
		} else if (!(fabsf(x[i]) <= c->range)) {
			bool sane = isfinite(x[i]) ? fabsf(got[i]) <= c->limit : isnan(got[i]);
			note(out, sane ? 0 : HUGE_VAL, x[i], 0, got[i], ref[i]);
		} else {
			note(w, ulp_err(got[i], ref[i]), x[i], 0, got[i], ref[i]);
		}
	}
}

static void report(const math_case *c, const char *label, const worst *w, const worst *out)
{
	printf("  %-9s %-22s max %.3f ulp at %a (got %a, want %a)\n", c->name, label, w->err, w->x, w->got,
	       w->ref);
	CHECK(w->err <= c->bound);
	CHECK(out->err == 0);
	if (out->err != 0)
		fprintf(stderr, "%s: input %a beyond the accurate range gave %a\n", c->name, out->x, out->got);
}

static void check_pow(const inputs *x, const inputs *y, const float *got, const double *ref, const char *label)
{
	worst w = {0};
	for (int64_t i = 0; i < x->n; i++)
		note(&w, ulp_err(got[i], ref[i]), x->v[i], y->v[i], got[i], ref[i]);
	printf("  %-9s %-22s max %.3f ulp at %a ^ %a (got %a, want %a)\n", "pow", label, w.err, w.x, w.y,
	       w.got, w.ref);
	CHECK(w.err <= POW_BOUND);
}

/* Every f32 through the unary functions named in the comma-separated list
** (all for "all"), host CPU, auto-vectorized: minutes per function, so
** only when CG_MATH_EXHAUSTIVE names some; docs/codegen-math.md quotes its
** output. */
static void exhaustive(const jit *J, const char *list)
{
	const int64_t chunk = 1 << 22;
	float *x = malloc((size_t)chunk * sizeof *x), *got = malloc((size_t)chunk * sizeof *got);
	double *ref = malloc((size_t)chunk * sizeof *ref);
	for (size_t k = 0; k < N_CASES; k++) {
		char item[32];
		snprintf(item, sizeof item, ",%s,", cases[k].name);
		if (strcmp(list, "all") != 0 && !strstr(list, item))
			continue;
		worst w = {0}, out = {0};
		for (uint64_t base = 0; base < (1ull << 32); base += (uint64_t)chunk) {
			for (int64_t i = 0; i < chunk; i++) {
				x[i] = from_bits((uint32_t)(base + (uint64_t)i));
				ref[i] = cases[k].ref(x[i]);
			}
			J->fn[k](x, x, got, chunk);
			measure(&cases[k], x, chunk, got, ref, &w, &out);
		}
		report(&cases[k], "all f32", &w, &out);
		fflush(stdout);
	}
	free(x);
	free(got);
	free(ref);
}

int main(void)
{
	LLVMInitializeNativeTarget();
	LLVMInitializeNativeAsmPrinter();
	char *host_cpu = LLVMGetHostCPUName(), *host_features = LLVMGetHostCPUFeatures();
	/* The host, and on x86-64 a baseline CPU without FMA. */
	const char *cpus[2][2] = {{host_cpu, host_features}, {"x86-64", ""}};
	char *triple = LLVMGetDefaultTargetTriple();
	int n_cpus = strncmp(triple, "x86_64", 6) == 0 ? 2 : 1;
	LLVMDisposeMessage(triple);

	static jit J[2][N_VARIANTS];
	bool built[2][N_VARIANTS] = {{false}};
	for (int c = 0; c < n_cpus; c++)
		for (int v = 0; v < N_VARIANTS; v++) {
			built[c][v] = build_jit(&J[c][v], cpus[c][0], cpus[c][1], v);
			CHECK(built[c][v]);
		}
	const char *list = getenv("CG_MATH_EXHAUSTIVE");
	if (list && built[0][V_AUTO]) {
		char padded[256];
		snprintf(padded, sizeof padded, strcmp(list, "all") ? ",%s," : "%s", list);
		exhaustive(&J[0][V_AUTO], padded);
	}

	inputs in = unary_inputs(), px = {0}, py = {0};
	pow_inputs(&px, &py);
	int64_t n_max = in.n > px.n ? in.n : px.n;
	float *got = malloc((size_t)n_max * sizeof *got);
	double *ref = malloc((size_t)n_max * sizeof *ref);
	printf("%lld unary inputs, %lld pow pairs\n", (long long)in.n, (long long)px.n);
	char label[64];
	for (size_t k = 0; k <= N_CASES; k++) {
		const inputs *x = k < N_CASES ? &in : &px;
		for (int64_t i = 0; i < x->n; i++)
			ref[i] = k < N_CASES ? cases[k].ref(x->v[i]) : pow(px.v[i], py.v[i]);
		for (int c = 0; c < n_cpus; c++)
			for (int v = 0; v < N_VARIANTS; v++) {
				if (!built[c][v])
					continue;
				J[c][v].fn[k](x->v, k < N_CASES ? x->v : py.v, got, x->n);
				snprintf(label, sizeof label, "%s/%s", c ? "nofma" : "host", variant_name[v]);
				if (k == N_CASES) {
					check_pow(&px, &py, got, ref, label);
					continue;
				}
				worst w = {0}, out = {0};
				measure(&cases[k], x->v, x->n, got, ref, &w, &out);
				report(&cases[k], label, &w, &out);
			}
	}
	for (int c = 0; c < n_cpus; c++)
		for (int v = 0; v < N_VARIANTS; v++)
			if (built[c][v])
				CHECK(ok_err(LLVMOrcDisposeLLJIT(J[c][v].j), "dispose"));
	free(got);
	free(ref);
	free(in.v);
	free(px.v);
	free(py.v);
	LLVMDisposeMessage(host_cpu);
	LLVMDisposeMessage(host_features);
	return check_done("test_cg_math");
}
