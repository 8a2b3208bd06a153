/* looplab/files.h - files, read and written on the thread pool (what
 * aiofiles gives Python).
 *
 * Part of Looplab's public API, included by <looplab.h> (include that).
 * Calls that can wait return an ll_value, as in the core. */
#ifndef LOOPLAB_H
#include "../looplab.h" /* which includes this file at its end */
#elif !defined(LOOPLAB_FILES_H)
#define LOOPLAB_FILES_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Files: libuv's fs requests on the thread pool ---------------------------------
 * A disk never says "ready" to an event loop, so file calls run on the
 * thread pool (as libuv's uv_fs_* do, and Python's aiofiles): each call is
 * a job with a lane in the trace ("fs read notes.txt"), and the awaiting
 * task waits on it.  A file's calls take turns on its lock ("file NAME").
 *
 *     ll_value v = ll_file_open("notes.txt", "w");         // aiofiles.open(...)
 *     if (ll_failed(v)) return v;
 *     ll_file *f = v.p;
 *     LL_TRY(ll_file_write(f, "hello\n", 6));             // await f.write(...)
 *     ll_file_close(f);
 *
 * Errors: FileNotFoundError, OSError ("[Errno 13] permission denied..."),
 * ValueError (a bad mode, a closed file), each naming the path. */
typedef struct ll_file ll_file;
/* mode: "r", "w" (create or truncate), "a" (create, append), "r+"; a "b"
 * is accepted and changes nothing.  The value's .p is the ll_file. */
#define ll_file_open(path, mode) ll__file_open((path), (mode), __FILE__, __LINE__)
/* Reads up to n bytes at the file's position: LL_INT, the bytes read (0 at
 * the end of the file). */
#define ll_file_read(f, buf, n) ll__file_read((f), (buf), (n), __FILE__, __LINE__)
/* Writes all n bytes: LL_INT n. */
#define ll_file_write(f, data, n) ll__file_write((f), (data), (n), __FILE__, __LINE__)
/* None or the error.  A file never closed is reported when the loop
 * closes (ResourceWarning) and closed then. */
#define ll_file_close(f) ll__file_close((f), __FILE__, __LINE__)

#ifdef __cplusplus
}
#endif
#endif
