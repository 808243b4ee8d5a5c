/*
** cg_core.c - the building blocks kernel emitters share: constants, loops,
** element loads and stores with the interpreter's conversions.
*/
#include <stdarg.h>
#include <string.h>

#include "codegen/cg.h"

int cg_unsupported(cg *g, const ir_op *op, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (op->name)
		return ir_error(g->c, op->loc, "'%s' op (node '%s'): the code generator does not support %s",
				ir_op_name(op->kind), op->name, what);
	return ir_error(g->c, op->loc, "'%s' op: the code generator does not support %s",
			ir_op_name(op->kind), what);
}

/* ---- constants and types --------------------------------------------------- */

LLVMValueRef cg_i64(cg *g, int64_t v) { return LLVMConstInt(g->t_i64, (unsigned long long)v, 1); }
LLVMValueRef cg_i32(cg *g, int32_t v) { return LLVMConstInt(g->t_i32, (unsigned long long)(int64_t)v, 1); }
LLVMValueRef cg_f32(cg *g, float v) { return LLVMConstReal(g->t_f32, v); }

LLVMTypeRef cg_mem_type(cg *g, ir_dtype dt)
{
	switch (dt) {
	case IR_F32: return g->t_f32;
	case IR_F16: case IR_I16: return g->t_i16;
	case IR_I32: return g->t_i32;
	case IR_I64: return g->t_i64;
	default: return g->t_i8;  /* i8, u8, bool, i4 (bytes) */
	}
}

LLVMTypeRef cg_calc_type(cg *g, ir_dtype dt)
{
	return ir_dtype_is_float(dt) ? g->t_f32 : g->t_i64;
}

int64_t cg_numel(const ir_type *t)
{
	int64_t n = 1;
	for (int i = 0; i < t->rank; i++)
		n *= t->dims[i];
	return n;
}

void cg_strides(const ir_type *t, int64_t *strides)
{
	int64_t s = 1;
	for (int i = t->rank - 1; i >= 0; i--) {
		strides[i] = s;
		s *= t->dims[i];
	}
}

/* ---- control flow -------------------------------------------------------------- */

LLVMBasicBlockRef cg_block(cg *g, const char *name)
{
	return LLVMAppendBasicBlockInContext(g->lc, g->fn, name);
}

LLVMValueRef cg_for(cg *g, cg_loop *l, LLVMValueRef lo, LLVMValueRef hi, int64_t step)
{
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(g->b);
	l->head = cg_block(g, "loop");
	l->body = cg_block(g, "body");
	l->exit = cg_block(g, "done");
	l->step = step;
	LLVMBuildBr(g->b, l->head);
	LLVMPositionBuilderAtEnd(g->b, l->head);
	l->phi = LLVMBuildPhi(g->b, g->t_i64, "i");
	LLVMAddIncoming(l->phi, &lo, &pre, 1);
	LLVMValueRef more = LLVMBuildICmp(g->b, LLVMIntSLT, l->phi, hi, "");
	LLVMBuildCondBr(g->b, more, l->body, l->exit);
	LLVMPositionBuilderAtEnd(g->b, l->body);
	l->iv = l->phi;
	return l->iv;
}

LLVMValueRef cg_fori(cg *g, cg_loop *l, int64_t lo, int64_t hi, int64_t step)
{
	return cg_for(g, l, cg_i64(g, lo), cg_i64(g, hi), step);
}

void cg_endfor(cg *g, cg_loop *l)
{
	LLVMValueRef next = LLVMBuildNSWAdd(g->b, l->phi, cg_i64(g, l->step), "");
	LLVMBasicBlockRef latch = LLVMGetInsertBlock(g->b);
	LLVMBuildBr(g->b, l->head);
	LLVMAddIncoming(l->phi, &next, &latch, 1);
	/* Keep blocks in program order: the exit after everything emitted so far. */
	LLVMMoveBasicBlockAfter(l->exit, latch);
	LLVMPositionBuilderAtEnd(g->b, l->exit);
}

void cg_if(cg *g, cg_if_t *s, LLVMValueRef cond)
{
	s->then_bb = cg_block(g, "then");
	s->else_bb = cg_block(g, "else");
	s->join = cg_block(g, "endif");
	s->has_else = false;
	LLVMBuildCondBr(g->b, cond, s->then_bb, s->else_bb);
	LLVMPositionBuilderAtEnd(g->b, s->then_bb);
}

void cg_else(cg *g, cg_if_t *s)
{
	LLVMBuildBr(g->b, s->join);
	LLVMMoveBasicBlockAfter(s->else_bb, LLVMGetInsertBlock(g->b));
	LLVMPositionBuilderAtEnd(g->b, s->else_bb);
	s->has_else = true;
}

void cg_endif(cg *g, cg_if_t *s)
{
	LLVMBuildBr(g->b, s->join);
	if (!s->has_else) {
		LLVMMoveBasicBlockAfter(s->else_bb, LLVMGetInsertBlock(g->b));
		LLVMPositionBuilderAtEnd(g->b, s->else_bb);
		LLVMBuildBr(g->b, s->join);
	}
	LLVMMoveBasicBlockAfter(s->join, LLVMGetInsertBlock(g->b));
	LLVMPositionBuilderAtEnd(g->b, s->join);
}

LLVMValueRef cg_var(cg *g, LLVMTypeRef t, const char *name)
{
	LLVMBuilderRef eb = LLVMCreateBuilderInContext(g->lc);
	LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(g->fn);
	LLVMValueRef first = LLVMGetFirstInstruction(entry);
	if (first)
		LLVMPositionBuilderBefore(eb, first);
	else
		LLVMPositionBuilderAtEnd(eb, entry);
	LLVMValueRef v = LLVMBuildAlloca(eb, t, name);
	LLVMDisposeBuilder(eb);
	return v;
}

/* ---- half precision, by integer operations (no compiler-rt calls) ----------- */

/* i16 bits of an f16 to f32. */
static LLVMValueRef half_to_float(cg *g, LLVMValueRef h16)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef h = LLVMBuildZExt(b, h16, g->t_i32, "");
	LLVMValueRef sign = LLVMBuildShl(b, LLVMBuildAnd(b, h, cg_i32(g, 0x8000), ""), cg_i32(g, 16), "");
	LLVMValueRef e = LLVMBuildAnd(b, LLVMBuildLShr(b, h, cg_i32(g, 10), ""), cg_i32(g, 31), "");
	LLVMValueRef m = LLVMBuildAnd(b, h, cg_i32(g, 0x3ff), "");
	LLVMValueRef mbits = LLVMBuildShl(b, m, cg_i32(g, 13), "");
	LLVMValueRef normal = LLVMBuildOr(b, LLVMBuildShl(b, LLVMBuildAdd(b, e, cg_i32(g, 112), ""),
							  cg_i32(g, 23), ""), mbits, "");
	LLVMValueRef special = LLVMBuildOr(b, cg_i32(g, 0x7f800000), mbits, "");
	/* Subnormal: m * 2^-24 exactly. */
	LLVMValueRef sub = LLVMBuildFMul(b, LLVMBuildSIToFP(b, m, g->t_f32, ""), cg_f32(g, 0x1p-24f), "");
	LLVMValueRef subbits = LLVMBuildBitCast(b, sub, g->t_i32, "");
	LLVMValueRef bits = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, e, cg_i32(g, 31), ""),
					    special, normal, "");
	bits = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntEQ, e, cg_i32(g, 0), ""), subbits, bits, "");
	return LLVMBuildBitCast(b, LLVMBuildOr(b, bits, sign, ""), g->t_f32, "");
}

/* f32 to the i16 bits of the nearest f16 (ties to even; NaN stays NaN). */
static LLVMValueRef float_to_half(cg *g, LLVMValueRef f)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef x = LLVMBuildBitCast(b, f, g->t_i32, "");
	LLVMValueRef sign = LLVMBuildAnd(b, LLVMBuildLShr(b, x, cg_i32(g, 16), ""), cg_i32(g, 0x8000), "");
	LLVMValueRef a = LLVMBuildAnd(b, x, cg_i32(g, 0x7fffffff), "");
	/* Large: infinity, or a quiet NaN. */
	LLVMValueRef big = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntUGT, a, cg_i32(g, 0x7f800000), ""),
					   cg_i32(g, 0x7e00), cg_i32(g, 0x7c00), "");
	/* Small: let the FPU round to a multiple of 2^-24 by adding 0.5. */
	LLVMValueRef af = LLVMBuildBitCast(b, a, g->t_f32, "");
	LLVMValueRef s = LLVMBuildBitCast(b, LLVMBuildFAdd(b, af, cg_f32(g, 0.5f), ""), g->t_i32, "");
	LLVMValueRef small = LLVMBuildSub(b, s, cg_i32(g, 0x3f000000), "");
	/* Normal: rebias the exponent and round the dropped 13 bits to even. */
	LLVMValueRef odd = LLVMBuildAnd(b, LLVMBuildLShr(b, a, cg_i32(g, 13), ""), cg_i32(g, 1), "");
	LLVMValueRef n = LLVMBuildAdd(b, a, cg_i32(g, (int32_t)0xc8000fff), "");
	n = LLVMBuildLShr(b, LLVMBuildAdd(b, n, odd, ""), cg_i32(g, 13), "");
	LLVMValueRef r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntULT, a, cg_i32(g, 113 << 23), ""),
					 small, n, "");
	r = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntUGE, a, cg_i32(g, 0x47800000), ""), big, r, "");
	return LLVMBuildTrunc(b, LLVMBuildOr(b, r, sign, ""), g->t_i16, "");
}

/* ---- memory ------------------------------------------------------------------------ */

LLVMValueRef cg_gep(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef idx)
{
	if (dt == IR_I4)
		idx = LLVMBuildSDiv(g->b, idx, cg_i64(g, 2), "");
	return LLVMBuildInBoundsGEP2(g->b, cg_mem_type(g, dt), base, &idx, 1, "");
}

LLVMValueRef cg_load(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef idx)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef v = LLVMBuildLoad2(b, cg_mem_type(g, dt), cg_gep(g, dt, base, idx), "");
	switch (dt) {
	case IR_F32: return v;
	case IR_F16: return half_to_float(g, v);
	case IR_U8: case IR_BOOL: return LLVMBuildZExt(b, v, g->t_i64, "");
	case IR_I4: {
		LLVMValueRef sh = LLVMBuildMul(b, LLVMBuildAnd(b, idx, cg_i64(g, 1), ""), cg_i64(g, 4), "");
		LLVMValueRef w = LLVMBuildZExt(b, v, g->t_i64, "");
		w = LLVMBuildShl(b, LLVMBuildLShr(b, w, sh, ""), cg_i64(g, 60), "");
		return LLVMBuildAShr(b, w, cg_i64(g, 60), "");
	}
	default: return LLVMBuildSExt(b, v, g->t_i64, "");
	}
}

void cg_store(cg *g, ir_dtype dt, LLVMValueRef base, LLVMValueRef idx, LLVMValueRef v)
{
	LLVMBuilderRef b = g->b;
	LLVMValueRef p = cg_gep(g, dt, base, idx);
	switch (dt) {
	case IR_F32: break;
	case IR_F16: v = float_to_half(g, v); break;
	case IR_BOOL:
		v = LLVMBuildZExt(b, LLVMBuildICmp(b, LLVMIntNE, v, cg_i64(g, 0), ""), g->t_i8, "");
		break;
	case IR_I4: {
		LLVMValueRef sh = LLVMBuildTrunc(b, LLVMBuildMul(b, LLVMBuildAnd(b, idx, cg_i64(g, 1), ""),
								cg_i64(g, 4), ""), g->t_i8, "");
		LLVMValueRef nib = LLVMBuildShl(b, LLVMBuildAnd(b, LLVMBuildTrunc(b, v, g->t_i8, ""),
							       LLVMConstInt(g->t_i8, 15, 0), ""), sh, "");
		LLVMValueRef old = LLVMBuildLoad2(b, g->t_i8, p, "");
		LLVMValueRef keep = LLVMBuildXor(b, LLVMBuildShl(b, LLVMConstInt(g->t_i8, 15, 0), sh, ""),
						 LLVMConstInt(g->t_i8, 255, 0), "");
		v = LLVMBuildOr(b, LLVMBuildAnd(b, old, keep, ""), nib, "");
		break;
	}
	default: v = LLVMBuildTrunc(b, v, cg_mem_type(g, dt), ""); break;
	}
	LLVMBuildStore(b, v, p);
}

/* Value range of an integer element type, for saturating conversions. */
static void dtype_bits(ir_dtype dt, unsigned *bits, bool *sgn)
{
	*bits = dt == IR_BOOL ? 1 : (unsigned)ir_dtype_bits(dt);
	*sgn = dt != IR_U8 && dt != IR_BOOL;
}

static LLVMValueRef float_to_int(cg *g, LLVMValueRef v, ir_dtype to)
{
	LLVMBuilderRef b = g->b;
	if (to == IR_BOOL)
		return LLVMBuildZExt(b, LLVMBuildFCmp(b, LLVMRealUNE, v, cg_f32(g, 0), ""), g->t_i64, "");
	unsigned bits;
	bool sgn;
	dtype_bits(to, &bits, &sgn);
	LLVMTypeRef it = LLVMIntTypeInContext(g->lc, bits);
	char name[48];
	snprintf(name, sizeof name, "llvm.fpto%si.sat.i%u.f32", sgn ? "s" : "u", bits);
	LLVMTypeRef fty = LLVMFunctionType(it, &g->t_f32, 1, 0);
	LLVMValueRef fn = LLVMGetNamedFunction(g->mod, name);
	if (!fn)
		fn = LLVMAddFunction(g->mod, name, fty);
	LLVMValueRef r = LLVMBuildCall2(b, fty, fn, &v, 1, "");
	return sgn ? LLVMBuildSExt(b, r, g->t_i64, "") : LLVMBuildZExt(b, r, g->t_i64, "");
}

static LLVMValueRef int_to_float(cg *g, LLVMValueRef v, ir_dtype from)
{
	/* Through i32 when it fits: i64 conversions are library calls on
	** 32-bit targets. */
	if (from != IR_I64)
		return LLVMBuildSIToFP(g->b, LLVMBuildTrunc(g->b, v, g->t_i32, ""), g->t_f32, "");
	return LLVMBuildSIToFP(g->b, v, g->t_f32, "");
}

static LLVMValueRef wrap_int(cg *g, LLVMValueRef v, ir_dtype to)
{
	if (to == IR_BOOL)
		return LLVMBuildZExt(g->b, LLVMBuildICmp(g->b, LLVMIntNE, v, cg_i64(g, 0), ""), g->t_i64, "");
	if (to == IR_I64)
		return v;
	unsigned bits;
	bool sgn;
	dtype_bits(to, &bits, &sgn);
	LLVMValueRef t = LLVMBuildTrunc(g->b, v, LLVMIntTypeInContext(g->lc, bits), "");
	return sgn ? LLVMBuildSExt(g->b, t, g->t_i64, "") : LLVMBuildZExt(g->b, t, g->t_i64, "");
}

LLVMValueRef cg_convert(cg *g, LLVMValueRef v, ir_dtype from, ir_dtype to)
{
	bool ff = ir_dtype_is_float(from), tf = ir_dtype_is_float(to);
	if (ff && tf)
		return to == IR_F16 && from != IR_F16 ? half_to_float(g, float_to_half(g, v)) : v;
	if (ff)
		return float_to_int(g, v, to);
	if (tf) {
		LLVMValueRef f = int_to_float(g, v, from);
		return to == IR_F16 ? half_to_float(g, float_to_half(g, f)) : f;
	}
	return wrap_int(g, v, to);
}

void cg_memcpy(cg *g, LLVMValueRef dst, LLVMValueRef src, int64_t n)
{
	if (n > 0)
		LLVMBuildMemCpy(g->b, dst, 1, src, 1, cg_i64(g, n));
}

void cg_memset(cg *g, LLVMValueRef dst, int val, int64_t n)
{
	if (n > 0)
		LLVMBuildMemSet(g->b, dst, LLVMConstInt(g->t_i8, (unsigned long long)val & 255, 0),
				cg_i64(g, n), 1);
}

/* ---- arithmetic ------------------------------------------------------------------------ */

static LLVMValueRef call_intrinsic(cg *g, const char *name, LLVMValueRef *args, unsigned n)
{
	unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
	LLVMTypeRef ty = LLVMTypeOf(args[0]);
	LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, &ty, 1);
	return LLVMBuildCall2(g->b, LLVMIntrinsicGetType(g->lc, id, &ty, 1), fn, args, n, "");
}

/* A NaN in either operand gives NaN (numpy's minimum/maximum). */
static LLVMValueRef nan_or(cg *g, LLVMValueRef a, LLVMValueRef r)
{
	LLVMValueRef isnan = LLVMBuildFCmp(g->b, LLVMRealUNO, a, a, "");
	return LLVMBuildSelect(g->b, isnan, a, r, "");
}

LLVMValueRef cg_fmin(cg *g, LLVMValueRef a, LLVMValueRef b)
{
	LLVMValueRef lt = LLVMBuildFCmp(g->b, LLVMRealOLT, a, b, "");
	return nan_or(g, a, LLVMBuildSelect(g->b, lt, a, b, ""));
}

LLVMValueRef cg_fmax(cg *g, LLVMValueRef a, LLVMValueRef b)
{
	LLVMValueRef gt = LLVMBuildFCmp(g->b, LLVMRealOGT, a, b, "");
	return nan_or(g, a, LLVMBuildSelect(g->b, gt, a, b, ""));
}

LLVMValueRef cg_fma(cg *g, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c)
{
	LLVMValueRef args[3] = {a, b, c};
	return call_intrinsic(g, "llvm.fmuladd", args, 3);
}

LLVMValueRef cg_fabs(cg *g, LLVMValueRef a) { return call_intrinsic(g, "llvm.fabs", &a, 1); }
LLVMValueRef cg_sqrt(cg *g, LLVMValueRef a) { return call_intrinsic(g, "llvm.sqrt", &a, 1); }

LLVMValueRef cg_select(cg *g, LLVMValueRef c, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(g->b, c, a, b, "");
}

LLVMValueRef cg_smin(cg *g, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, a, b, ""), a, b, "");
}

LLVMValueRef cg_smax(cg *g, LLVMValueRef a, LLVMValueRef b)
{
	return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, a, b, ""), a, b, "");
}

/* ---- fused activations ---------------------------------------------------------------- */

static LLVMValueRef splat_like(cg *g, LLVMValueRef like, float c)
{
	LLVMTypeRef t = LLVMTypeOf(like);
	LLVMValueRef s = cg_f32(g, c);
	if (LLVMGetTypeKind(t) != LLVMVectorTypeKind)
		return s;
	unsigned n = LLVMGetVectorSize(t);
	LLVMValueRef e[64];
	for (unsigned i = 0; i < n && i < 64; i++)
		e[i] = s;
	return LLVMConstVector(e, n);
}

LLVMValueRef cg_activation(cg *g, const ir_op *op, LLVMValueRef v)
{
	ir_activation a;
	if (ir_op_activation(op, &a) < 0)
		return v;  /* the verifier rejected it before */
	LLVMValueRef zero = splat_like(g, v, 0.0f);
	switch (a.kind) {
	case IR_ACT_RELU: {
		LLVMValueRef lt = LLVMBuildFCmp(g->b, LLVMRealOLT, v, zero, "");
		return LLVMBuildSelect(g->b, lt, zero, v, "");
	}
	case IR_ACT_CLIP: {
		LLVMValueRef lo = splat_like(g, v, a.lo), hi = splat_like(g, v, a.hi);
		v = LLVMBuildSelect(g->b, LLVMBuildFCmp(g->b, LLVMRealOLT, v, lo, ""), lo, v, "");
		return LLVMBuildSelect(g->b, LLVMBuildFCmp(g->b, LLVMRealOGT, v, hi, ""), hi, v, "");
	}
	case IR_ACT_LEAKYRELU: {
		LLVMValueRef lt = LLVMBuildFCmp(g->b, LLVMRealOLT, v, zero, "");
		LLVMValueRef m = LLVMBuildFMul(g->b, v, splat_like(g, v, a.alpha), "");
		return LLVMBuildSelect(g->b, lt, m, v, "");
	}
	default: return v;
	}
}

bool cg_has_activation(const ir_op *op)
{
	ir_activation a;
	return ir_op_activation(op, &a) == 0 && a.kind != IR_ACT_NONE;
}
