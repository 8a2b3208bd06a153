/* commands.h - the looplab commands that live in their own files; main.c
 * dispatches to them.  Each takes the program's name (for messages) and
 * the arguments after the command's name, and returns the exit status. */
#ifndef LL_CLI_COMMANDS_H
#define LL_CLI_COMMANDS_H

/* `looplab why TRACE STEP`: the chain of causes behind one event (why.c). */
int ll__cmd_why(const char *prog, int argc, char **argv);

/* `looplab models LESSON`: the lesson under each wrong model of asyncio
 * (models.c). */
int ll__cmd_models(const char *prog, int argc, char **argv);

#endif
