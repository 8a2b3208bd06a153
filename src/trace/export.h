/* export.h - other shapes of a trace: JSON Lines, Chrome Trace Event JSON
 * (opens in Perfetto and chrome://tracing), and a statistics table. */
#ifndef LL_TRACE_EXPORT_H
#define LL_TRACE_EXPORT_H

#include <stdio.h>

#include "textfmt.h"

/* One JSON object per line: first the run's metadata, then each event with
 * its loop time in seconds, task id and name, kind and named fields.  Bytes
 * of strings that are not valid UTF-8 become U+FFFD. */
int ll_trace_export_jsonl(FILE *out, const ll_trace *t);
/* Chrome Trace Event JSON: a lane per task (and one for the loop), slices
 * for running / ready / waiting, instants for prints, notes and warnings,
 * flow arrows from waker to woken. */
int ll_trace_export_chrome(FILE *out, const ll_trace *t);
/* A table per task: state, steps, time running / ready / waiting, longest
 * step; then the loop's utilisation. */
int ll_trace_stats(FILE *out, const ll_trace *t);

#endif
