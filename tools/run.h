/*
** run.h - `condense run`: import a model, run it on .npy inputs with the
** reference interpreter, summarize (and optionally save) its outputs.
*/
#ifndef CONDENSE_TOOLS_RUN_H
#define CONDENSE_TOOLS_RUN_H

#define RUN_USAGE                                                                         \
	"usage: condense run MODEL.onnx --input NAME=FILE.npy ... [--input-shape NAME=D0,...]\n" \
	"                    [-o DIR]\n"

/*
** argv[0] is "run".  Exit status: 0 on success; 1 when the model is
** malformed, an input does not fit or the run fails; 2 on a usage error or
** a model that uses what condense does not support.
*/
int run_command(int argc, char **argv);

#endif
