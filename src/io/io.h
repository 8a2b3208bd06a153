/* io.h - what the HTTP layer and the slow web need from the streams
 * (src/io/stream.c), beyond the public API. */
#ifndef LL_IO_IO_H
#define LL_IO_IO_H

#include "../sched/internal.h"

/* The bytes buffered on a stream, without copying them out. */
const char *ll__stream_peek(ll_stream *s, size_t *len);
/* Drops the first n buffered bytes (they were used). */
void ll__stream_consume(ll_stream *s, size_t n);
/* Waits until more bytes are buffered: None (*ended set when the stream
 * ended instead), or the stream's error, or CancelledError. */
ll_value ll__stream_more(ll_stream *s, bool *ended, const char *file, int line);
/* Calls fn(arg) when the loop closes, before its sockets are closed.  The
 * returned handle can be passed to ll__io_forget once fn is not needed. */
void *ll__io_at_close(ll_loop *loop, void (*fn)(void *), void *arg);
void ll__io_forget(ll_loop *loop, void *handle);

#endif
