/*
** lex.c - tokenizer for the text form.
**
** The input is a byte range, not a C string: NUL bytes and any other byte
** outside the grammar are reported, never read past.  Comments run from
** "//" to the end of the line.  A string literal holds at most IR_MAX_NAME_LEN
** bytes as written; data entries are split into many short base64 lines.
*/
#include <string.h>

#include "ir/lex.h"


void lex_init(lexer *L, ir_ctx *c, const char *file, const char *text, size_t len, int first_line)
{
	memset(L, 0, sizeof *L);
	L->c = c;
	L->p = text;
	L->end = text + len;
	L->file = file;
	L->line = first_line;
	L->line_start = text;
	lex_next(L);
}

static ir_loc here(lexer *L, const char *p)
{
	return (ir_loc){L->file, L->line, (int32_t)(p - L->line_start) + 1};
}

static void fail(lexer *L, const char *p, const char *msg, int ch)
{
	if (ch >= 32 && ch < 127)
		ir_error(L->c, here(L, p), "%s '%c'", msg, ch);
	else if (ch >= 0)
		ir_error(L->c, here(L, p), "%s (byte 0x%02x)", msg, ch);
	else
		ir_error(L->c, here(L, p), "%s", msg);
	L->failed = true;
	L->tok.kind = TK_EOF;
	L->p = L->end;
	ir_unwind(L->c); /* the lexer only runs under the parser's boundary */
}

static void skip_space(lexer *L)
{
	while (L->p < L->end) {
		char ch = *L->p;
		if (ch == '\n') {
			L->line++;
			L->line_start = ++L->p;
		} else if (ch == ' ' || ch == '\t' || ch == '\r') {
			L->p++;
		} else if (ch == '/' && L->p + 1 < L->end && L->p[1] == '/') {
			while (L->p < L->end && *L->p != '\n')
				L->p++;
		} else {
			return;
		}
	}
}

static bool is_ident_char(char ch, bool first)
{
	if (ch == '_' || (unsigned)((ch | 32) - 'a') < 26u)
		return true;
	return !first && (ch == '.' || (ch >= '0' && ch <= '9'));
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if ((unsigned)((ch | 32) - 'a') < 6u)
		return (ch | 32) - 'a' + 10;
	return -1;
}

/* A string literal starting at L->p (the opening quote); decoded into the arena. */
static bool lex_string(lexer *L, token *t)
{
	const char *start = L->p++;
	size_t cap = 0;
	for (const char *q = L->p; q < L->end && *q != '"' && *q != '\n'; q++, cap++)
		if (*q == '\\' && q + 1 < L->end && q[1] != '\n')
			q++, cap++; /* an escaped char never ends the literal */
	if (cap > 4 * IR_MAX_NAME_LEN) /* \xHH is the longest spelling of a byte */
		goto too_long;
	char *d = ir_alloc(L->c, cap + 1);
	size_t n = 0;
	while (L->p < L->end && *L->p != '"') {
		char ch = *L->p;
		if (ch == '\n') {
			fail(L, start, "unterminated string literal", -1);
			return false;
		}
		if (ch == 0) {
			fail(L, L->p, "NUL byte in a string literal (write other bytes as \\xHH)", -1);
			return false;
		}
		if (ch == '\\') {
			if (L->p + 1 < L->end && (L->p[1] == '"' || L->p[1] == '\\')) {
				d[n++] = L->p[1];
				L->p += 2;
				continue;
			}
			int hi = L->p + 3 < L->end && L->p[1] == 'x' ? hexval(L->p[2]) : -1;
			int lo = hi >= 0 ? hexval(L->p[3]) : -1;
			if (lo < 0 || (hi == 0 && lo == 0)) {
				fail(L, L->p, "invalid escape in string literal (use \\\", \\\\ or \\xHH, not \\x00)", -1);
				return false;
			}
			d[n++] = (char)(hi * 16 + lo);
			L->p += 4;
			continue;
		}
		d[n++] = ch;
		L->p++;
	}
	if (L->p >= L->end) {
		fail(L, start, "unterminated string literal", -1);
		return false;
	}
	L->p++;
	if (n > IR_MAX_NAME_LEN)
		goto too_long;
	t->s = d;
	t->n = n;
	return true;
too_long: /* the limit is on the bytes a string holds, which is what the printer counts */
	ir_error(L->c, here(L, start), "too many bytes in a string literal (limit is %d)", IR_MAX_NAME_LEN);
	ir_unwind(L->c);
}

/* A number: [-+]? (digits [. digits] [e [-+] digits] | inf | nan [:0xHEX]) */
static bool lex_number(lexer *L, token *t)
{
	const char *s = L->p, *q = s;
	if (*q == '-' || *q == '+')
		q++;
	if (L->end - q >= 3 && (memcmp(q, "inf", 3) == 0 || memcmp(q, "nan", 3) == 0)) {
		bool nan = q[0] == 'n';
		q += 3;
		if (nan && q < L->end && *q == ':')
			for (q++; q < L->end && (hexval(*q) >= 0 || *q == 'x'); q++)
				;
		t->is_float = true;
	} else {
		while (q < L->end && *q >= '0' && *q <= '9')
			q++;
		if (q < L->end && *q == '.') {
			t->is_float = true;
			for (q++; q < L->end && *q >= '0' && *q <= '9'; q++)
				;
		}
		if (q < L->end && (*q == 'e' || *q == 'E')) {
			t->is_float = true;
			q++;
			if (q < L->end && (*q == '-' || *q == '+'))
				q++;
			while (q < L->end && *q >= '0' && *q <= '9')
				q++;
		}
	}
	if (q < L->end && is_ident_char(*q, false)) {
		fail(L, q, "unexpected character in number", *q);
		return false;
	}
	t->kind = TK_NUM;
	t->s = s;
	t->n = (size_t)(q - s);
	L->p = q;
	return true;
}

/* After a sigil: a bare identifier, a quoted string, or (for %) digits. */
static bool lex_sigil_name(lexer *L, token *t, tok_kind kind)
{
	const char *start = L->p++;
	t->kind = kind;
	if (L->p < L->end && *L->p == '"')
		return lex_string(L, t);
	const char *q = L->p;
	if (kind == TK_VAL && q < L->end && *q >= '0' && *q <= '9') {
		while (q < L->end && *q >= '0' && *q <= '9')
			q++;
		t->is_num = true;
		if (q < L->end && is_ident_char(*q, false))
			fail(L, start, "a numbered value is '%' and digits only; quote other names: %\"1abc\"", -1);
	} else {
		while (q < L->end && is_ident_char(*q, q == L->p))
			q++;
	}
	if (q == L->p) {
		fail(L, start, "expected a name after", *start);
		return false;
	}
	t->s = L->p;
	t->n = (size_t)(q - L->p);
	L->p = q;
	return true;
}

static bool lex_hash(lexer *L, token *t)
{
	const char *start = L->p++;
	const char *q = L->p;
	while (q < L->end && hexval(*q) >= 0)
		q++;
	if (q - L->p != 32 || (q < L->end && is_ident_char(*q, false))) {
		fail(L, start, "a constant hash is '#' and 32 hex digits", -1);
		return false;
	}
	t->kind = TK_HASH;
	t->s = L->p;
	t->n = 32;
	L->p = q;
	return true;
}

void lex_next(lexer *L)
{
	token *t = &L->tok;
	if (L->failed)
		return;
	skip_space(L);
	memset(t, 0, sizeof *t);
	t->loc = here(L, L->p);
	t->src = L->p;
	if (L->p >= L->end) {
		t->kind = TK_EOF;
		return;
	}
	char ch = *L->p;
	if (strchr("{}()[],=:", ch) && ch) {
		t->kind = TK_PUNCT;
		t->s = L->p++;
		t->n = 1;
	} else if (ch == '%' || ch == '@') {
		lex_sigil_name(L, t, ch == '%' ? TK_VAL : TK_GLOBAL);
	} else if (ch == '#') {
		lex_hash(L, t);
	} else if (ch == '"') {
		t->kind = TK_STR;
		lex_string(L, t);
	} else if ((ch >= '0' && ch <= '9') || ch == '-' || ch == '+') {
		lex_number(L, t);
	} else if (is_ident_char(ch, true)) {
		const char *q = L->p;
		while (q < L->end && is_ident_char(*q, q == L->p))
			q++;
		t->kind = (q - L->p == 3 && (memcmp(L->p, "inf", 3) == 0 || memcmp(L->p, "nan", 3) == 0))
				  ? TK_NUM : TK_IDENT;
		if (t->kind == TK_NUM) {
			lex_number(L, t);
			return;
		}
		t->s = L->p;
		t->n = (size_t)(q - L->p);
		L->p = q;
	} else {
		fail(L, L->p, "unexpected character", (unsigned char)ch);
	}
}
