/* file.c - files through libuv's fs requests on the thread pool (what
 * Python programs get from aiofiles, or from `await asyncio.to_thread(...)`
 * around open/read/write).
 *
 * Disks do not tell an event loop when data is ready, so libuv runs file
 * calls on its thread pool.  Here each call is one uv_fs request made on a
 * pool worker, as a job of Looplab's pool, so that it has a lane in the
 * trace ("fs read notes.txt").  A file's calls take turns (ll__serial): the
 * file position moves with each read and write, so two at once would
 * interleave.  Data passes through a buffer owned by the request, so a
 * caller cancelled while its job runs leaves nothing dangling.  Every
 * ll_file is freed when the loop closes (an unclosed one is reported, as
 * Python's ResourceWarning). */
#include "io.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define MAGIC_FILE 0x6c6c6669u /* "llfi" */

enum { FOP_OPEN, FOP_READ, FOP_WRITE, FOP_CLOSE };

struct ll_file {
    uint32_t magic;
    ll_loop *loop;
    char *path;
    int flags;  /* for uv_fs_open */
    uv_file fd; /* -1 until open */
    bool closed;
    ll__serial turn;  /* lock "file PATH" */
    const char *file; /* where it was opened */
    int line;
    void *closer;
};

typedef struct freq {
    ll_file *f;
    int op;
    char *buf; /* the data read or to write */
    size_t n;
    ssize_t result;  /* bytes, or the fd for FOP_OPEN */
    atomic_int stop; /* the caller gave up (nothing to interrupt) */
    char label[96];
} freq;

/* ---- the worker's side --------------------------------------------------------- */

/* Python's wording: "[Errno 2] No such file or directory: 'PATH'". */
static ll_value fs_error(ssize_t r, const char *path) {
    int e = (int)-r;
    return ll_raise(r == UV_ENOENT ? LL_EFILE_NOT_FOUND : LL_EOS, "[Errno %d] %s (%s): '%s'", e,
                    uv_strerror((int)r), uv_err_name((int)r), path);
}

static ll_value fs_job(ll_value arg) {
    freq *q = arg.p;
    ll_file *f = q->f;
    uv_fs_t req;
    ssize_t r = 0;
    switch (q->op) {
    case FOP_OPEN: r = uv_fs_open(NULL, &req, f->path, f->flags, 0644, NULL); break;
    case FOP_READ: {
        uv_buf_t b = uv_buf_init(q->buf, (unsigned)q->n);
        r = uv_fs_read(NULL, &req, f->fd, &b, 1, -1, NULL);
        break;
    }
    case FOP_WRITE: {
        size_t done = 0;
        r = 0;
        while (done < q->n) { /* a short write goes on from where it stopped */
            uv_buf_t b = uv_buf_init(q->buf + done, (unsigned)(q->n - done));
            r = uv_fs_write(NULL, &req, f->fd, &b, 1, -1, NULL);
            uv_fs_req_cleanup(&req);
            if (r <= 0)
                break;
            done += (size_t)r;
        }
        if (r >= 0)
            r = (ssize_t)done;
        q->result = r;
        return r < 0 ? fs_error(r, f->path) : ll_none();
    }
    case FOP_CLOSE: r = uv_fs_close(NULL, &req, f->fd, NULL); break;
    }
    uv_fs_req_cleanup(&req);
    q->result = r;
    return r < 0 ? fs_error(r, f->path) : ll_none();
}

/* ---- the loop's side ----------------------------------------------------------- */

/* A request for op, with a buffer of n bytes (none for open and close). */
static freq *freq_new(ll_file *f, int op, size_t n) {
    freq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    if ((op == FOP_READ || op == FOP_WRITE) && !(q->buf = malloc(n ? n : 1))) {
        free(q);
        return NULL;
    }
    q->f = f;
    q->op = op;
    q->n = n;
    return q;
}

static void freq_free(void *p) {
    freq *q = p;
    if (q) {
        free(q->buf);
        free(q);
    }
}

/* A request whose caller was cancelled, once its job is over: a file it
 * opened nobody will use. */
static void freq_drop(void *p) {
    freq *q = p;
    if (q && q->op == FOP_OPEN && q->result >= 0) {
        uv_fs_t req;
        uv_fs_close(NULL, &req, (uv_file)q->result, NULL);
        uv_fs_req_cleanup(&req);
    }
    freq_free(q);
}

static void file_free(ll_file *f) {
    ll__serial_drop(&f->turn);
    if (f->fd >= 0 && !f->closed) {
        uv_fs_t req;
        uv_fs_close(NULL, &req, f->fd, NULL);
        uv_fs_req_cleanup(&req);
    }
    free(f->path);
    f->magic = 0;
    free(f);
}

static void file_at_close(void *arg) {
    ll_file *f = arg;
    if (!f->closed && f->fd >= 0)
        ll__warn(f->loop, LL_WARN_MISUSE, f->file, f->line,
                 "ResourceWarning: unclosed file '%s' (opened here; call ll_file_close)", f->path);
    file_free(f);
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Runs one request in the file's turn; returns the job's value, with q
 * still the caller's unless *kept. */
static ll_value run(ll_file *f, freq *q, bool *kept, const char *file, int line) {
    *kept = false;
    ll_value turn = ll__serial_enter(&f->turn, file, line);
    if (ll_failed(turn))
        return turn;
    if (f->closed && q->op != FOP_OPEN) {
        ll__serial_leave(&f->turn, file, line);
        return ll_raise(LL_EVALUE, "I/O operation on closed file '%s'", f->path);
    }
    static const char *const what[] = {"fs open", "fs read", "fs write", "fs close"};
    snprintf(q->label, sizeof q->label, "%s %s", what[q->op], base_name(f->path));
    return ll__serial_run(&f->turn, fs_job, q, &q->stop, q->label, kept, file, line);
}

static bool usable(const ll_file *f, const char *what, const char *file, int line) {
    if (!f || f->magic != MAGIC_FILE) {
        ll__misuse(ll__running_loop, file, line, "ValueError: %s: not a file (%s)", what,
                   f ? "a bad pointer" : "NULL");
        return false;
    }
    if (ll__running_loop != f->loop) {
        ll__misuse(ll__running_loop, file, line,
                   "RuntimeError: %s must be called from a task of the loop that opened the "
                   "file",
                   what);
        return false;
    }
    return true;
}

static int mode_flags(const char *mode) {
    if (!mode)
        return -1;
    if (strcmp(mode, "r") == 0 || strcmp(mode, "rb") == 0)
        return O_RDONLY;
    if (strcmp(mode, "w") == 0 || strcmp(mode, "wb") == 0)
        return O_WRONLY | O_CREAT | O_TRUNC;
    if (strcmp(mode, "a") == 0 || strcmp(mode, "ab") == 0)
        return O_WRONLY | O_CREAT | O_APPEND;
    if (strcmp(mode, "r+") == 0 || strcmp(mode, "rb+") == 0 || strcmp(mode, "r+b") == 0)
        return O_RDWR;
    return -1;
}

ll_value ll__file_open(const char *path, const char *mode, const char *file, int line) {
    ll_loop *loop = ll__running_loop;
    if (!loop) {
        ll__misuse(ll__current_loop, file, line,
                   "RuntimeError: ll_file_open() must be called from a coroutine");
        return ll_raise(LL_ERUNTIME, "ll_file_open() outside a running loop");
    }
    if (!path || !*path)
        return ll_raise(LL_EFILE_NOT_FOUND, "[Errno 2] No such file or directory: ''");
    int flags = mode_flags(mode);
    if (flags < 0)
        return ll_raise(LL_EVALUE, "invalid mode: '%s' (use \"r\", \"w\", \"a\" or \"r+\")",
                        mode ? mode : "(null)");
    ll_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return ll_raise(LL_ENOMEM, "no memory to open %s", path);
    }
    f->magic = MAGIC_FILE;
    f->loop = loop;
    f->flags = flags | O_CLOEXEC;
    f->fd = -1;
    f->file = file;
    f->line = line;
    char name[128];
    snprintf(name, sizeof name, "file %s", base_name(path));
    freq *q = NULL;
    if (ll__serial_init(&f->turn, name, freq_drop, file, line) != 0 ||
        !(f->closer = ll__io_at_close(loop, file_at_close, f)) || !(q = freq_new(f, FOP_OPEN, 0))) {
        if (f->closer)
            ll__io_forget(loop, f->closer);
        file_free(f);
        return ll_raise(LL_ENOMEM, "no memory to open %s", path);
    }
    bool kept;
    ll_value v = run(f, q, &kept, file, line);
    if (!kept) {
        if (!ll_failed(v))
            f->fd = (uv_file)q->result;
        freq_free(q);
    }
    if (ll_failed(v)) {
        f->closed = true; /* freed at loop close */
        return v;
    }
    return ll_ptr(f);
}

ll_value ll__file_read(ll_file *f, void *buf, size_t n, const char *file, int line) {
    if (!usable(f, "ll_file_read()", file, line))
        return ll_raise(LL_EVALUE, "ll_file_read: not an open file");
    if (!buf && n)
        return ll_raise(LL_EVALUE, "ll_file_read: no buffer (NULL)");
    if (n > UINT32_MAX)
        n = UINT32_MAX;
    freq *q = freq_new(f, FOP_READ, n);
    if (!q)
        return ll_raise(LL_ENOMEM, "no memory to read %zu bytes", n);
    bool kept;
    ll_value v = run(f, q, &kept, file, line);
    if (kept)
        return v;
    if (!ll_failed(v)) {
        if (q->result > 0)
            memcpy(buf, q->buf, (size_t)q->result);
        v = ll_int(q->result);
    }
    freq_free(q);
    return v;
}

ll_value ll__file_write(ll_file *f, const void *data, size_t n, const char *file, int line) {
    if (!usable(f, "ll_file_write()", file, line))
        return ll_raise(LL_EVALUE, "ll_file_write: not an open file");
    if (!data && n)
        return ll_raise(LL_EVALUE, "ll_file_write: no data (NULL)");
    if (n > UINT32_MAX)
        return ll_raise(LL_EVALUE, "ll_file_write: %zu bytes in one call is too many", n);
    freq *q = freq_new(f, FOP_WRITE, n);
    if (!q)
        return ll_raise(LL_ENOMEM, "no memory to write %zu bytes", n);
    if (n)
        memcpy(q->buf, data, n);
    bool kept;
    ll_value v = run(f, q, &kept, file, line);
    if (kept)
        return v;
    if (!ll_failed(v))
        v = ll_int(q->result);
    freq_free(q);
    return v;
}

ll_value ll__file_close(ll_file *f, const char *file, int line) {
    if (!usable(f, "ll_file_close()", file, line))
        return ll_raise(LL_EVALUE, "ll_file_close() needs an open file");
    if (f->closed)
        return ll_none(); /* as Python's close(): twice is fine */
    freq *q = freq_new(f, FOP_CLOSE, 0);
    if (!q)
        return ll_raise(LL_ENOMEM, "no memory to close the file");
    bool kept;
    ll_value v = run(f, q, &kept, file, line);
    if (!kept)
        freq_free(q);
    else
        f->closed = true; /* its job closes the descriptor */
    if (ll_except(v, LL_ECANCELLED))
        return v;
    f->closed = true; /* even on an error, the descriptor is gone */
    return ll_failed(v) ? v : ll_none();
}
