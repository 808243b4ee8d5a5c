/*
** cg_module.c - one graph into one LLVM module: constants, a function per
** op, the body that calls them over the memory plan, the checked entry
** points and the descriptor; then optimization and emission.
**
** Module layout (all internal but the two PREFIX_ symbols):
**   w.N               constant weights, 64-byte aligned
**   kI.Op             the kernel of op I: (operands..., results..., [workspace]);
**                     for the root of a fused elementwise group (passes/plan.h)
**                     the operands are the group's leaves, and the ops fused
**                     into it have no function
**   body              (inputs..., outputs..., scratch): calls the kernels
**   PREFIX_run        typed entry: checks pointers, calls body
**   run.generic       (const void *const *in, void *const *out, scratch)
**   PREFIX_model      the condense_model descriptor
*/
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "codegen/cg.h"
#include "codegen/cg_internal.h"
#include "codegen/cg_target.h"

/* ---- constant data ------------------------------------------------------ */

typedef struct const_entry {
	ir_hash hash;
	int64_t size;
	LLVMValueRef global;
} const_entry;

struct cg_consts {
	const_entry *e;
	int32_t n, cap;
};

LLVMValueRef cg_const_bytes(cg *g, const void *data, int64_t size, const char *name)
{
	cg_consts *t = g->consts;
	ir_hash h = ir_hash_bytes(data, (size_t)size);
	for (int32_t i = 0; i < t->n; i++)
		if (t->e[i].size == size && t->e[i].hash.lo == h.lo && t->e[i].hash.hi == h.hi)
			return t->e[i].global;
	if (t->n == t->cap) {
		int32_t cap = t->cap ? t->cap * 2 : 64;
		const_entry *e = ir_alloc_array(g->c, (size_t)cap, sizeof *e);
		if (t->n)
			memcpy(e, t->e, (size_t)t->n * sizeof *e);
		t->e = e;
		t->cap = cap;
	}
	LLVMValueRef init = LLVMConstStringInContext(g->lc, size ? data : "", (unsigned)size, 1);
	LLVMValueRef gv = LLVMAddGlobal(g->mod, LLVMTypeOf(init), name ? name : "w");
	LLVMSetInitializer(gv, init);
	LLVMSetGlobalConstant(gv, 1);
	LLVMSetLinkage(gv, LLVMInternalLinkage);
	LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
	LLVMSetAlignment(gv, 64);
	if (g->opt->weights_section)
		LLVMSetSection(gv, g->opt->weights_section);
	t->e[t->n++] = (const_entry){h, size, gv};
	return gv;
}

/* Drop constant globals no kernel kept (weights a kernel re-packed), then
** count the bytes of those that remain. */
static void sweep_consts(cg *g)
{
	cg_consts *t = g->consts;
	g->weight_bytes = 0;
	for (int32_t i = 0; i < t->n; i++) {
		if (!LLVMGetFirstUse(t->e[i].global)) {
			LLVMDeleteGlobal(t->e[i].global);
			continue;
		}
		g->weight_bytes += t->e[i].size;
	}
}

/* ---- op kernels ------------------------------------------------------------ */

typedef int (*kernel_fn)(cg *g, const ir_op *op, const cg_buf *in, const cg_buf *out);

static kernel_fn kernel_of(ir_opkind k)
{
	static const kernel_fn table[] = {
#define OP(id, name, inlo, inhi, outlo, outhi, ty, rule, kern, attrs, doc) cg_k_##kern,
#include "ir/ops.h"
#undef OP
	};
	return table[k];
}

/* Where value v lives, as a pointer usable inside the body function. */
static LLVMValueRef value_ptr(cg *g, cg_frame *f, ir_val v)
{
	const plan_loc *l = &f->plan->loc[v];
	switch (l->kind) {
	case PLAN_INPUT: return LLVMGetParam(f->body, (unsigned)l->index);
	case PLAN_OUTPUT: return LLVMGetParam(f->body, (unsigned)(g->g->n_inputs + (uint32_t)l->index));
	case PLAN_CONST: return f->const_ptr[l->root];
	case PLAN_SCRATCH: {
		LLVMValueRef off = cg_i64(g, l->offset);
		return LLVMBuildInBoundsGEP2(g->b, g->t_i8, f->scratch, &off, 1, "");
	}
	default: return LLVMConstPointerNull(g->t_ptr);
	}
}

/* The global of every constant value (created up front; unused ones are
** swept after emission). */
static void make_const_globals(cg *g, cg_frame *f)
{
	ir_graph *gr = g->g;
	f->const_ptr = ir_alloc_array(g->c, gr->n_vals, sizeof *f->const_ptr);
	for (uint32_t i = 0; i < gr->n_ops; i++) {
		const ir_op *op = gr->ops[i];
		if (op->kind != IR_OP_CONST)
			continue;
		const ir_blob *b = ir_blob_get(gr, op->blob);
		f->const_ptr[op->out[0]] = cg_const_bytes(g, b->data, b->size, "w");
	}
}

/* The op's pointer arguments: operands that are not constants, results,
** then the workspace.  key[] identifies the storage behind each, so that
** distinct storage can be marked noalias. */
typedef struct op_args {
	LLVMValueRef *val;
	ir_val *key;
	int n;
} op_args;

static bool is_const(const cg_frame *f, ir_val v)
{
	return f->plan->loc[v].kind == PLAN_CONST;
}

/* The values op's kernel reads: its operands, or for the root of a fused
** group the group's leaves (distinct, in the plan's order). */
static int kernel_operands(cg *g, cg_frame *f, const ir_op *op, ir_val *v)
{
	if (plan_is_group_root(f->plan, op))
		return plan_group_leaves(g->g, f->plan, op, v, PLAN_FUSE_MAX_LEAVES);
	for (int32_t k = 0; k < op->n_in; k++)
		v[k] = op->in[k];
	return op->n_in;
}

static void collect_args(cg *g, cg_frame *f, uint32_t i, op_args *a)
{
	const ir_op *op = g->g->ops[i];
	size_t nv = (size_t)op->n_in + PLAN_FUSE_MAX_LEAVES;
	ir_val *v = ir_alloc_array(g->c, nv, sizeof *v);
	int n = kernel_operands(g, f, op, v);
	size_t cap = (size_t)n + (size_t)op->n_out + 1;
	a->val = ir_alloc_array(g->c, cap, sizeof *a->val);
	a->key = ir_alloc_array(g->c, cap, sizeof *a->key);
	a->n = 0;
	for (int k = 0; k < n; k++) {
		if (v[k] == IR_NOVAL || is_const(f, v[k]))
			continue;
		a->key[a->n] = f->plan->loc[v[k]].root;
		a->val[a->n++] = value_ptr(g, f, v[k]);
	}
	for (int32_t k = 0; k < op->n_out; k++) {
		a->key[a->n] = f->plan->loc[op->out[k]].root;
		a->val[a->n++] = value_ptr(g, f, op->out[k]);
	}
	if (f->plan->ws_size[i] > 0) {
		LLVMValueRef off = cg_i64(g, f->plan->ws_offset[i]);
		a->key[a->n] = IR_NOVAL;
		a->val[a->n++] = LLVMBuildInBoundsGEP2(g->b, g->t_i8, f->scratch, &off, 1, "");
	}
}

static void add_attr(cg *g, LLVMValueRef fn, unsigned idx, const char *name)
{
	unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
	LLVMAddAttributeAtIndex(fn, idx, LLVMCreateEnumAttribute(g->lc, kind, 0));
}

/* The caller's inputs, outputs and scratch never overlap (the documented
** contract of PREFIX_run), so every pointer parameter of the body and the
** entry is noalias; without it LLVM must assume a copy into an output may
** overwrite an input, and forms memmove calls. */
void cg_noalias_params(cg *g, LLVMValueRef fn)
{
	unsigned n = LLVMCountParams(fn);
	for (unsigned k = 0; k < n; k++)
		add_attr(g, fn, k + 1, "noalias");
}

/* Declare kernel function of op i with the argument list's shape. */
static LLVMValueRef declare_kernel(cg *g, uint32_t i, const op_args *a)
{
	LLVMTypeRef *params = ir_alloc_array(g->c, (size_t)a->n + 1, sizeof *params);
	for (int k = 0; k < a->n; k++)
		params[k] = g->t_ptr;
	LLVMTypeRef fty = LLVMFunctionType(g->t_void, params, (unsigned)a->n, 0);
	char name[64];
	snprintf(name, sizeof name, "k%u.%s", i, ir_op_name(g->g->ops[i]->kind));
	LLVMValueRef fn = LLVMAddFunction(g->mod, name, fty);
	LLVMSetLinkage(fn, LLVMInternalLinkage);
	add_attr(g, fn, LLVMAttributeFunctionIndex, "nounwind");
	for (int k = 0; k < a->n; k++) {
		bool shared = false;
		for (int m = 0; m < a->n; m++)
			shared |= m != k && a->key[m] == a->key[k] && a->key[k] != IR_NOVAL;
		if (!shared)
			add_attr(g, fn, (unsigned)k + 1, "noalias");
	}
	return fn;
}

/* The cg_buf of value v read by kernel fn; p counts the parameters taken. */
static cg_buf operand_buf(cg *g, cg_frame *f, ir_val v, LLVMValueRef fn, unsigned *p)
{
	cg_buf b = {0};
	if (v == IR_NOVAL)
		return b;
	b.type = ir_type_of(g->g, v);
	if (is_const(f, v)) {
		b.ptr = f->const_ptr[f->plan->loc[v].root];
		b.konst = ir_const_of(g->g, f->plan->loc[v].root);
	} else {
		b.ptr = LLVMGetParam(fn, (*p)++);
	}
	return b;
}

/* The cg_buf views of the kernel's parameters: in[] by op->in (a fused
** operand has its type only) and, for a group root, vbuf[] by leaf. */
static void kernel_bufs(cg *g, cg_frame *f, const ir_op *op, LLVMValueRef fn, cg_buf *in, cg_buf *out,
			cg_buf *vbuf)
{
	unsigned p = 0;
	if (plan_is_group_root(f->plan, op)) {
		ir_val v[PLAN_FUSE_MAX_LEAVES];
		int n = plan_group_leaves(g->g, f->plan, op, v, PLAN_FUSE_MAX_LEAVES);
		for (int k = 0; k < n; k++)
			vbuf[v[k]] = operand_buf(g, f, v[k], fn, &p);
		for (int32_t k = 0; k < op->n_in; k++) {
			ir_val w = op->in[k];
			in[k] = w == IR_NOVAL || f->plan->loc[w].kind != PLAN_FUSED ? vbuf[w]
				: (cg_buf){.type = ir_type_of(g->g, w)};
		}
	} else {
		for (int32_t k = 0; k < op->n_in; k++)
			in[k] = operand_buf(g, f, op->in[k], fn, &p);
	}
	for (int32_t k = 0; k < op->n_out; k++) {
		ir_val v = op->out[k];
		ir_val root = f->plan->loc[v].root;
		out[k] = (cg_buf){LLVMGetParam(fn, p++), ir_type_of(g->g, v), NULL, root != v};
	}
	g->ws = LLVMCountParams(fn) > p ? LLVMGetParam(fn, p) : NULL;
}

/* Emit op i's kernel and the call to it from the body.  vbuf (per value,
** all empty) lends the kernel its leaves' buffers while it is emitted. */
static int emit_op(cg *g, cg_frame *f, uint32_t i, cg_buf *vbuf)
{
	const ir_op *op = g->g->ops[i];
	op_args a;
	collect_args(g, f, i, &a);
	LLVMValueRef fn = declare_kernel(g, i, &a);
	LLVMTypeRef fty = LLVMGlobalGetValueType(fn);
	LLVMBuildCall2(g->b, fty, fn, a.val, (unsigned)a.n, "");
	LLVMBasicBlockRef resume = LLVMGetInsertBlock(g->b);

	cg_buf *in = ir_alloc_array(g->c, (size_t)op->n_in + 1, sizeof *in);
	cg_buf *out = ir_alloc_array(g->c, (size_t)op->n_out + 1, sizeof *out);
	g->fn = fn;
	g->op = op;
	g->ws_size = f->plan->ws_size[i];
	LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->lc, fn, "entry"));
	kernel_bufs(g, f, op, fn, in, out, vbuf);
	g->vbuf = vbuf;
	int64_t macs = g->macs;
	int rc = kernel_of(op->kind)(g, op, in, out);
	f->op_macs[i] = g->macs - macs;
	g->vbuf = NULL;
	if (plan_is_group_root(f->plan, op)) {
		ir_val v[PLAN_FUSE_MAX_LEAVES];
		int n = plan_group_leaves(g->g, f->plan, op, v, PLAN_FUSE_MAX_LEAVES);
		for (int k = 0; k < n; k++)
			vbuf[v[k]] = (cg_buf){0};
	}
	LLVMBuildRetVoid(g->b);
	g->fn = f->body;
	LLVMPositionBuilderAtEnd(g->b, resume);
	return rc;
}

/* A view op's result shares its operand's bytes: no code, unless the
** result had to land in an output buffer.  A fused op's code is in its
** group root's kernel. */
static bool needs_code(const cg_frame *f, const ir_op *op)
{
	if (op->kind == IR_OP_CONST || (op->n_out == 1 && f->plan->loc[op->out[0]].kind == PLAN_FUSED))
		return false;
	return !plan_is_view(op) || f->plan->loc[op->out[0]].root == op->out[0];
}

/* Outputs not computed in place (a graph input, a constant, or a value
** listed twice): copy them at the end. */
static void copy_outputs(cg *g, cg_frame *f)
{
	ir_graph *gr = g->g;
	for (uint32_t k = 0; k < gr->n_outputs; k++) {
		ir_val v = gr->outputs[k].val;
		const plan_loc *l = &f->plan->loc[v];
		if (l->kind == PLAN_OUTPUT && l->index == (int32_t)k)
			continue;
		int64_t n = 0;
		ir_type_bytes(ir_type_of(gr, v), &n);
		cg_memcpy(g, LLVMGetParam(f->body, gr->n_inputs + k), value_ptr(g, f, v), n);
	}
}

static int emit_body(cg *g, cg_frame *f)
{
	ir_graph *gr = g->g;
	uint32_t np = gr->n_inputs + gr->n_outputs + 1;
	LLVMTypeRef *params = ir_alloc_array(g->c, np, sizeof *params);
	for (uint32_t k = 0; k < np; k++)
		params[k] = g->t_ptr;
	f->body = LLVMAddFunction(g->mod, "body", LLVMFunctionType(g->t_void, params, np, 0));
	LLVMSetLinkage(f->body, LLVMInternalLinkage);
	add_attr(g, f->body, LLVMAttributeFunctionIndex, "nounwind");
	cg_noalias_params(g, f->body);
	f->scratch = LLVMGetParam(f->body, np - 1);
	g->fn = f->body;
	LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->lc, f->body, "entry"));
	f->op_macs = ir_alloc_array(g->c, gr->n_ops ? gr->n_ops : 1, sizeof *f->op_macs);
	cg_buf *vbuf = ir_alloc_array(g->c, gr->n_vals, sizeof *vbuf);
	for (uint32_t i = 0; i < gr->n_ops; i++)
		if (needs_code(f, gr->ops[i]) && emit_op(g, f, i, vbuf) < 0)
			return -1;
	copy_outputs(g, f);
	LLVMBuildRetVoid(g->b);
	return 0;
}

/* ---- module set-up, optimization, emission ---------------------------------- */

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

static void init_module(cg *g, const cg_target *t, const char *prefix)
{
	g->lc = LLVMContextCreate();
	g->mod = LLVMModuleCreateWithNameInContext(prefix, g->lc);
	LLVMSetSourceFileName(g->mod, prefix, strlen(prefix));
	LLVMSetTarget(g->mod, t->triple);
	g->td = LLVMCreateTargetDataLayout(t->tm);
	LLVMSetModuleDataLayout(g->mod, g->td);
	if (t->abi) {
		LLVMMetadataRef abi = LLVMMDStringInContext2(g->lc, t->abi, strlen(t->abi));
		LLVMAddModuleFlag(g->mod, LLVMModuleFlagBehaviorError, "target-abi", 10, abi);
	}
	g->b = LLVMCreateBuilderInContext(g->lc);
	g->tm = t->tm;
	g->vec_bytes = t->vec_bytes;
	init_types(g);
}

/* LLVM turns copy loops it cannot prove disjoint into memmove calls; the
** object may call only memcpy and memset, so tell its library model that
** memmove does not exist.  Every defined function needs it: loop idioms
** are formed before and after inlining. */
static void forbid_memmove(cg *g)
{
	static const char key[] = "no-builtin-memmove";
	for (LLVMValueRef fn = LLVMGetFirstFunction(g->mod); fn; fn = LLVMGetNextFunction(fn))
		if (!LLVMIsDeclaration(fn))
			LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
						LLVMCreateStringAttribute(g->lc, key, sizeof key - 1, "", 0));
}

static int optimize(cg *g)
{
	forbid_memmove(g);
	char *msg = NULL;
	if (LLVMVerifyModule(g->mod, LLVMReturnStatusAction, &msg)) {
		ir_error(g->c, g->g->loc, "internal error: generated LLVM IR does not verify: %.300s", msg);
		LLVMDisposeMessage(msg);
		return -1;
	}
	LLVMDisposeMessage(msg);
	char pipeline[32];
	snprintf(pipeline, sizeof pipeline, "default<O%d>", g->opt->opt_level);
	LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
	LLVMErrorRef err = LLVMRunPasses(g->mod, pipeline, g->tm, po);
	LLVMDisposePassBuilderOptions(po);
	if (err) {
		char *e = LLVMGetErrorMessage(err);
		ir_error(g->c, g->g->loc, "internal error: LLVM passes failed: %s", e);
		LLVMDisposeErrorMessage(e);
		return -1;
	}
	return 0;
}

static int emit_output(cg *g, FILE *out)
{
	if (g->opt->emit == CG_EMIT_LLVM) {
		char *s = LLVMPrintModuleToString(g->mod);
		fputs(s, out);
		LLVMDisposeMessage(s);
	} else {
		LLVMMemoryBufferRef buf = NULL;
		char *err = NULL;
		LLVMCodeGenFileType ft = g->opt->emit == CG_EMIT_ASM ? LLVMAssemblyFile : LLVMObjectFile;
		if (LLVMTargetMachineEmitToMemoryBuffer(g->tm, g->mod, ft, &err, &buf)) {
			ir_error(g->c, g->g->loc, "LLVM code generation failed: %s", err ? err : "?");
			LLVMDisposeMessage(err);
			return -1;
		}
		fwrite(LLVMGetBufferStart(buf), 1, LLVMGetBufferSize(buf), out);
		LLVMDisposeMemoryBuffer(buf);
	}
	if (fflush(out) || ferror(out))
		return ir_error(g->c, (ir_loc){0}, "cannot write the compiled output");
	return 0;
}

typedef struct compile_job {
	ir_graph *gr;
	const cg_options *o;
	FILE *out;
	cg_result *r;
	cg *g;
	cg_target *t;
} compile_job;

static int compile_protected(ir_ctx *c, void *ud)
{
	compile_job *j = ud;
	cg *g = j->g;
	cg_result *r = j->r;
	if (cg_target_open(c, j->o, j->t) < 0)
		return -1;
	r->triple = j->t->triple;
	r->cpu = j->t->cpu;
	r->features = j->t->features;
	r->prefix = j->o->prefix ? j->o->prefix : cg_prefix_from_name(c, j->gr->name);
	if (cg_check_quantized(g) < 0)
		return -1;
	if (plan_graph(j->gr, cg_workspace, &j->t->vec_bytes, &r->plan) < 0)
		return -1;
	g->plan = &r->plan;
	init_module(g, j->t, r->prefix);
	cg_frame f = {.plan = &r->plan};
	g->frame = &f;
	make_const_globals(g, &f);
	if (emit_body(g, &f) < 0 || cg_emit_entries(g, &f, r->prefix) < 0)
		return -1;
	sweep_consts(g);
	r->op_macs = f.op_macs;
	r->macs = g->macs;
	r->weight_bytes = g->weight_bytes;
	if (optimize(g) < 0)
		return -1;
	return emit_output(g, j->out);
}

int cg_compile(ir_graph *gr, const cg_options *o, FILE *out, cg_result *r)
{
	cg g = {.c = gr->ctx, .g = gr, .opt = o};
	cg_consts consts = {0};
	cg_target t = {0};
	g.consts = &consts;
	memset(r, 0, sizeof *r);
	compile_job j = {gr, o, out, r, &g, &t};
	int rc = ir_protect(gr->ctx, compile_protected, &j);
	if (g.b)
		LLVMDisposeBuilder(g.b);
	if (g.td)
		LLVMDisposeTargetData(g.td);
	if (g.mod)
		LLVMDisposeModule(g.mod);
	if (g.lc)
		LLVMContextDispose(g.lc);
	cg_target_close(&t);
	return rc;
}
