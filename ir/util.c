/*
** util.c - number formatting, half floats and base64 for the text form.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/util.h"

static uint32_t f32_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static float bits_f32(uint32_t u)
{
	float f;
	memcpy(&f, &u, 4);
	return f;
}

float ir_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, m = h & 1023;
	if (e == 31)
		return bits_f32(sign | 0x7f800000u | (m << 13));
	if (e == 0) {
		float v = ldexpf((float)m, -24);
		return sign ? -v : v;
	}
	return bits_f32(sign | ((e + 112) << 23) | (m << 13));
}

uint16_t ir_f32_to_f16(float f)
{
	uint32_t u = f32_bits(f), sign = (u >> 16) & 0x8000;
	uint32_t e = (u >> 23) & 255, m = u & 0x7fffff;
	if (e == 255)
		return (uint16_t)(sign | 0x7c00 | (m ? 0x200 | (m >> 13) : 0));
	float a = fabsf(f);
	if (a >= 65520.0f)
		return (uint16_t)(sign | 0x7c00);
	if (a < ldexpf(1, -14)) { /* subnormal half: round a * 2^24 to even */
		float r = nearbyintf(a * ldexpf(1, 24));
		return (uint16_t)(sign | (uint32_t)r);
	}
	uint32_t half = ((e - 112) << 10) | (m >> 13), rest = m & 0x1fff;
	if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
		half++;
	return (uint16_t)(sign | half);
}

static void ensure_float_look(char *buf)
{
	if (!strpbrk(buf, ".eni"))
		strcat(buf, ".0");
}

void ir_fmt_f32(char buf[32], float f)
{
	uint32_t u = f32_bits(f);
	if (isnan(f)) {
		if ((u & 0x7fffffff) == 0x7fc00000)
			strcpy(buf, u >> 31 ? "-nan" : "nan");
		else
			snprintf(buf, 32, "nan:0x%08x", (unsigned)u);
		return;
	}
	for (int p = 6; p <= 9; p++) {
		snprintf(buf, 32, "%.*g", p, (double)f);
		if (strtof(buf, NULL) == f)
			break;
	}
	ensure_float_look(buf);
}

void ir_fmt_f16(char buf[32], uint16_t h)
{
	float f = ir_f16_to_f32(h);
	if (isnan(f)) {
		if ((h & 0x7fff) == 0x7e00)
			strcpy(buf, h >> 15 ? "-nan" : "nan");
		else
			snprintf(buf, 32, "nan:0x%04x", (unsigned)h);
		return;
	}
	for (int p = 3; p <= 9; p++) {
		snprintf(buf, 32, "%.*g", p, (double)f);
		if (ir_f32_to_f16(strtof(buf, NULL)) == h)
			break;
	}
	ensure_float_look(buf);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void ir_b64_encode(const uint8_t *src, size_t n, char *dst)
{
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
		*dst++ = b64[v >> 18];
		*dst++ = b64[(v >> 12) & 63];
		*dst++ = b64[(v >> 6) & 63];
		*dst++ = b64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)src[i] << 16 | (i + 1 < n ? (uint32_t)src[i + 1] << 8 : 0);
		*dst++ = b64[v >> 18];
		*dst++ = b64[(v >> 12) & 63];
		*dst++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		*dst++ = '=';
	}
	*dst = 0;
}

static int b64_val(char ch)
{
	const char *p = ch ? strchr(b64, ch) : NULL;
	return p ? (int)(p - b64) : -1;
}

/* Canonical input only: padding exactly where needed and zero unused bits,
** so that decode(encode(x)) is the only text that yields x. */
int64_t ir_b64_decode(const char *src, size_t n, uint8_t *dst)
{
	if (n % 4)
		return -1;
	int64_t out = 0;
	for (size_t i = 0; i < n; i += 4) {
		int pad = (src[i + 3] == '=') + (src[i + 2] == '=' && src[i + 3] == '=');
		if (pad && i + 4 != n)
			return -1;
		int a = b64_val(src[i]), b = b64_val(src[i + 1]);
		int c = pad >= 2 ? 0 : b64_val(src[i + 2]), d = pad >= 1 ? 0 : b64_val(src[i + 3]);
		if (a < 0 || b < 0 || c < 0 || d < 0)
			return -1;
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
			return -1;
		dst[out++] = (uint8_t)(v >> 16);
		if (pad < 2)
			dst[out++] = (uint8_t)(v >> 8);
		if (pad < 1)
			dst[out++] = (uint8_t)v;
	}
	return out;
}

int ir_is_bare_ident(const char *s, size_t n)
{
	if (n == 0 || !(s[0] == '_' || (unsigned)((s[0] | 32) - 'a') < 26u))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char ch = s[i];
		if (!(ch == '_' || ch == '.' || (ch >= '0' && ch <= '9') || (unsigned)((ch | 32) - 'a') < 26u))
			return 0;
	}
	return 1;
}
