/*
** calibrate.h - `condense calibrate`: measure a model's activation ranges on
** calibration data and write the ranges file int8 quantization reads
** (passes/quant_ranges.h; docs/quantization.md).
*/
#ifndef CONDENSE_TOOLS_CALIBRATE_H
#define CONDENSE_TOOLS_CALIBRATE_H

/*
** argv[0] is "calibrate".  Exit status: 0 on success; 1 when the model or
** the data is wrong or a run fails; 2 on a usage error or a model that
** uses what condense does not support.
*/
int calibrate_command(int argc, char **argv);

#endif
