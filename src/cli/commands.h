/* commands.h - the looplab commands that live in their own files; main.c
 * dispatches to them.  Each takes the arguments after the command's name
 * and returns the command's exit status. */
#ifndef LL_CLI_COMMANDS_H
#define LL_CLI_COMMANDS_H

#include <stddef.h>
#include <stdio.h>

/* A folder NN-slug of lessons/ or exercises/. */
typedef struct ll_cli_dir {
    char slug[128]; /* the folder's name, e.g. 01-hello-gather */
    int number;     /* NN */
} ll_cli_dir;

/* The folders NN-slug in `dir`, in name order (which is number order: the
 * numbers have two digits), at most `max`; -1 when `dir` cannot be opened
 * (errno says why).  A name too long for ll_cli_dir.slug is left out. */
int ll_cli_numbered_dirs(const char *dir, ll_cli_dir *out, size_t max);

/* `looplab check EXERCISE FILE`: an exercise's checks on a student's
 * program (check.c). */
int cmd_check(int argc, char **argv);
/* How many exercises there are (for `looplab list`). */
size_t check_count_exercises(void);

/* `looplab compare LESSON | A.trace B.trace | --all` (compare.c): 0 they
 * agree, 1 they differ (or a run failed), 2 bad usage or a trace that cannot
 * be read. */
int ll_cli_compare(int argc, char **argv);
void ll_cli_compare_usage(FILE *out);

/* `looplab why TRACE STEP`: the chain of causes behind one event (why.c);
 * `prog` names the command in messages. */
int ll__cmd_why(const char *prog, int argc, char **argv);

/* `looplab models LESSON`: the lesson under each wrong model of asyncio
 * (models.c). */
int ll__cmd_models(const char *prog, int argc, char **argv);

#endif
