/*
** check.h - the unit tests' minimal harness: CHECK(cond) records a failure
** with its line and goes on; check_done() prints the tally and gives the exit
** status.
*/
#ifndef CONDENSE_TEST_CHECK_H
#define CONDENSE_TEST_CHECK_H

#include <stdio.h>

static int check_total, check_failed;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		check_total++;                                                           \
		if (!(cond)) {                                                           \
			check_failed++;                                                  \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                        \
	} while (0)

static inline int check_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_total, check_failed);
	return check_failed != 0;
}

#endif
