/* db.c - SQLite through the thread pool: what a Python program gets from
 * `await asyncio.to_thread(conn.execute, ...)` (or aiosqlite).
 *
 * SQLite's calls block, so each one runs as a thread-pool job (its lane in
 * the trace is labelled with the SQL).  A connection answers one call at a
 * time: calls queue on the connection's lock, which the trace shows as a
 * lock named after the database, so a student sees that two queries on one
 * connection take turns while two connections work side by side.
 *
 * Cancelling: a call whose task is cancelled while its job runs returns
 * CancelledError at once (as to_thread does), and tells the job to stop:
 * SQLite's progress handler sees the request's `stop` flag and interrupts
 * the statement.  The request stays with the connection (ll__serial, in
 * serial.c) until the job is over, and the connection's next call waits for
 * that first, so the connection never runs two jobs at once.  Every ll_db, closed or not, is
 * freed when the loop closes, after the pool has finished every job;
 * ll_db_close closes the SQLite handle.
 *
 * The program holds a database by handle (handles.c): one from a loop that
 * has closed, or from another loop, is refused rather than read.  Rows are
 * the program's until ll_rows_free (they outlive ll_db_close) or the loop's
 * end.  A freed answer's header waits in a quarantine of the last
 * QUARANTINE freed ones, so that freeing it again is refused with the call
 * site rather than freeing memory twice.  A query stops with an error past
 * max_rows rows or max_bytes of text (LOOPLAB_DB_MAX_ROWS raises the first):
 * a runaway query ends in a sentence, not in a MemoryError minutes later. */
#include "io.h"
#include "../core/grow.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC_DB 0x6c6c6462u   /* "lldb" */
#define MAGIC_ROWS 0x6c6c7277u /* "llrw" */
#define MAGIC_ROWS_FREED 0x6c6c7246u

enum { OP_OPEN, OP_EXEC, OP_QUERY, OP_CLOSE };
enum {
    QUARANTINE = 1024,           /* freed answers remembered, per database */
    DEFAULT_MAX_ROWS = 10000000, /* rows of one answer */
};
#define MAX_TEXT_BYTES ((size_t)1 << 30) /* text of one answer */

typedef struct rows_node {
    uint32_t magic;                /* MAGIC_ROWS; MAGIC_ROWS_FREED in quarantine */
    struct rows_node *next, *prev; /* the database's live answers */
    ll_db *db;
    char *cells; /* the pointers and the strings, one block */
    ll_rows r;
} rows_node;

typedef struct dbreq {
    ll_db *db;
    int op;
    char *sql;
    char **params;   /* NULL-terminated copies, or NULL */
    rows_node *rows; /* OP_QUERY: the answer, built on the worker */
    int64_t changes; /* OP_EXEC */
    atomic_int stop; /* set by the loop: its caller gave up */
    size_t max_rows; /* the cap on the answer's rows */
    char label[64];  /* the job's name in the trace */
} dbreq;

struct ll_db {
    uint32_t magic;
    ll_loop *loop;
    sqlite3 *h;
    char *path;
    ll__serial turn;  /* one call at a time (lock "db PATH") */
    const char *file; /* where it was opened */
    int line;
    void *closer;
    bool closed;
    void *handle;                      /* what the program holds */
    rows_node *rows;                   /* answers not freed yet */
    rows_node *quarantine[QUARANTINE]; /* freed answers' headers, a ring */
    size_t nfreed;                     /* answers freed so far (the ring's next slot) */
};

/* ---- the worker's side --------------------------------------------------------- */

static ll_value sql_error(sqlite3 *h, int rc, const char *sql) {
    int code = (rc & 0xff) == SQLITE_CONSTRAINT ? LL_EINTEGRITY : LL_EOPERATIONAL;
    const char *msg = h ? sqlite3_errmsg(h) : sqlite3_errstr(rc);
    if (sql)
        return ll_raise(code, "%s (in: %.120s)", msg, sql);
    return ll_raise(code, "%s", msg);
}

/* Copies a finished statement's rows into one block (column names, cells,
 * strings).  Returns the node, or NULL with *rc set. */
typedef struct growbuf {
    char *p;
    size_t len, cap;
} growbuf;

static int gb_put(growbuf *g, const void *s, size_t n) {
    LL__GROW(g->p, g->cap, g->len + n, 256, return -1);
    memcpy(g->p + g->len, s, n);
    g->len += n;
    return 0;
}

/* SQLite's progress handler: non-zero interrupts the statement. */
static int should_stop(void *arg) {
    return atomic_load(&((dbreq *)arg)->stop);
}

/* Prepares the one statement of r->sql and binds its parameters (*out is
 * NULL when it fails, with the error returned). */
static ll_value prepare_one(dbreq *r, sqlite3_stmt **out) {
    sqlite3 *h = r->db->h;
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    *out = NULL;
    int rc = sqlite3_prepare_v2(h, r->sql, -1, &st, &tail);
    if (rc != SQLITE_OK)
        return sql_error(h, rc, r->sql);
    if (!st)
        return ll_raise(LL_EVALUE, "no SQL statement in: %.120s", r->sql);
    if (tail && strspn(tail, " \t\r\n;") != strlen(tail)) {
        sqlite3_finalize(st);
        return ll_raise(LL_EVALUE,
                        "You can only execute one statement at a time (use ll_db_exec for a "
                        "script): %.120s",
                        r->sql);
    }
    int np = sqlite3_bind_parameter_count(st), given = 0;
    while (r->params && r->params[given])
        given++;
    if (np != given) {
        sqlite3_finalize(st);
        return ll_raise(LL_EVALUE,
                        "Incorrect number of bindings supplied: the statement uses %d, and "
                        "there are %d supplied (in: %.120s)",
                        np, given, r->sql);
    }
    for (int i = 0; i < np; i++)
        sqlite3_bind_text(st, i + 1, r->params[i], -1, SQLITE_STATIC);
    *out = st;
    return ll_none();
}

static ll_value no_memory(const dbreq *r) {
    return ll_raise(LL_ENOMEM, "no memory for the rows of: %.120s", r->sql);
}

/* Steps the statement to its end, the column names and then every row's
 * cells going into offs (an offset into strs + 1 each; 0 = NULL). */
static ll_value fetch_rows(dbreq *r, sqlite3_stmt *st, int ncols, growbuf *offs, growbuf *strs,
                           size_t *nrows) {
    for (int c = 0; c < ncols; c++) {
        const char *name = sqlite3_column_name(st, c);
        size_t o = strs->len + 1;
        if (gb_put(offs, &o, sizeof o) || gb_put(strs, name, strlen(name) + 1))
            return no_memory(r);
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*nrows >= r->max_rows || strs->len > MAX_TEXT_BYTES)
            return ll_raise(LL_EOPERATIONAL,
                            "the answer is over Looplab's cap of %zu rows or %zu MiB of text "
                            "(add a LIMIT, or raise the rows with LOOPLAB_DB_MAX_ROWS) (in: "
                            "%.120s)",
                            r->max_rows, MAX_TEXT_BYTES >> 20, r->sql);
        for (int c = 0; c < ncols; c++) {
            size_t o = 0;
            if (sqlite3_column_type(st, c) != SQLITE_NULL) {
                const unsigned char *t = sqlite3_column_text(st, c);
                int n = sqlite3_column_bytes(st, c);
                o = strs->len + 1;
                char z = '\0';
                if (gb_put(strs, t ? (const char *)t : "", (size_t)n) || gb_put(strs, &z, 1))
                    return no_memory(r);
            }
            if (gb_put(offs, &o, sizeof o))
                return no_memory(r);
        }
        (*nrows)++;
    }
    /* The error is read before the statement is finalized. */
    return rc == SQLITE_DONE ? ll_none() : sql_error(r->db->h, rc, r->sql);
}

/* The rows as one block: the cell pointers, then the strings they point
 * into, so that ll_db_rows_free frees one thing. */
static ll_value pack_rows(dbreq *r, int ncols, size_t nrows, const growbuf *offs,
                          const growbuf *strs) {
    sqlite3 *h = r->db->h;
    size_t ncells = (size_t)ncols * (nrows + 1);
    rows_node *rn = calloc(1, sizeof *rn);
    char *blk = rn ? malloc(ncells * sizeof(char *) + strs->len + 1) : NULL;
    if (!blk) {
        free(rn);
        return no_memory(r);
    }
    rn->magic = MAGIC_ROWS;
    rn->cells = blk;
    const char **ptrs = (const char **)blk;
    char *area = (char *)(ptrs + ncells);
    if (strs->len)
        memcpy(area, strs->p, strs->len);
    area[strs->len] = '\0';
    const size_t *o = (const size_t *)offs->p;
    for (size_t i = 0; i < ncells; i++)
        ptrs[i] = o[i] ? area + o[i] - 1 : NULL;
    rn->r.ncols = ncols;
    rn->r.nrows = nrows;
    rn->r.columns = ptrs;
    rn->r.cells = ptrs + ncols;
    rn->r.changes = sqlite3_changes64(h);
    rn->r.last_rowid = sqlite3_last_insert_rowid(h);
    r->rows = rn;
    return ll_none();
}

/* Each cell is stored as an offset into the string area (+1; 0 = NULL). */
static ll_value run_query(dbreq *r) {
    sqlite3 *h = r->db->h;
    sqlite3_stmt *st;
    ll_value v = prepare_one(r, &st);
    if (!st)
        return v;
    sqlite3_progress_handler(h, 10000, should_stop, r);
    int ncols = sqlite3_column_count(st);
    growbuf offs = {0}, strs = {0};
    size_t nrows = 0;
    v = fetch_rows(r, st, ncols, &offs, &strs, &nrows);
    sqlite3_progress_handler(h, 0, NULL, NULL);
    sqlite3_finalize(st);
    if (!ll_failed(v))
        v = pack_rows(r, ncols, nrows, &offs, &strs);
    free(offs.p);
    free(strs.p);
    return v;
}

static ll_value db_job(ll_value arg) {
    dbreq *r = arg.p;
    ll_db *db = r->db;
    switch (r->op) {
    case OP_OPEN: {
        int rc = sqlite3_open_v2(db->path, &db->h,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                 NULL);
        if (rc != SQLITE_OK) {
            ll_value e = ll_raise(LL_EOPERATIONAL, "unable to open database file %s: %s", db->path,
                                  db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
            sqlite3_close_v2(db->h);
            db->h = NULL;
            return e;
        }
        /* Another connection writing: wait for it rather than fail at once,
         * as Python's sqlite3 does (timeout=5.0). */
        sqlite3_busy_timeout(db->h, 5000);
        return ll_none();
    }
    case OP_EXEC: {
        char *msg = NULL;
        r->changes = sqlite3_total_changes64(db->h);
        sqlite3_progress_handler(db->h, 10000, should_stop, r);
        int rc = sqlite3_exec(db->h, r->sql, NULL, NULL, &msg);
        sqlite3_progress_handler(db->h, 0, NULL, NULL);
        if (rc != SQLITE_OK) {
            int code = (rc & 0xff) == SQLITE_CONSTRAINT ? LL_EINTEGRITY : LL_EOPERATIONAL;
            ll_value e = ll_raise(code, "%s (in: %.120s)", msg ? msg : sqlite3_errstr(rc), r->sql);
            sqlite3_free(msg);
            return e;
        }
        r->changes = sqlite3_total_changes64(db->h) - r->changes;
        return ll_none();
    }
    case OP_QUERY: return run_query(r);
    case OP_CLOSE:
        sqlite3_close_v2(db->h);
        db->h = NULL;
        return ll_none();
    }
    return ll_raise(LL_ERUNTIME, "unknown database operation %d", r->op);
}

/* ---- the loop's side ----------------------------------------------------------- */

static void rows_node_free(rows_node *n) {
    if (n) {
        free(n->cells);
        free(n);
    }
}

static void req_free(dbreq *r) {
    if (!r)
        return;
    free(r->sql);
    if (r->params)
        for (char **p = r->params; *p; p++)
            free(*p);
    free(r->params);
    rows_node_free(r->rows); /* a query's rows nobody took */
    free(r);
}

static void req_free_any(void *r) {
    req_free(r);
}

static void db_free(ll_db *db) {
    ll__serial_drop(&db->turn);
    while (db->rows) {
        rows_node *n = db->rows;
        db->rows = n->next;
        rows_node_free(n);
    }
    for (size_t i = 0; i < QUARANTINE; i++)
        free(db->quarantine[i]);
    ll__h_drop(ll__io_dbs(db->loop), db->handle);
    if (db->h)
        sqlite3_close_v2(db->h);
    free(db->path);
    db->magic = 0;
    free(db);
}

static void db_at_close(void *arg) {
    ll_db *db = arg;
    if (!db->closed)
        ll__warn(db->loop, LL_WARN_MISUSE, db->file, db->line,
                 "ResourceWarning: unclosed database %s (opened here; call ll_db_close)", db->path);
    db_free(db);
}

static dbreq *req_new(ll_db *db, int op, const char *sql, const char *const *params) {
    dbreq *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->db = db;
    r->op = op;
    const char *cap = getenv("LOOPLAB_DB_MAX_ROWS");
    char *end = NULL;
    unsigned long long want = cap ? strtoull(cap, &end, 10) : 0;
    r->max_rows = end && !*end && want > 0 ? (size_t)want : DEFAULT_MAX_ROWS;
    if (sql && !(r->sql = strdup(sql)))
        goto fail;
    if (params) {
        size_t n = 0;
        while (params[n])
            n++;
        if (!(r->params = calloc(n + 1, sizeof *r->params)))
            goto fail;
        for (size_t i = 0; i < n; i++)
            if (!(r->params[i] = strdup(params[i])))
                goto fail;
    }
    static const char *const what[] = {"sqlite open", "sqlite", "sqlite", "sqlite close"};
    if (sql) {
        /* "sqlite: SELECT name FROM ..." on one line */
        int n = snprintf(r->label, sizeof r->label, "%s: %s", what[op], sql);
        for (char *p = r->label; *p; p++)
            if (*p == '\n' || *p == '\t' || *p == '\r')
                *p = ' ';
        if (n >= (int)sizeof r->label)
            memcpy(r->label + sizeof r->label - 4, "...", 4);
    } else {
        snprintf(r->label, sizeof r->label, "%s %s", what[op], db->path);
    }
    return r;
fail:
    req_free(r);
    return NULL;
}

/* The database a handle names, on the running loop; NULL (reported) when
 * it names none there. */
static ll_db *usable(const ll_db *h, const char *what, const char *file, int line) {
    if (!ll__h_is_handle(h)) {
        ll__misuse(ll__running_loop, file, line, "ValueError: %s: not a database (%s)", what,
                   h ? "a bad pointer" : "NULL");
        return NULL;
    }
    ll_db *db = ll__running_loop ? ll__h_get(ll__io_dbs(ll__running_loop), h) : NULL;
    if (!db || db->magic != MAGIC_DB) {
        ll__misuse(ll__running_loop, file, line,
                   "RuntimeError: %s must be called from a task of the loop that opened the "
                   "database (this one is %s)",
                   what,
                   ll__running_loop ? "from a loop that has closed, or another loop"
                                    : "used outside any running loop");
        return NULL;
    }
    return db;
}

/* Runs one request on the pool, in turn with the connection's other
 * calls.  Consumes r. */
static ll_value run_req(ll_db *db, dbreq *r, const char *file, int line) {
    ll_value turn = ll__serial_enter(&db->turn, file, line);
    if (ll_failed(turn)) {
        req_free(r);
        return turn;
    }
    if (db->closed && r->op != OP_OPEN) {
        ll__serial_leave(&db->turn, file, line);
        req_free(r);
        return ll_raise(LL_EPROGRAMMING, "Cannot operate on a closed database (%s)", db->path);
    }
    bool kept;
    ll_value v = ll__serial_run(&db->turn, db_job, r, &r->stop, r->label, &kept, file, line);
    if (kept)
        return v; /* cancelled while the job runs: r is freed once it is over */
    if (ll_failed(v)) {
        req_free(r);
        return v;
    }
    ll_value out = ll_none();
    if (r->op == OP_QUERY) {
        rows_node *rn = r->rows;
        r->rows = NULL;
        rn->db = db;
        rn->next = db->rows;
        if (rn->next)
            rn->next->prev = rn;
        db->rows = rn;
        out = ll_ptr(&rn->r);
    } else if (r->op == OP_EXEC) {
        out = ll_int(r->changes);
    }
    req_free(r);
    return out;
}

ll_value ll__db_open(const char *path, const char *file, int line) {
    ll_loop *loop = ll__running_loop;
    if (!loop) {
        ll__misuse(ll__current_loop, file, line,
                   "RuntimeError: ll_db_open() must be called from a coroutine");
        return ll_raise(LL_ERUNTIME, "ll_db_open() outside a running loop");
    }
    if (!path || !*path)
        return ll_raise(LL_EVALUE, "ll_db_open: no database path (use \":memory:\" for one "
                                   "in memory)");
    ll_db *db = calloc(1, sizeof *db);
    if (!db || !(db->path = strdup(path))) {
        free(db);
        return ll_raise(LL_ENOMEM, "no memory for database %s", path);
    }
    db->magic = MAGIC_DB;
    db->loop = loop;
    db->file = file;
    db->line = line;
    ll__htab *tab = ll__io_dbs(loop);
    if (!tab || !(db->handle = ll__h_put(tab, db))) {
        free(db->path);
        free(db);
        return ll_raise(LL_ENOMEM, "no memory for database %s", path);
    }
    char name[96];
    snprintf(name, sizeof name, "db %s", path);
    int ok = ll__serial_init(&db->turn, name, req_free_any, file, line);
    db->closer = ll__io_at_close(loop, db_at_close, db);
    dbreq *r = ok == 0 && db->closer ? req_new(db, OP_OPEN, NULL, NULL) : NULL;
    if (!r) {
        if (db->closer)
            ll__io_forget(loop, db->closer);
        db->closed = true;
        db_free(db);
        return ll_raise(LL_ENOMEM, "no memory for database %s", path);
    }
    ll_value v = run_req(db, r, file, line);
    if (ll_failed(v)) {
        db->closed = true; /* freed at loop close */
        return v;
    }
    return ll_ptr(db->handle);
}

ll_value ll__db_exec(ll_db *h, const char *sql, const char *file, int line) {
    ll_db *db = usable(h, "ll_db_exec()", file, line);
    if (!db)
        return ll_raise(LL_EVALUE, "ll_db_exec: not an open database");
    if (!sql)
        return ll_raise(LL_EVALUE, "ll_db_exec: no SQL (NULL)");
    dbreq *r = req_new(db, OP_EXEC, sql, NULL);
    if (!r)
        return ll_raise(LL_ENOMEM, "no memory for a query");
    return run_req(db, r, file, line);
}

ll_value ll__db_query(ll_db *h, const char *sql, const char *const *params, const char *file,
                      int line) {
    ll_db *db = usable(h, "ll_db_query()", file, line);
    if (!db)
        return ll_raise(LL_EVALUE, "ll_db_query: not an open database");
    if (!sql)
        return ll_raise(LL_EVALUE, "ll_db_query: no SQL (NULL)");
    dbreq *r = req_new(db, OP_QUERY, sql, params);
    if (!r)
        return ll_raise(LL_ENOMEM, "no memory for a query");
    return run_req(db, r, file, line);
}

ll_value ll__db_close(ll_db *h, const char *file, int line) {
    ll_db *db = usable(h, "ll_db_close()", file, line);
    if (!db)
        return ll_raise(LL_EVALUE, "ll_db_close() needs an open database");
    if (db->closed)
        return ll_none(); /* as sqlite3's close(): twice is fine */
    dbreq *r = req_new(db, OP_CLOSE, NULL, NULL);
    if (!r)
        return ll_raise(LL_ENOMEM, "no memory to close the database");
    ll_value v = run_req(db, r, file, line);
    if (ll_failed(v))
        return v;
    db->closed = true;
    /* Its answers stay the program's (until ll_rows_free or the loop's
     * end), and so does the ll_db, so that a call on a closed database is
     * a clear error. */
    return ll_none();
}

const char *ll_rows_get(const ll_rows *rows, size_t row, int col) {
    if (!rows || row >= rows->nrows || col < 0 || col >= rows->ncols)
        return NULL;
    return rows->cells[row * (size_t)rows->ncols + (size_t)col];
}

void ll__rows_free(ll_rows *rows, const char *file, int line) {
    if (!rows)
        return;
    rows_node *n = (rows_node *)((char *)rows - offsetof(rows_node, r));
    if (n->magic != MAGIC_ROWS) {
        ll__misuse(ll__running_loop, file, line, "RuntimeError: ll_rows_free() of %s",
                   n->magic == MAGIC_ROWS_FREED ? "rows that were already freed"
                                                : "something that is not rows");
        return;
    }
    ll_db *db = n->db;
    if (n->prev)
        n->prev->next = n->next;
    else if (db)
        db->rows = n->next;
    if (n->next)
        n->next->prev = n->prev;
    free(n->cells);
    n->cells = NULL;
    memset(&n->r, 0, sizeof n->r);
    n->magic = MAGIC_ROWS_FREED;
    /* The header waits in the ring; the one it replaces goes for good. */
    size_t at = db->nfreed++ % QUARANTINE;
    free(db->quarantine[at]);
    db->quarantine[at] = n;
}
