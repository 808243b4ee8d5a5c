/*
** condense.c - the user-facing driver.
**
**   condense COMMAND [ARGS]
**
** Commands are looked up in a table; each returns the process exit status:
** 0 on success, 1 when the work failed, 2 on a usage error (and, for
** commands that import a model, on a model condense does not support).
** Usage errors and diagnostics go to stderr; requested output (help,
** version, results) to stdout.  Nothing here calls exit(): main returns
** the command's status.
**
** Commands:
**   help, --help, --version
**   compile MODEL.onnx -o OUT.o [--header OUT.h] ...   (tools/compile.c)
**   run MODEL.onnx --input NAME=FILE.npy ... [--input-shape NAME=D0,...] [-o DIR]
**       run the model in the reference interpreter (tools/run.c)
**   calibrate MODEL.onnx --calibration DATA [-o RANGES.txt] ...
**       activation ranges for int8 quantization (tools/calibrate.c)
*/
#include <stdio.h>
#include <string.h>

#include <llvm-c/Core.h>
#include <protobuf-c/protobuf-c.h>

#include "tools/calibrate.h"
#include "tools/compile.h"
#include "tools/run.h"

#ifndef CONDENSE_VERSION
#define CONDENSE_VERSION "0.1.0"
#endif

#define CONDENSE_EXIT_USAGE 2

typedef struct cmd {
	const char *name;
	const char *help;
	int (*run)(int argc, char **argv);  /* argv[0] is the command name */
} cmd;

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const cmd commands[] = {
	{"help", "print this help", cmd_help},
	{"--help", "same as help", cmd_help},
	{"--version", "print the versions of condense, LLVM and protobuf-c", cmd_version},
	{"compile", "compile a model into an object file and a C header", compile_command},
	{"run", "run a model on .npy inputs in the reference interpreter", run_command},
	{"calibrate", "measure activation ranges on calibration data for int8 quantization", calibrate_command},
	{"export", "write the int8 model as QDQ ONNX (what compile --quantize int8 builds)", export_command},
};

#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void print_usage(FILE *out)
{
	fprintf(out, "usage: condense COMMAND [ARGS]\n\ncommands:\n");
	for (int i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nSee docs/ for the IR tool condense-opt.\n");
}

/* A usage error for a command given arguments it does not take. */
static int no_args(int argc, char **argv)
{
	if (argc <= 1)
		return 0;
	fprintf(stderr, "condense: '%s' takes no arguments\n", argv[0]);
	return CONDENSE_EXIT_USAGE;
}

static int cmd_help(int argc, char **argv)
{
	int st = no_args(argc, argv);
	if (st != 0)
		return st;
	print_usage(stdout);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	unsigned major, minor, patch;
	int st = no_args(argc, argv);
	if (st != 0)
		return st;
	LLVMGetVersion(&major, &minor, &patch);
	printf("condense %s (LLVM %u.%u.%u, protobuf-c %s)\n", CONDENSE_VERSION,
		major, minor, patch, protobuf_c_version());
	return 0;
}

static const cmd *find_command(const char *name)
{
	for (int i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const cmd *c;
	int st;
	if (argc < 2) {
		print_usage(stderr);
		return CONDENSE_EXIT_USAGE;
	}
	c = find_command(argv[1]);
	if (c == NULL) {
		fprintf(stderr, "condense: unknown command '%s' (try 'condense help')\n", argv[1]);
		return CONDENSE_EXIT_USAGE;
	}
	st = c->run(argc - 1, argv + 1);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "condense: error writing to stdout\n");
		return 1;
	}
	return st;
}
