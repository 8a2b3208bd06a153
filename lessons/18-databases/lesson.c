/* Lesson 18: asyncio and databases.
 *
 * Python twin: lesson.py (sqlite3 with asyncio.to_thread).  A database
 * library such as sqlite3 blocks while it works, so an asyncio program
 * hands each call to a worker thread and awaits it: the loop stays free
 * for the other tasks.  A connection still answers one query at a time,
 * so two queries on one connection take turns, and two connections can
 * work side by side.
 *
 * The database is a real SQLite file; the queries really run on the
 * thread pool, so this lesson runs on the real clock. */
#include <looplab.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* 300 000 orders from 40 customers: enough for the report to take a
 * noticeable moment (about a tenth of a second). */
static const char *const SCHEMA =
    "CREATE TABLE orders(id INTEGER PRIMARY KEY, customer TEXT NOT NULL,"
    "                    amount INTEGER NOT NULL);"
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 300000)"
    "INSERT INTO orders(customer, amount)"
    "  SELECT 'customer-' || (x % 40), (x * 37) % 1000 FROM n;";

/* The slow query: read every order. */
static const char *const REPORT =
    "SELECT customer, count(*), sum(amount) FROM orders"
    " GROUP BY customer ORDER BY sum(amount) DESC LIMIT 3";

/* The quick one: one order by its key. */
static const char *const LOOKUP = "SELECT customer, amount FROM orders WHERE id = ?";

/* async def report(db): */
static ll_value report(ll_args args) {
    ll_value v = ll_db_query(ll_arg_ptr(args, 0), REPORT, NULL); /* await db.fetchall(REPORT) */
    LL_TRY(v);
    ll_rows *rows = v.p;
    ll_print("report: top customers");
    for (size_t i = 0; i < rows->nrows; i++)
        ll_print("  %s: %s orders, %s in all", ll_rows_get(rows, i, 0), ll_rows_get(rows, i, 1),
                 ll_rows_get(rows, i, 2));
    ll_rows_free(rows);
    return ll_none();
}

/* async def lookup(db): */
static ll_value lookup(ll_args args) {
    ll_value v = ll_db_query(ll_arg_ptr(args, 0), LOOKUP, LL_PARAMS("4242")); /* db.fetchall( */
    LL_TRY(v);
    ll_print("lookup: order 4242 is %s's, amount %s", ll_rows_get(v.p, 0, 0),
             ll_rows_get(v.p, 0, 1));
    ll_rows_free(v.p);
    return ll_none();
}

/* async def main(path): */
static ll_value amain(ll_args args) {
    const char *path = ll_arg_str(args, 0);
    ll_value v = ll_db_open(path);                   /* first = await Db.open(path) */
    LL_TRY(v);
    ll_db *first = v.p;
    ll_note("Opening the database ran on a worker thread: see the job lane. The main "
            "task waited on that job, and the loop was free meanwhile.");
    v = ll_db_exec(first, SCHEMA);                   /* await first.executescript(SCHEMA) */
    LL_TRY(v);
    ll_print("loaded %lld orders", v.i);

    ll_print("One connection:");
    ll_note("Part 1: the report and the lookup share one connection. The report asked "
            "first, so the lookup waits on the connection's lock until the report is "
            "done, though it needs only a moment.");
    LL_TRY(ll_await(ll_gather(ll_coro(report, first), ll_coro(lookup, first))));

    v = ll_db_open(path);                            /* second = await Db.open(path) */
    LL_TRY(v);
    ll_db *second = v.p;
    ll_print("Two connections:");
    ll_note("Part 2: the same two queries on two connections. Two workers run at once: "
            "the lookup answers while the report is still reading, so it prints first, "
            "although it was given to gather second.");
    LL_TRY(ll_await(ll_gather(ll_coro(report, first), ll_coro(lookup, second))));
    ll_note("Only the loop's thread runs tasks; the workers only run SQLite. Waiting "
            "for a database is like waiting for a socket: the task is parked, the loop "
            "goes on.");

    LL_TRY(ll_db_close(first));                      /* await first.close() */
    return ll_db_close(second);                      /* await second.close() */
}

int main(void) {
    char path[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/looplab-lesson-18-%d.db", tmp && *tmp ? tmp : "/tmp",
             (int)getpid());
    unlink(path);
    ll_loop_opts opts = {.clock = LL_CLOCK_REAL};  /* real threads, real time */
    int rc = ll_run_opts(ll_coro(amain, path), &opts);
    unlink(path);
    return rc;
}
