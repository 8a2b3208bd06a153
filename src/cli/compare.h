/* compare.h - `looplab compare` (compare.c). */
#ifndef LL_CLI_COMPARE_H
#define LL_CLI_COMPARE_H

#include <stdio.h>

/* `looplab compare LESSON | A.trace B.trace | --all`: argv after the
 * command's name.  Returns the exit status: 0 they agree, 1 they differ (or
 * a run failed), 2 bad usage or a trace that cannot be read. */
int ll_cli_compare(int argc, char **argv);
void ll_cli_compare_usage(FILE *out);

#endif
