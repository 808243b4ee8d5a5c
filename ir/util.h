/*
** util.h - helpers shared inside ir/ (not part of the IR API).
*/
#ifndef CONDENSE_IR_UTIL_H
#define CONDENSE_IR_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* IEEE half <-> single; f32->f16 rounds to nearest even. */
float ir_f16_to_f32(uint16_t h);
uint16_t ir_f32_to_f16(float f);

/* Shortest decimal text that reads back (strtof) as exactly f; a float
** always shows a '.', an exponent, "inf" or "nan" so it never reads as an
** integer.  NaNs other than the default quiet NaN print as nan:0xBITS. */
void ir_fmt_f32(char buf[32], float f);
/* Same for the bits of an f16. */
void ir_fmt_f16(char buf[32], uint16_t h);

/* Base64 (RFC 4648, with padding).  encode writes 4*ceil(n/3) chars plus NUL.
** decode returns the byte count, or -1 on a malformed input. */
void ir_b64_encode(const uint8_t *src, size_t n, char *dst);
int64_t ir_b64_decode(const char *src, size_t n, uint8_t *dst);

/* 1 when s[0..n) is a bare identifier: [A-Za-z_][A-Za-z0-9_.]* */
int ir_is_bare_ident(const char *s, size_t n);

/* Numbers of the unnamed values, as the printer shows them (%0, %1, ...). */
struct ir_graph;
uint32_t *ir_number_values(const struct ir_graph *g);
/* "%name" or "%N" for v, as printed; num from ir_number_values. */
void ir_value_label(const struct ir_graph *g, const uint32_t *num, uint32_t v, char *buf, size_t n);

/* Text of a type as printed (without quantization), e.g. "f32[1,3,8,8]". */
struct ir_type;
void ir_type_str(const struct ir_type *t, char *buf, size_t n);

#endif
