/*
** parse.c - the text form (.cir) parser.
**
** A recursive-descent parser with one token of lookahead; each function is
** preceded by the grammar rule it parses (docs/ir.md has the whole grammar).
** The first error ends the parse: it is reported with file:line:col and the
** parser unwinds to the boundary set in ir_parse(), which frees nothing
** because everything lives in the arena.
**
** The parser checks only what it needs to build a graph: syntax, names,
** limits, literal ranges, constant data against its type, and data-entry
** hashes.  Everything semantic (dominance, op arity, types, shapes,
** attribute schemas, quantization consistency) is the verifier's job, so a
** graph built by a pass and a graph read from text are checked the same way.
** A value used before its definition therefore parses: the use creates the
** value, the later definition binds it, and the verifier reports the order.
*/
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ir/lex.h"
#include "ir/util.h"

typedef struct sym {
	const char *s;  /* name as written (digits for %N) */
	size_t n;
	bool num;       /* written as %N: an unnamed value */
	ir_val v;
	bool defined;
	ir_loc use;     /* first use, while not yet defined */
	ir_loc def;     /* definition */
} sym;

typedef struct fixup {
	ir_op *op;
	bool is_mask;
	ir_hash hash;
	ir_loc loc;
} fixup;

typedef struct parser {
	lexer L;
	ir_ctx *c;
	ir_graph *g;
	sym *syms;      /* open addressing, cap_syms a power of two */
	uint32_t n_syms, cap_syms;
	fixup *fix;
	uint32_t n_fix, cap_fix;
	/* Scratch for one list at a time, allocated once; what is kept is copied
	** out at its exact size, so a graph costs arena in proportion to it. */
	ir_val *tmp_in;         /* IR_MAX_OPERANDS operands */
	sym **tmp_defs;         /* IR_MAX_OPERANDS results */
	float *tmp_f;           /* IR_MAX_ATTR_ELEMS floats */
	int64_t *tmp_i;         /* IR_MAX_ATTR_ELEMS ints */
	int32_t *tmp_z;         /* IR_MAX_ATTR_ELEMS zero points */
} parser;

static _Noreturn void perr(parser *P, ir_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static _Noreturn void perr(parser *P, ir_loc loc, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ir_error(P->c, loc, "%s", msg);
	ir_unwind(P->c);
}

/* ---- tokens -------------------------------------------------------------- */

static token *tok(parser *P) { return &P->L.tok; }
static void next(parser *P) { lex_next(&P->L); }

static const char *describe(const token *t)
{
	switch (t->kind) {
	case TK_EOF: return "end of input";
	case TK_PUNCT: return "punctuation";
	case TK_IDENT: return "identifier";
	case TK_VAL: return "value name";
	case TK_GLOBAL: return "graph name";
	case TK_HASH: return "constant hash";
	case TK_NUM: return "number";
	case TK_STR: return "string";
	}
	return "token";
}

static bool is_punct(parser *P, char ch)
{
	return tok(P)->kind == TK_PUNCT && tok(P)->s[0] == ch;
}

static bool accept(parser *P, char ch)
{
	if (!is_punct(P, ch))
		return false;
	next(P);
	return true;
}

static void expect(parser *P, char ch, const char *where)
{
	if (!accept(P, ch))
		perr(P, tok(P)->loc, "expected '%c' %s, found %s", ch, where, describe(tok(P)));
}

static bool is_kw(parser *P, const char *kw)
{
	const token *t = tok(P);
	return t->kind == TK_IDENT && t->n == strlen(kw) && memcmp(t->s, kw, t->n) == 0;
}

static void expect_kw(parser *P, const char *kw)
{
	if (!is_kw(P, kw))
		perr(P, tok(P)->loc, "expected '%s', found %s", kw, describe(tok(P)));
	next(P);
}

/* Copy a number token into buf as a C string. */
static void num_text(parser *P, const token *t, char buf[64])
{
	if (t->kind != TK_NUM)
		perr(P, t->loc, "expected a number, found %s", describe(t));
	if (t->n >= 64)
		perr(P, t->loc, "number literal too long");
	memcpy(buf, t->s, t->n);
	buf[t->n] = 0;
}

static int64_t parse_int(parser *P)
{
	char buf[64], *end;
	token t = *tok(P);
	num_text(P, &t, buf);
	if (t.is_float)
		perr(P, t.loc, "expected an integer, found '%s'", buf);
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (end == buf || *end)
		perr(P, t.loc, "malformed number '%s'", buf);
	if (errno == ERANGE)
		perr(P, t.loc, "integer '%s' does not fit in 64 bits", buf);
	next(P);
	return v;
}

/* Bits of a "nan:0xHEX" literal, checked to be a NaN of the given width. */
static uint64_t nan_bits(parser *P, const token *t, const char *buf, int bits)
{
	const char *h = strchr(buf, ':');
	char *end;
	if (buf[0] == '-' || buf[0] == '+')
		perr(P, t->loc, "'%s': a NaN written by its bits takes no sign (the sign is bit %d)", buf, bits - 1);
	uint64_t max = bits == 32 ? 0xffffffffu : 0xffffu;
	errno = 0;
	unsigned long long u = strtoull(h + 1, &end, 16);
	bool ok = strncmp(h + 1, "0x", 2) == 0 && !*end && errno == 0 && u <= max;
	if (ok && bits == 32)
		ok = (u & 0x7f800000u) == 0x7f800000u && (u & 0x7fffffu);
	if (ok && bits == 16)
		ok = (u & 0x7c00u) == 0x7c00u && (u & 0x3ffu);
	if (!ok)
		perr(P, t->loc, "'%s' is not the bit pattern of an f%d NaN", buf, bits);
	return u;
}

/* A float literal as f32 bits (bits=32) or f16 bits (bits=16). */
static uint32_t parse_float_bits(parser *P, int bits)
{
	char buf[64], *end;
	token t = *tok(P);
	num_text(P, &t, buf);
	next(P);
	if (strchr(buf, ':'))
		return (uint32_t)nan_bits(P, &t, buf, bits);
	float f = strtof(buf, &end);
	if (*end)
		perr(P, t.loc, "malformed number '%s'", buf);
	if (isinf(f) && !strstr(buf, "inf"))
		perr(P, t.loc, "number '%s' is out of range for f%d", buf, bits);
	if (bits == 16) {
		uint16_t h = ir_f32_to_f16(f);
		if (isinf(ir_f16_to_f32(h)) && !isinf(f))
			perr(P, t.loc, "number '%s' is out of range for f16", buf);
		return h;
	}
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static float parse_f32(parser *P)
{
	uint32_t u = parse_float_bits(P, 32);
	float f;
	memcpy(&f, &u, 4);
	return f;
}

/* ---- symbols ------------------------------------------------------------- */

static uint32_t sym_hash(const char *s, size_t n, bool num)
{
	uint32_t h = num ? 0x9e3779b9u : 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static sym *sym_slot(sym *tab, uint32_t cap, const char *s, size_t n, bool num)
{
	uint32_t m = cap - 1;
	for (uint32_t i = sym_hash(s, n, num) & m;; i = (i + 1) & m) {
		sym *e = &tab[i];
		if (!e->s || (e->n == n && e->num == num && memcmp(e->s, s, n) == 0))
			return e;
	}
}

static void sym_grow(parser *P)
{
	if ((uint64_t)(P->n_syms + 1) * 2 <= P->cap_syms)
		return;
	uint32_t cap = P->cap_syms ? P->cap_syms * 2 : 256;
	sym *tab = ir_alloc_array(P->c, cap, sizeof *tab);
	for (uint32_t i = 0; i < P->cap_syms; i++)
		if (P->syms[i].s)
			*sym_slot(tab, cap, P->syms[i].s, P->syms[i].n, P->syms[i].num) = P->syms[i];
	P->syms = tab;
	P->cap_syms = cap;
}

/* The symbol for the current TK_VAL token, created when new. */
static sym *sym_get(parser *P, const token *t)
{
	sym_grow(P);
	sym *e = sym_slot(P->syms, P->cap_syms, t->s, t->n, t->is_num);
	if (!e->s) {
		e->s = t->s;
		e->n = t->n;
		e->num = t->is_num;
		e->v = ir_value_new(P->g, NULL, t->is_num ? NULL : ir_strndup(P->c, t->s, t->n));
		P->n_syms++;
	}
	return e;
}

/* A value name as the printer writes it: %x, %"a b" or %3. */
static const char *val_text(char *buf, size_t cap, const char *s, size_t n, bool num)
{
	bool bare = num || ir_is_bare_ident(s, n);
	int len = n > 200 ? 200 : (int)n;
	snprintf(buf, cap, bare ? "%%%.*s" : "%%\"%.*s\"", len, s);
	return buf;
}

static void check_name_len(parser *P, const token *t)
{
	if (t->n > IR_MAX_NAME_LEN)
		perr(P, t->loc, "too many bytes in a name (limit is %d)", IR_MAX_NAME_LEN);
}

/* use = value-name  (a use before the definition creates the value) */
static ir_val parse_use(parser *P)
{
	token t = *tok(P);
	if (t.kind != TK_VAL)
		perr(P, t.loc, "expected a value name (%%x), found %s", describe(&t));
	check_name_len(P, &t);
	sym *e = sym_get(P, &t);
	if (!e->defined && !e->use.line)
		e->use = t.loc;
	next(P);
	return e->v;
}

/* def = value-name  (each name is defined once) */
static sym *parse_def(parser *P)
{
	token t = *tok(P);
	if (t.kind != TK_VAL)
		perr(P, t.loc, "expected a value name (%%x), found %s", describe(&t));
	check_name_len(P, &t);
	sym *e = sym_get(P, &t);
	if (e->defined) {
		char buf[220];
		ir_error(P->c, t.loc, "redefinition of value %s", val_text(buf, sizeof buf, t.s, t.n, t.is_num));
		ir_note(P->c, e->def, "previous definition is here");
		ir_unwind(P->c);
	}
	e->defined = true;
	e->def = t.loc;
	next(P);
	return e;
}

/* ---- types --------------------------------------------------------------- */

/* list of n items: "[" (item ("," item)*)? "]", item parsed by the caller */
static bool list_more(parser *P, int32_t count, int64_t limit, const char *what)
{
	if (is_punct(P, ']'))
		return false;
	if (count > 0 && !accept(P, ','))
		perr(P, tok(P)->loc, "expected ',' between %s, found %s", what, describe(tok(P)));
	if (count >= limit)
		perr(P, tok(P)->loc, "too many %s (limit is %lld)", what, (long long)limit);
	return true;
}

/* quant = "quant" "(" ["axis" "=" int ","] "scale" "=" (num | list) "," "zero" "=" (int | list) ")" */
static const ir_quant *parse_quant(parser *P)
{
	ir_quant *q = ir_alloc(P->c, sizeof *q);
	float *scale = P->tmp_f;
	int32_t *zero = P->tmp_z;
	int32_t ns = 0, nz = 0;
	ir_loc at = tok(P)->loc;
	expect_kw(P, "quant");
	expect(P, '(', "after 'quant'");
	q->axis = -1;
	if (is_kw(P, "axis")) {
		next(P);
		expect(P, '=', "after 'axis'");
		ir_loc al = tok(P)->loc;
		int64_t a = parse_int(P);
		if (a < 0 || a >= IR_MAX_RANK)
			perr(P, al, "quantization axis %lld is not a valid dimension index", (long long)a);
		q->axis = (int32_t)a;
		expect(P, ',', "after the quantization axis");
	}
	expect_kw(P, "scale");
	expect(P, '=', "after 'scale'");
	if (q->axis >= 0) {
		expect(P, '[', "to open the per-axis scales");
		while (list_more(P, ns, IR_MAX_ATTR_ELEMS, "quantization scales"))
			scale[ns++] = parse_f32(P);
		expect(P, ']', "to close the scales");
	} else {
		scale[ns++] = parse_f32(P);
	}
	expect(P, ',', "after the scales");
	expect_kw(P, "zero");
	expect(P, '=', "after 'zero'");
	if (q->axis >= 0) {
		expect(P, '[', "to open the per-axis zero points");
		while (list_more(P, nz, IR_MAX_ATTR_ELEMS, "quantization zero points")) {
			ir_loc zl = tok(P)->loc;
			int64_t z = parse_int(P);
			if (z < INT32_MIN || z > INT32_MAX)
				perr(P, zl, "zero point %lld does not fit in 32 bits", (long long)z);
			zero[nz++] = (int32_t)z;
		}
		expect(P, ']', "to close the zero points");
	} else {
		ir_loc zl = tok(P)->loc;
		int64_t z = parse_int(P);
		if (z < INT32_MIN || z > INT32_MAX)
			perr(P, zl, "zero point %lld does not fit in 32 bits", (long long)z);
		zero[nz++] = (int32_t)z;
	}
	expect(P, ')', "to close 'quant('");
	if (ns != nz)
		perr(P, at, "quantization has %d scales but %d zero points", (int)ns, (int)nz);
	q->n = ns;
	q->scale = memcpy(ir_alloc_array(P->c, (size_t)ns, sizeof *scale), scale, sizeof *scale * (size_t)ns);
	q->zero = memcpy(ir_alloc_array(P->c, (size_t)nz, sizeof *zero), zero, sizeof *zero * (size_t)nz);
	return q;
}

/* type = dtype "[" (int ("," int)*)? "]" [quant] */
static ir_type parse_type(parser *P)
{
	ir_type t = {0};
	token d = *tok(P);
	int dt = d.kind == TK_IDENT ? ir_dtype_from_name(d.s, d.n) : -1;
	if (dt < 0)
		perr(P, d.loc, "expected an element type (f32, f16, i8, u8, i16, i32, i64, bool, i4), found %s",
		     describe(&d));
	t.dtype = (ir_dtype)dt;
	next(P);
	expect(P, '[', "after the element type");
	while (list_more(P, t.rank, IR_MAX_RANK, "dimensions"))
		t.dims[t.rank++] = parse_int(P);
	expect(P, ']', "to close the shape");
	if (is_kw(P, "quant"))
		t.quant = parse_quant(P);
	return t;
}

/* ---- constants ----------------------------------------------------------- */

static ir_hash parse_hash(parser *P)
{
	token t = *tok(P);
	if (t.kind != TK_HASH)
		perr(P, t.loc, "expected a constant hash (#<32 hex digits>), found %s", describe(&t));
	char buf[17] = {0};
	ir_hash h;
	memcpy(buf, t.s, 16);
	h.hi = strtoull(buf, NULL, 16);
	memcpy(buf, t.s + 16, 16);
	h.lo = strtoull(buf, NULL, 16);
	next(P);
	return h;
}

static void add_fixup(parser *P, ir_op *op, bool is_mask, ir_loc loc)
{
	if (P->n_fix == P->cap_fix) {
		uint32_t cap = P->cap_fix ? P->cap_fix * 2 : 16;
		fixup *f = ir_alloc_array(P->c, cap, sizeof *f);
		if (P->n_fix)
			memcpy(f, P->fix, sizeof *f * P->n_fix);
		P->fix = f;
		P->cap_fix = cap;
	}
	P->fix[P->n_fix++] = (fixup){op, is_mask, parse_hash(P), loc};
}

/* Store one inline element of type dt at index i of d. */
static void parse_elem(parser *P, ir_dtype dt, uint8_t *d, int64_t i)
{
	static const int64_t lo[] = {[IR_I8] = INT8_MIN, [IR_U8] = 0, [IR_I16] = INT16_MIN,
				     [IR_I32] = INT32_MIN, [IR_I64] = INT64_MIN, [IR_BOOL] = 0, [IR_I4] = -8};
	static const int64_t hi[] = {[IR_I8] = INT8_MAX, [IR_U8] = UINT8_MAX, [IR_I16] = INT16_MAX,
				     [IR_I32] = INT32_MAX, [IR_I64] = INT64_MAX, [IR_BOOL] = 1, [IR_I4] = 7};
	if (dt == IR_F32 || dt == IR_F16) {
		uint32_t u = parse_float_bits(P, dt == IR_F32 ? 32 : 16);
		memcpy(d + i * (dt == IR_F32 ? 4 : 2), &u, dt == IR_F32 ? 4 : 2);
		return;
	}
	ir_loc at = tok(P)->loc;
	int64_t v = parse_int(P);
	if (v < lo[dt] || v > hi[dt])
		perr(P, at, "%lld is out of range for %s", (long long)v, ir_dtype_name(dt));
	switch (dt) {
	case IR_I8: case IR_U8: case IR_BOOL: d[i] = (uint8_t)v; break;
	case IR_I16: { int16_t x = (int16_t)v; memcpy(d + 2 * i, &x, 2); break; }
	case IR_I32: { int32_t x = (int32_t)v; memcpy(d + 4 * i, &x, 4); break; }
	case IR_I64: memcpy(d + 8 * i, &v, 8); break;
	case IR_I4: d[i / 2] |= (uint8_t)((v & 15) << (4 * (i & 1))); break;
	default: break;
	}
}

/* elems = "[" (elem ("," elem)*)? "]"  -- exactly numel(t) elements */
static uint32_t parse_elems(parser *P, const ir_type *t, ir_loc at)
{
	int64_t n, bytes;
	if (ir_type_numel(t, &n) < 0 || ir_type_bytes(t, &bytes) < 0)
		perr(P, at, "constant type has an invalid shape or more than %lld elements",
		     (long long)IR_MAX_ELEMENTS);
	if (n > P->L.end - P->L.p)
		perr(P, at, "constant declares %lld elements, more than the rest of the text can hold", (long long)n);
	uint8_t *d = ir_alloc(P->c, (size_t)bytes);
	int64_t i = 0;
	expect(P, '[', "to open the constant's elements");
	while (list_more(P, (int32_t)(i > 0), INT32_MAX, "constant elements")) {
		if (i == n)
			perr(P, tok(P)->loc, "too many elements: the type holds %lld", (long long)n);
		parse_elem(P, t->dtype, d, i++);
	}
	expect(P, ']', "to close the constant's elements");
	if (i != n)
		perr(P, at, "constant has %lld elements but its type holds %lld", (long long)i, (long long)n);
	return ir_blob_intern(P->g, d, bytes);
}

/* bits = "[" (0|1 ("," 0|1)*)? "]"  -- a mask, one entry per element */
static uint32_t parse_mask_bits(parser *P, const ir_type *t, ir_loc at)
{
	int64_t n, i = 0;
	if (ir_type_numel(t, &n) < 0)
		perr(P, at, "masked constant has an invalid shape");
	if (n > P->L.end - P->L.p)
		perr(P, at, "mask declares %lld entries, more than the rest of the text can hold", (long long)n);
	uint8_t *d = ir_alloc(P->c, (size_t)(n + 7) / 8);
	expect(P, '[', "to open the mask");
	while (list_more(P, (int32_t)(i > 0), INT32_MAX, "mask entries")) {
		ir_loc bl = tok(P)->loc;
		int64_t b = parse_int(P);
		if (i == n)
			perr(P, bl, "too many mask entries: the type holds %lld", (long long)n);
		if (b != 0 && b != 1)
			perr(P, bl, "mask entries are 0 or 1, not %lld", (long long)b);
		d[i / 8] |= (uint8_t)(b << (i % 8));
		i++;
	}
	expect(P, ']', "to close the mask");
	if (i != n)
		perr(P, at, "mask has %lld entries but the constant has %lld elements", (long long)i, (long long)n);
	return ir_blob_intern(P->g, d, (n + 7) / 8);
}

/* konst = "const" type (elems | hash) ["mask" (bits | hash)] */
static void parse_const(parser *P, ir_op *op, ir_loc at)
{
	ir_type t = parse_type(P);
	P->g->vals[op->out[0]].type = t;
	if (is_punct(P, '['))
		op->blob = parse_elems(P, &t, at);
	else
		add_fixup(P, op, false, at);
	if (!is_kw(P, "mask"))
		return;
	next(P);
	if (is_punct(P, '['))
		op->mask = parse_mask_bits(P, &t, at);
	else
		add_fixup(P, op, true, at);
}

/* ---- ops ----------------------------------------------------------------- */

/* attr = name "=" (int | float | string | "[" (num ("," num)*)? "]") */
static void parse_attr(parser *P, ir_op *op)
{
	token nt = *tok(P);
	ir_attr a = {0};
	if (nt.kind != TK_IDENT && nt.kind != TK_STR)
		perr(P, nt.loc, "expected an attribute name, found %s", describe(&nt));
	check_name_len(P, &nt);
	a.name = ir_strndup(P->c, nt.s, nt.n);
	if (op->n_attrs >= IR_MAX_ATTRS)
		perr(P, nt.loc, "too many attributes of one op (limit is %d)", IR_MAX_ATTRS);
	if (ir_op_attr(op, a.name))
		perr(P, nt.loc, "duplicate attribute '%s'", a.name);
	next(P);
	expect(P, '=', "after the attribute name");
	token v = *tok(P);
	if (v.kind == TK_STR) {
		check_name_len(P, &v);
		a.kind = IR_ATTR_STR;
		a.u.s = ir_strndup(P->c, v.s, v.n);
		next(P);
	} else if (v.kind == TK_NUM) {
		a.kind = v.is_float ? IR_ATTR_FLOAT : IR_ATTR_INT;
		if (v.is_float)
			a.u.f = parse_f32(P);
		else
			a.u.i = parse_int(P);
	} else {
		expect(P, '[', "or a number or string as the attribute value");
		int64_t *ints = P->tmp_i;
		float *floats = P->tmp_f;
		const ir_attr_spec *spec = ir_op_attr_spec(op->kind, a.name);
		a.kind = spec && spec->kind == IR_ATTR_FLOATS ? IR_ATTR_FLOATS : IR_ATTR_INTS;
		while (list_more(P, a.n, IR_MAX_ATTR_ELEMS, "elements in one list attribute")) {
			if (a.n == 0 && tok(P)->is_float)
				a.kind = IR_ATTR_FLOATS;
			if (a.kind == IR_ATTR_FLOATS)
				floats[a.n++] = parse_f32(P);
			else
				ints[a.n++] = parse_int(P);
		}
		expect(P, ']', "to close the list attribute");
		size_t n = (size_t)a.n;
		if (a.kind == IR_ATTR_FLOATS)
			a.u.floats = n ? memcpy(ir_alloc_array(P->c, n, sizeof *floats), floats, n * sizeof *floats) : NULL;
		else
			a.u.ints = n ? memcpy(ir_alloc_array(P->c, n, sizeof *ints), ints, n * sizeof *ints) : NULL;
	}
	ir_op_set_attr(P->g, op, &a);
}

/* operands = (operand ("," operand)*)?   operand = use | "_" */
static int32_t parse_operands(parser *P, ir_val *in)
{
	int32_t n = 0;
	if (tok(P)->kind != TK_VAL && !is_kw(P, "_"))
		return 0;
	do {
		if (n == IR_MAX_OPERANDS)
			perr(P, tok(P)->loc, "too many operands of one op (limit is %d)", IR_MAX_OPERANDS);
		if (is_kw(P, "_")) {
			in[n++] = IR_NOVAL;
			next(P);
		} else {
			in[n++] = parse_use(P);
		}
	} while (accept(P, ','));
	return n;
}

/* Bind the op's results to the defined symbols. */
static void bind_results(parser *P, ir_op *op, sym **defs, int32_t n)
{
	op->n_out = n;
	op->out = ir_alloc_array(P->c, (size_t)n, sizeof *op->out);
	for (int32_t i = 0; i < n; i++) {
		op->out[i] = defs[i]->v;
		P->g->vals[defs[i]->v].def = op;
		P->g->vals[defs[i]->v].res = i;
	}
}

/* opexpr = "const" konst | opname operands ["{" attr ("," attr)* "}"] ":" type ("," type)* */
static void parse_opexpr(parser *P, sym **defs, int32_t n_defs, ir_loc at)
{
	token name = *tok(P);
	if (name.kind != TK_IDENT)
		perr(P, name.loc, "expected an op name, found %s", describe(&name));
	int k = ir_op_from_name(name.s, name.n);
	if (k < 0)
		perr(P, name.loc, "unknown op '%.*s'", (int)(name.n < 64 ? name.n : 64), name.s);
	next(P);
	ir_val *in = P->tmp_in;
	int32_t n_in = k == IR_OP_CONST ? 0 : parse_operands(P, in);
	ir_op *op = ir_op_append(P->g, (ir_opkind)k, in, n_in, NULL, 0);
	op->loc = at;
	bind_results(P, op, defs, n_defs);
	if (k == IR_OP_CONST) {
		if (n_defs != 1)
			perr(P, at, "'const' defines exactly one value, not %d", (int)n_defs);
		parse_const(P, op, at);
		return;
	}
	if (accept(P, '{')) {
		do
			parse_attr(P, op);
		while (accept(P, ','));
		expect(P, '}', "to close the attributes");
	}
	expect(P, ':', "before the result types");
	for (int32_t i = 0; i < n_defs; i++) {
		if (i)
			expect(P, ',', "between result types");
		P->g->vals[op->out[i]].type = parse_type(P);
	}
	if (is_punct(P, ','))
		perr(P, tok(P)->loc, "more result types than results (%d)", (int)n_defs);
}

/* opstmt = def ("," def)* "=" opexpr ["loc" "(" string ")"] */
static void parse_opstmt(parser *P)
{
	sym **defs = P->tmp_defs;
	int32_t n = 0;
	ir_loc at = tok(P)->loc;
	do {
		if (n == IR_MAX_OPERANDS)
			perr(P, tok(P)->loc, "too many results of one op (limit is %d)", IR_MAX_OPERANDS);
		defs[n++] = parse_def(P);
	} while (accept(P, ','));
	expect(P, '=', "after the defined values");
	parse_opexpr(P, defs, n, at);
	if (!is_kw(P, "loc"))
		return;
	next(P);
	expect(P, '(', "after 'loc'");
	token s = *tok(P);
	if (s.kind != TK_STR)
		perr(P, s.loc, "expected a string in 'loc(...)', found %s", describe(&s));
	check_name_len(P, &s);
	P->g->ops[P->g->n_ops - 1]->name = ir_strndup(P->c, s.s, s.n);
	next(P);
	expect(P, ')', "to close 'loc('");
}

/* input = "input" def ":" type */
static void parse_input(parser *P)
{
	next(P);
	if (P->g->n_ops)
		perr(P, tok(P)->loc, "graph inputs must come before the first op");
	if (P->g->n_inputs >= IR_MAX_IO)
		perr(P, tok(P)->loc, "too many graph inputs (limit is %d)", IR_MAX_IO);
	ir_loc at = tok(P)->loc;
	sym *e = parse_def(P);
	expect(P, ':', "before the input's type");
	P->g->vals[e->v].type = parse_type(P);
	P->g->vals[e->v].loc = at;
	ir_input_append(P->g, e->v);
}

/* output = "output" string "=" use */
static void parse_output(parser *P)
{
	next(P);
	token s = *tok(P);
	if (s.kind != TK_STR)
		perr(P, s.loc, "expected the output's name as a string, found %s", describe(&s));
	check_name_len(P, &s);
	if (P->g->n_outputs >= IR_MAX_IO)
		perr(P, s.loc, "too many graph outputs (limit is %d)", IR_MAX_IO);
	next(P);
	expect(P, '=', "after the output name");
	ir_val v = parse_use(P);
	ir_add_output(P->g, ir_strndup(P->c, s.s, s.n), v);
	P->g->outputs[P->g->n_outputs - 1].loc = s.loc;
}

/* graph = "graph" global "{" (input | opstmt | output)* "}" */
static void parse_graph(parser *P)
{
	ir_loc at = tok(P)->loc;
	expect_kw(P, "graph");
	token name = *tok(P);
	if (name.kind != TK_GLOBAL)
		perr(P, name.loc, "expected the graph name (@name), found %s", describe(&name));
	check_name_len(P, &name);
	P->g = ir_graph_new(P->c, NULL);
	P->g->name = ir_strndup(P->c, name.s, name.n);
	P->g->loc = at;
	next(P);
	expect(P, '{', "to open the graph body");
	while (!is_punct(P, '}')) {
		if (is_kw(P, "input"))
			parse_input(P);
		else if (is_kw(P, "output"))
			parse_output(P);
		else if (tok(P)->kind == TK_VAL)
			parse_opstmt(P);
		else
			perr(P, tok(P)->loc, "expected 'input', 'output', an op or '}', found %s",
			     describe(tok(P)));
	}
	next(P);
}

/* data = "data" hash ":" int string+ */
static void parse_data(parser *P)
{
	ir_loc at = tok(P)->loc;
	next(P);
	ir_hash h = parse_hash(P);
	expect(P, ':', "after the data hash");
	ir_loc sl = tok(P)->loc;
	int64_t size = parse_int(P);
	if (size < 0 || size > IR_MAX_BLOB_BYTES)
		perr(P, sl, "data size %lld is negative or above the limit of %lld bytes", (long long)size,
		     (long long)IR_MAX_BLOB_BYTES);
	if ((size + 2) / 3 * 4 > P->L.end - tok(P)->src)
		perr(P, sl, "data size %lld is more than the rest of the text can hold", (long long)size);
	size_t b64 = (size_t)((size + 2) / 3 * 4), used = 0;
	char *text = ir_alloc(P->c, b64 + 1);
	if (tok(P)->kind != TK_STR)
		perr(P, tok(P)->loc, "expected the data as base64 string lines, found %s", describe(tok(P)));
	for (; tok(P)->kind == TK_STR; next(P)) {
		if (tok(P)->n > b64 - used)
			perr(P, tok(P)->loc, "data entry holds more than its declared %lld bytes", (long long)size);
		memcpy(text + used, tok(P)->s, tok(P)->n);
		used += tok(P)->n;
	}
	uint8_t *bytes = ir_alloc(P->c, (size_t)size + 3);
	int64_t got = ir_b64_decode(text, used, bytes);
	if (got < 0)
		perr(P, at, "data entry is not canonical base64");
	if (got != size)
		perr(P, at, "data entry declares %lld bytes but holds %lld", (long long)size, (long long)got);
	ir_hash real = ir_hash_bytes(bytes, (size_t)size);
	if (real.lo != h.lo || real.hi != h.hi)
		perr(P, at, "data entry #%016llx%016llx: its bytes hash to #%016llx%016llx",
		     (unsigned long long)h.hi, (unsigned long long)h.lo, (unsigned long long)real.hi,
		     (unsigned long long)real.lo);
	ir_blob_intern(P->g, bytes, size);
}

static void resolve(parser *P)
{
	for (uint32_t i = 0; i < P->n_fix; i++) {
		fixup *f = &P->fix[i];
		uint32_t b = ir_blob_find(P->g, f->hash);
		if (!b)
			perr(P, f->loc, "no data entry for constant #%016llx%016llx", (unsigned long long)f->hash.hi,
			     (unsigned long long)f->hash.lo);
		if (f->is_mask)
			f->op->mask = b;
		else
			f->op->blob = b;
	}
	sym *first = NULL; /* report the first undefined use in text order */
	for (uint32_t i = 0; i < P->cap_syms; i++) {
		sym *e = &P->syms[i];
		if (e->s && !e->defined &&
		    (!first || e->use.line < first->use.line ||
		     (e->use.line == first->use.line && e->use.col < first->use.col)))
			first = e;
	}
	char buf[220];
	if (first)
		perr(P, first->use, "use of undefined value %s", val_text(buf, sizeof buf, first->s, first->n, first->num));
}

typedef struct parse_job {
	const char *file, *text;
	size_t len;
	int first_line;
	ir_graph *g;
} parse_job;

static int parse_all(ir_ctx *c, void *ud)
{
	parse_job *j = ud;
	parser P = {.c = c};
	if (j->len > IR_MAX_TEXT_BYTES)
		return ir_error(c, (ir_loc){j->file, 0, 0}, "too many bytes of text (limit is %zu)", IR_MAX_TEXT_BYTES);
	P.tmp_in = ir_alloc_array(c, IR_MAX_OPERANDS, sizeof *P.tmp_in);
	P.tmp_defs = ir_alloc_array(c, IR_MAX_OPERANDS, sizeof *P.tmp_defs);
	P.tmp_f = ir_alloc_array(c, IR_MAX_ATTR_ELEMS, sizeof *P.tmp_f);
	P.tmp_i = ir_alloc_array(c, IR_MAX_ATTR_ELEMS, sizeof *P.tmp_i);
	P.tmp_z = ir_alloc_array(c, IR_MAX_ATTR_ELEMS, sizeof *P.tmp_z);
	lex_init(&P.L, c, j->file, j->text, j->len, j->first_line);
	parse_graph(&P);
	while (is_kw(&P, "data"))
		parse_data(&P);
	if (tok(&P)->kind != TK_EOF)
		perr(&P, tok(&P)->loc, "expected 'data' or end of input, found %s", describe(tok(&P)));
	resolve(&P);
	j->g = P.g;
	return 0;
}

ir_graph *ir_parse(ir_ctx *c, const char *file, const char *text, size_t len, int first_line)
{
	parse_job j = {file, text, len, first_line, NULL};
	return ir_protect(c, parse_all, &j) == 0 ? j.g : NULL;
}
