/* export.h - other shapes of a trace: JSON Lines, Chrome Trace Event JSON
 * (opens in Perfetto and chrome://tracing), and a statistics table. */
#ifndef LL_TRACE_EXPORT_H
#define LL_TRACE_EXPORT_H

#include <stdio.h>

#include "reader.h"

/* One JSON object per line: first the run's metadata, then each event with
 * its loop time in seconds, task id and name, kind and named fields.  Bytes
 * of strings that are not valid UTF-8 become U+FFFD. */
int ll_trace_export_jsonl(FILE *out, const ll_trace *t);
/* Chrome Trace Event JSON: a lane per task (and one for the loop), slices
 * for running / ready / waiting, instants for prints, notes and warnings,
 * flow arrows from waker to woken. */
int ll_trace_export_chrome(FILE *out, const ll_trace *t);
/* A table per task: state, steps, time running / ready / waiting, longest
 * step; then the loop's utilisation.  Task names are escaped for a terminal
 * (ll_trace_term_safe). */
int ll_trace_stats(FILE *out, const ll_trace *t);

typedef enum ll_export_fmt {
    LL_EXPORT_TEXT,   /* the text format again (docs/trace-format.md) */
    LL_EXPORT_JSONL,  /* ll_trace_export_jsonl */
    LL_EXPORT_CHROME, /* ll_trace_export_chrome */
    LL_EXPORT_STATS,  /* ll_trace_stats */
} ll_export_fmt;

/* Reads the trace at `path` ("-": standard input) and writes it to `out` in
 * `fmt` as it reads (ll_trace_stream), so that memory grows with the tasks
 * and the longest line, not with the events; JSON Lines reads a file twice
 * (its first line counts the events) and holds standard input whole.  `t`
 * is left with what the trace said about itself (truncated, unknown kinds)
 * and is freed by the caller.  Returns 0; -1 with err set when the trace is
 * refused (out has what was written before the bad line); -2 with err set
 * when writing `out` failed (including its flush). */
int ll_trace_convert(FILE *out, const char *path, ll_export_fmt fmt, ll_trace *t, char *err,
                     size_t errlen);

#endif
