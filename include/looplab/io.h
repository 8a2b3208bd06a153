/* looplab/io.h - TCP streams and servers: asyncio's open_connection and
 * start_server, on libuv.
 *
 * Part of Looplab's public API, included by <looplab.h> (include that).
 * Calls that can wait return an ll_value, as in the core. */
#ifndef LOOPLAB_H
#include "../looplab.h" /* which includes this file at its end */
#elif !defined(LOOPLAB_IO_H)
#define LOOPLAB_IO_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Sockets: TCP streams ------------------------------------------------------
 * asyncio's streams (open_connection / start_server) on libuv.  One ll_stream
 * is one TCP connection, Python's reader and writer in one object.  Sockets
 * need the real clock (ll_loop_opts.clock = LL_CLOCK_REAL, or
 * LOOPLAB_CLOCK=real): on the virtual clock the calls fail with a
 * RuntimeError that says so.  Every wait on a socket is recorded as a wait
 * on `io` with the operation (connect, read, drain...) and the socket's
 * address, and every byte count that moves is recorded too.
 *
 * Calls that can wait return an ll_value: the result, or an error whose
 * message names the address and libuv's error (ConnectionRefusedError,
 * ConnectionResetError, IncompleteReadError, TimeoutError, OSError), or
 * CancelledError.  A program holds a stream by a handle (an ll_stream *
 * that is not an address).  A stream a server accepted is freed once its
 * handler has returned and it is closed; a stream from ll_open_connection
 * once it was closed and ll_stream_wait_closed returned; any other when
 * the loop closes.  A handle used after that (or on another loop) is
 * refused with a RuntimeError naming the call site, never read.  Servers
 * belong to the loop and are freed when it closes. */
typedef struct ll_stream ll_stream;
typedef struct ll_server ll_server;

/* `reader, writer = await asyncio.open_connection(host, port)`: host is a
 * name ("localhost", resolved with getaddrinfo, every address tried in turn)
 * or a numeric address.  The value's .p is the ll_stream. */
#define ll_open_connection(host, port) ll__open_connection((host), (port), __FILE__, __LINE__)
/* `await reader.read(n)`: waits until at least one byte (or the end) is
 * there, copies up to n bytes into buf; the value is the count as an
 * LL_INT, 0 at the end of the stream. */
#define ll_stream_read(s, buf, n) ll__stream_read((s), (buf), (n), 0, __FILE__, __LINE__)
/* `await reader.readexactly(n)`: n bytes or IncompleteReadError (the bytes
 * that did arrive are in buf; the message says how many). */
#define ll_stream_readexactly(s, buf, n) ll__stream_read((s), (buf), (n), 1, __FILE__, __LINE__)
/* `await reader.readuntil(sep)`: the bytes up to and including sep, into buf
 * of `cap` bytes (a NUL is added when there is room); the value is the
 * length.  LimitOverrunError when sep is not within cap bytes (the data
 * stays in the stream), IncompleteReadError when the stream ends first. */
#define ll_stream_readuntil(s, buf, cap, sep)                                                      \
    ll__stream_readuntil((s), (buf), (cap), (sep), __FILE__, __LINE__)
/* `await reader.readline()`: readuntil "\n". */
#define ll_stream_readline(s, buf, cap) ll_stream_readuntil((s), (buf), (cap), "\n")
/* reader.read(n), reader.readline() and writer.drain() as coroutine objects
 * (see "Every wait is also an awaitable"): wait_for(reader.readline(), 5)
 * is ll_wait_for(ll_stream_readline_coro(s, buf, cap), 5). */
#define ll_stream_read_coro(s, buf, n)                                                             \
    ll__wait_coro_of(LL__AW_STREAM_READ, (s), ll_none(), (buf), (n))
#define ll_stream_readline_coro(s, buf, cap)                                                       \
    ll__wait_coro_of(LL__AW_STREAM_READLINE, (s), ll_none(), (buf), (cap))
#define ll_stream_drain_coro(s) ll__wait_coro_of(LL__AW_STREAM_DRAIN, (s), ll_none(), NULL, 0)
/* reader.at_eof(): the peer has closed its side and everything was read. */
bool ll_stream_at_eof(const ll_stream *s);
/* writer.write(data): never waits; the bytes are copied and sent as the
 * socket takes them.  None, or the error that already broke the stream. */
#define ll_stream_write(s, data, n) ll__stream_write((s), (data), (n), __FILE__, __LINE__)
/* `await writer.drain()`: waits only while more than 64 KiB are waiting to
 * be sent (asyncio's high-water mark). */
#define ll_stream_drain(s) ll__stream_drain((s), __FILE__, __LINE__)
/* writer.write_eof(): no more writes; the peer reads the end of the stream
 * once what was written has gone. */
#define ll_stream_write_eof(s) ll__stream_write_eof((s), __FILE__, __LINE__)
/* writer.close(): sends what is still buffered, then closes.  A task
 * waiting to read from the stream sees the end of the stream. */
#define ll_stream_close(s) ll__stream_close((s), __FILE__, __LINE__)
/* `await writer.wait_closed()` */
#define ll_stream_wait_closed(s) ll__stream_wait_closed((s), __FILE__, __LINE__)
/* The peer's address, "127.0.0.1:8080" (writer.get_extra_info('peername')). */
const char *ll_stream_peer(const ll_stream *s);
/* For a stream a server accepted: the `data` given to ll_start_server. */
void *ll_stream_server_data(const ll_stream *s);

/* `server = await asyncio.start_server(handler, host, port)`: listens on
 * host:port (port 0: the system picks one; ll_server_port says which).
 * Every connection runs handler(ll_ptr(stream)) as a new task; the stream
 * is closed when the handler returns.  The value's .p is the ll_server. */
#define ll_start_server(handler, host, port, data)                                                 \
    ll__start_server((handler), #handler, (host), (port), (data), __FILE__, __LINE__)
int ll_server_port(const ll_server *srv);
/* server.close(): stops accepting; connections already accepted go on. */
#define ll_server_close(srv) ll__server_close((srv), __FILE__, __LINE__)

#ifdef __cplusplus
}
#endif
#endif
