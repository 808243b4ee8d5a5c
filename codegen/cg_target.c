/*
** cg_target.c - target selection: triple, CPU and features, their
** defaults and validation, and the LLVM target machine.
**
** Defaults when only --target is given (documented in docs/codegen.md):
**   x86_64-*     x86-64-v3 (AVX2, FMA, F16C: every x86-64 server since ~2015)
**   aarch64-*    generic +neon
**   riscv64-*    generic-rv64 +m,+a,+f,+d,+c,+v   (ABI lp64d)
**   riscv32-*    generic-rv32 +m,+f,+c            (ABI ilp32f)
**   thumbv7em-*  cortex-m4 (FPv4-SP with an eabihf triple)
** With no --target the host triple, CPU and features are used.
*/
#include <string.h>

#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>

#include "codegen/cg.h"
#include "codegen/cg_target.h"

#include "cg_cpus.inc"

typedef struct arch_info {
	const char *prefix;          /* triple starts with this */
	const char *cpu, *features, *abi;
	const char *const *cpus, *const *feats;
	int vec_bytes;
} arch_info;

static const arch_info arches[] = {
	{"x86_64", "x86-64-v3", "", NULL, x86_cpus, x86_feats, 32},
	{"aarch64", "generic", "+neon", NULL, aarch64_cpus, aarch64_feats, 16},
	{"riscv64", "generic-rv64", "+m,+a,+f,+d,+c,+v", "lp64d", riscv_cpus, riscv_feats, 16},
	{"riscv32", "generic-rv32", "+m,+f,+c", "ilp32f", riscv_cpus, riscv_feats, 4},
	{"thumbv7em", "cortex-m4", "", NULL, arm_cpus, arm_feats, 4},
};

static const arch_info *find_arch(const char *triple)
{
	for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++) {
		size_t n = strlen(arches[i].prefix);
		if (!strncmp(triple, arches[i].prefix, n) && (triple[n] == '-' || !triple[n]))
			return &arches[i];
	}
	return NULL;
}

static bool in_list(const char *const *list, const char *s, size_t n)
{
	for (; *list; list++)
		if (strlen(*list) == n && !strncmp(*list, s, n))
			return true;
	return false;
}

/* Every item of "+a,-b" must be a known feature with a sign. */
static int check_features(ir_ctx *c, const arch_info *a, const char *triple, const char *f)
{
	while (*f) {
		const char *end = strchr(f, ',');
		size_t n = end ? (size_t)(end - f) : strlen(f);
		if (n < 2 || (f[0] != '+' && f[0] != '-'))
			return ir_error(c, (ir_loc){0}, "feature '%.*s' for target '%s' must be +NAME or -NAME",
					(int)n, f, triple);
		if (!in_list(a->feats, f + 1, n - 1))
			return ir_error(c, (ir_loc){0}, "unknown feature '%.*s' for target '%s' "
					"(llc -mtriple=%s -mattr=help lists them)", (int)(n - 1), f + 1,
					triple, triple);
		f += n + (end != NULL);
	}
	return 0;
}

/* The vector width kernels should assume: AVX2 (32 bytes) only where the
** CPU or features have it. */
static int vector_bytes(const arch_info *a, const char *cpu, const char *features)
{
	if (a->vec_bytes != 32)
		return a->vec_bytes;
	if (strstr(features, "+avx2"))
		return 32;
	static const char *const avx2[] = {"x86-64-v3", "x86-64-v4", "haswell", "broadwell",
		"skylake", "skylake-avx512", "cascadelake", "cooperlake", "icelake-client",
		"icelake-server", "tigerlake", "alderlake", "sapphirerapids", "raptorlake",
		"meteorlake", "znver1", "znver2", "znver3", "znver4", "znver5", "core-avx2", NULL};
	return in_list(avx2, cpu, strlen(cpu)) ? 32 : 16;
}

static void init_llvm_targets(void)
{
	static bool done;
	if (done)
		return;
	LLVMInitializeX86TargetInfo(); LLVMInitializeX86Target(); LLVMInitializeX86TargetMC();
	LLVMInitializeX86AsmPrinter();
	LLVMInitializeAArch64TargetInfo(); LLVMInitializeAArch64Target();
	LLVMInitializeAArch64TargetMC(); LLVMInitializeAArch64AsmPrinter();
	LLVMInitializeRISCVTargetInfo(); LLVMInitializeRISCVTarget(); LLVMInitializeRISCVTargetMC();
	LLVMInitializeRISCVAsmPrinter();
	LLVMInitializeARMTargetInfo(); LLVMInitializeARMTarget(); LLVMInitializeARMTargetMC();
	LLVMInitializeARMAsmPrinter();
	done = true;
}

/* Resolve triple, CPU and features (defaults, host) into t, in c's arena. */
static int resolve(ir_ctx *c, const cg_options *o, cg_target *t, const arch_info **ap)
{
	char *host = o->triple ? NULL : LLVMGetDefaultTargetTriple();
	t->triple = ir_strdup(c, host ? host : o->triple);
	LLVMDisposeMessage(host);
	const arch_info *a = find_arch(t->triple);
	if (!a)
		return ir_error(c, (ir_loc){0}, "unsupported target '%s' (supported: x86_64-*, "
				"aarch64-*, riscv64-*, riscv32-*, thumbv7em-*)", t->triple);
	if (!o->triple && !o->cpu && !o->features) {
		char *cpu = LLVMGetHostCPUName(), *feat = LLVMGetHostCPUFeatures();
		t->cpu = ir_strdup(c, cpu);
		t->features = ir_strdup(c, feat);
		LLVMDisposeMessage(cpu);
		LLVMDisposeMessage(feat);
	} else {
		t->cpu = o->cpu ? o->cpu : a->cpu;
		t->features = o->features ? o->features : o->cpu ? "" : a->features;
	}
	t->abi = a->abi;
	*ap = a;
	return 0;
}

int cg_target_open(ir_ctx *c, const cg_options *o, cg_target *t)
{
	const arch_info *a = NULL;
	memset(t, 0, sizeof *t);
	if (resolve(c, o, t, &a) < 0)
		return -1;
	if (!in_list(a->cpus, t->cpu, strlen(t->cpu)))
		return ir_error(c, (ir_loc){0}, "unknown CPU '%s' for target '%s' (llc -mtriple=%s "
				"-mcpu=help lists them)", t->cpu, t->triple, t->triple);
	if (check_features(c, a, t->triple, t->features) < 0)
		return -1;
	init_llvm_targets();
	LLVMTargetRef target;
	char *err = NULL;
	if (LLVMGetTargetFromTriple(t->triple, &target, &err)) {
		ir_error(c, (ir_loc){0}, "target '%s': %s", t->triple, err ? err : "unknown");
		LLVMDisposeMessage(err);
		return -1;
	}
	bool pic = strstr(t->triple, "linux") != NULL;
	LLVMCodeGenOptLevel lvl = o->opt_level <= 0 ? LLVMCodeGenLevelNone
				  : o->opt_level == 1 ? LLVMCodeGenLevelLess
				  : o->opt_level == 2 ? LLVMCodeGenLevelDefault : LLVMCodeGenLevelAggressive;
	LLVMTargetMachineOptionsRef mo = LLVMCreateTargetMachineOptions();
	LLVMTargetMachineOptionsSetCPU(mo, t->cpu);
	LLVMTargetMachineOptionsSetFeatures(mo, t->features);
	if (t->abi)
		LLVMTargetMachineOptionsSetABI(mo, t->abi);
	LLVMTargetMachineOptionsSetCodeGenOptLevel(mo, lvl);
	LLVMTargetMachineOptionsSetRelocMode(mo, pic ? LLVMRelocPIC : LLVMRelocStatic);
	t->tm = LLVMCreateTargetMachineWithOptions(target, t->triple, mo);
	LLVMDisposeTargetMachineOptions(mo);
	if (!t->tm)
		return ir_error(c, (ir_loc){0}, "cannot create a target machine for '%s'", t->triple);
	t->vec_bytes = vector_bytes(a, t->cpu, t->features);
	return 0;
}

void cg_target_close(cg_target *t)
{
	if (t->tm)
		LLVMDisposeTargetMachine(t->tm);
	t->tm = NULL;
}
