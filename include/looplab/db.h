/* looplab/db.h - SQLite databases, each call a job on the thread pool
 * (what asyncio.to_thread or aiosqlite give Python).
 *
 * Part of Looplab's public API, included by <looplab.h> (include that).
 * Calls that can wait return an ll_value, as in the core. */
#ifndef LOOPLAB_H
#include "../looplab.h" /* which includes this file at its end */
#elif !defined(LOOPLAB_DB_H)
#define LOOPLAB_DB_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Databases: SQLite through the thread pool ------------------------------------
 * SQLite's calls block, so each runs as a thread-pool job (what
 * `await asyncio.to_thread(conn.execute, sql)` does in Python, or
 * aiosqlite); the awaiting task waits on the job and the loop goes on.  A
 * connection answers one call at a time: further calls wait on its lock
 * ("db PATH" in the trace).  Open two connections to read side by side.
 *
 *     ll_value v = ll_db_open("shop.db");                  // sqlite3.connect
 *     if (ll_failed(v)) return v;
 *     ll_db *db = v.p;
 *     LL_TRY(ll_db_exec(db, "CREATE TABLE t(name TEXT)")); // executescript
 *     v = ll_db_query(db, "SELECT name FROM t WHERE name = ?", LL_PARAMS("ada"));
 *     ll_rows *rows = v.p;                                 // .fetchall()
 *     for (size_t i = 0; i < rows->nrows; i++) ll_print("%s", ll_rows_get(rows, i, 0));
 *     ll_db_close(db);
 *
 * Errors name the SQL: sqlite3.OperationalError (bad SQL, no such table,
 * unopenable file), sqlite3.IntegrityError (a constraint), ValueError (wrong
 * number of parameters, two statements in a query), sqlite3.ProgrammingError
 * (the database is closed).  Cancelling a call interrupts SQLite's work. */
typedef struct ll_db ll_db;
/* A query's answer, every value as text (NULL for SQL NULL).  The
 * program's until ll_rows_free (it outlives ll_db_close) or the loop's end.
 * One answer holds at most 10 000 000 rows (LOOPLAB_DB_MAX_ROWS changes
 * that) and 1 GiB of text: a query past either fails with an
 * OperationalError that says so, rather than running out of memory. */
typedef struct ll_rows {
    int ncols;
    size_t nrows;
    const char *const *columns; /* ncols names */
    const char *const *cells;   /* nrows * ncols, row by row */
    int64_t changes;            /* rows changed by an INSERT/UPDATE/DELETE */
    int64_t last_rowid;         /* cursor.lastrowid */
} ll_rows;
/* A NULL-terminated list of parameters for the ?s of a query. */
#ifndef __cplusplus
#define LL_PARAMS(...) ((const char *const[]){__VA_ARGS__, NULL})
#else /* no compound literals in C++: an array that lives as long as the call */
#define LL_PARAMS(...) (ll__params{{__VA_ARGS__, NULL}}.v)
#endif

/* Opens (creating it if needed) the database file at path (":memory:" for
 * one in memory): the value's .p is the ll_db. */
#define ll_db_open(path) ll__db_open((path), __FILE__, __LINE__)
/* Runs a script of one or more statements; the value is LL_INT, the rows
 * it changed. */
#define ll_db_exec(db, sql) ll__db_exec((db), (sql), __FILE__, __LINE__)
/* Runs one statement with params (LL_PARAMS(...) or NULL) bound to its ?s;
 * the value's .p is the ll_rows. */
#define ll_db_query(db, sql, params) ll__db_query((db), (sql), (params), __FILE__, __LINE__)
/* A cell (row, column), or NULL (SQL NULL, or out of range). */
const char *ll_rows_get(const ll_rows *rows, size_t row, int col);
/* Frees an answer; freeing it again is reported (RuntimeError, at the call
 * site) rather than done, for the last 1 024 answers freed on its database. */
#define ll_rows_free(rows) ll__rows_free((rows), __FILE__, __LINE__)
/* Closes the connection (after the calls queued before it); its answers
 * stay valid.  None or the error.  A database never closed is reported
 * when the loop closes (ResourceWarning).  An ll_db is a handle: one used
 * after its loop closed, or on another loop, is refused with a message. */
#define ll_db_close(db) ll__db_close((db), __FILE__, __LINE__)

#ifdef __cplusplus
}
#endif
#endif
