/*
** compile.h - `condense compile`: a model into an object file and a C header.
*/
#ifndef CONDENSE_TOOLS_COMPILE_H
#define CONDENSE_TOOLS_COMPILE_H

#define COMPILE_USAGE                                                                         \
	"usage: condense compile MODEL.onnx|MODEL.cir -o OUT [--header OUT.h] [--name PREFIX]\n" \
	"           [--target TRIPLE] [--cpu NAME] [--features +a,-b]\n"                          \
	"           [--input-shape NAME=D0,...] [--emit obj|asm|llvm|cir] [-O0|-O1|-O2|-O3]\n"    \
	"           [--report FILE.json] [--weights-section NAME] [-v]\n"                      \
	"           [--quantize int8 (--calibration DATA | --ranges FILE)\n"                     \
	"            [--calib-method minmax|percentile|entropy|mse|auto] [--calib-samples N]\n"  \
	"            [--rounding nearest|stochastic] [--seed N] [--bias-correction on|off]\n"    \
	"            [--equalize off|on|relu6]]\n"                                              \
	"           [--io int8|float]\n"                                                         \
	"           [--quantized-onnx OUT.onnx]\n"
#define EXPORT_USAGE                                                                          \
	"usage: condense export MODEL.onnx|MODEL.cir --quantized-onnx OUT.onnx\n"                  \
	"           --quantize int8 (--calibration DATA | --ranges FILE) [the int8 options of\n"    \
	"           compile] [--input-shape NAME=D0,...] [-v]\n"

/*
** argv[0] is "compile".  Exit status: 0 on success; 1 when the model is
** malformed or compilation fails; 2 on a usage error or a model that uses
** what condense does not support.
*/
int compile_command(int argc, char **argv);

/*
** argv[0] is "export": the int8 graph compile would build, written as a
** QDQ ONNX model (frontend/onnx_export.h) and nothing else.  Exit status
** as compile's.
*/
int export_command(int argc, char **argv);

#endif
