/* check.h - `looplab check`: an exercise's checks on a student's program. */
#ifndef LL_CLI_CHECK_H
#define LL_CLI_CHECK_H

#include <stddef.h>

/* `looplab check ...` (argv after "check").  Returns the exit status. */
int cmd_check(int argc, char **argv);
/* How many exercises there are (for `looplab list`). */
size_t check_count_exercises(void);

#endif
