/* process.h - what a process needs of the library outside any loop: its
 * standard descriptors kept safe, and the names of the signals that can end
 * it.  The one part of src/sched the `looplab` command includes
 * (docs/architecture.md); the library's own files get it through
 * internal.h. */
#ifndef LL_SCHED_PROCESS_H
#define LL_SCHED_PROCESS_H

/* Opens /dev/null on whichever of descriptors 0-2 are closed, so that no
 * later open (libuv's own, a trace file) lands on them: libuv asserts that
 * its descriptors are above 2, and a trace on "stdout" would mix with
 * prints.  Cheap and idempotent; `looplab` calls it first thing too
 * (realclock.c). */
void ll__std_fds_guard(void);

/* "SIGSEGV", "SIGHUP", ... for the fatal signals (and SIGKILL), else "a
 * signal": the one table of their names, shared by the trace's run_end
 * detail and `looplab run`'s report (tracefile.c). */
const char *ll__signal_name(int sig);

#endif
