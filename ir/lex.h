/*
** lex.h - tokens of the text form (internal to ir/).
*/
#ifndef CONDENSE_IR_LEX_H
#define CONDENSE_IR_LEX_H

#include "ir/ir.h"

typedef enum tok_kind {
	TK_EOF,
	TK_PUNCT,   /* one of { } ( ) [ ] , = : */
	TK_IDENT,   /* [A-Za-z_][A-Za-z0-9_.]* */
	TK_VAL,     /* %name, %"name" or %N (is_num) */
	TK_GLOBAL,  /* @name or @"name" */
	TK_HASH,    /* # and 32 hex digits */
	TK_NUM,     /* integer or float literal, text kept as written */
	TK_STR,     /* "...", escapes decoded */
} tok_kind;

typedef struct token {
	tok_kind kind;
	const char *s;   /* TK_STR, TK_VAL, TK_GLOBAL: decoded text (arena); else source text */
	size_t n;        /* length of s */
	bool is_num;     /* TK_VAL written as %N */
	bool is_float;   /* TK_NUM with '.', exponent, inf or nan */
	ir_loc loc;
	const char *src; /* where the token starts in the input */
} token;

typedef struct lexer {
	ir_ctx *c;
	const char *p, *end;
	const char *file;
	int32_t line;
	const char *line_start;
	token tok;       /* the current token */
	bool failed;     /* a lexical error was reported */
} lexer;

void lex_init(lexer *L, ir_ctx *c, const char *file, const char *text, size_t len, int first_line);
/* Advance to the next token; a lexical error is reported and unwinds to the
** caller's ir_protect boundary. */
void lex_next(lexer *L);

#endif
