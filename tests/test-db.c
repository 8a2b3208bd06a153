/* test-db.c - SQLite through the thread pool (ll_db_*).
 *
 * Checked: rows, columns, NULLs, parameters, changes and rowids come back
 * as SQLite gives them; bad SQL, a broken constraint, the wrong number of
 * parameters, two statements in one query, a closed database and a file
 * that cannot be opened each give their error naming the SQL or the path;
 * every call is a thread-pool job labelled with its SQL and calls on one
 * connection take turns on its lock, while two connections work at the
 * same time and other tasks keep running (real clock); a query cancelled
 * by a timeout stops early and the connection goes on working; an unclosed
 * database is reported when the loop closes; the virtual clock runs
 * queries too. */
#include "harness-internal.h"

#include <unistd.h>

/* Runs main on a fresh loop; returns stdout, and stderr and the trace when
 * asked. */
static char *run_clock(ll_coro_fn main, ll_clock clock, char **err, char **trace) {
    return run_loop(main, clock, -1, "/tmp/looplab-test-db-last.trace", err, trace, NULL);
}

/* A database file of this test's own, removed first. */
static const char *db_path(const char *name) {
    static char buf[256];
    snprintf(buf, sizeof buf, "/tmp/looplab-test-db-%d-%s.db", (int)getpid(), name);
    unlink(buf);
    return buf;
}

static void show(const ll_rows *rows) {
    for (int c = 0; c < rows->ncols; c++)
        ll_print("col %s", rows->columns[c]);
    for (size_t i = 0; i < rows->nrows; i++) {
        char line[256] = "";
        for (int c = 0; c < rows->ncols; c++) {
            const char *v = ll_rows_get(rows, i, c);
            strncat(line, v ? v : "NULL", sizeof line - strlen(line) - 2);
            strncat(line, "|", sizeof line - strlen(line) - 1);
        }
        ll_print("row %s", line);
    }
}

/* ---- answers ------------------------------------------------------------------ */

static ll_value basics_main(LL_NOARGS) {
    ll_value v = ll_db_open(":memory:");
    if (ll_failed(v))
        return v;
    ll_db *db = v.p;
    v = ll_db_exec(db, "CREATE TABLE pets(id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INT);"
                       "INSERT INTO pets(name, age) VALUES ('Rex', 3), ('Tom', NULL);");
    if (ll_failed(v))
        return v;
    ll_print("exec changed %lld", (long long)v.i);
    v = ll_db_query(db, "INSERT INTO pets(name, age) VALUES (?, ?)", LL_PARAMS("Ada", "7"));
    if (ll_failed(v))
        return v;
    ll_rows *ins = v.p;
    ll_print("insert changed %lld, rowid %lld, %zu rows", (long long)ins->changes,
             (long long)ins->last_rowid, ins->nrows);
    ll_rows_free(ins);
    v = ll_db_query(db, "SELECT name, age FROM pets WHERE id >= ? ORDER BY id", LL_PARAMS("1"));
    if (ll_failed(v))
        return v;
    show(v.p);
    ll_rows_free(v.p);
    v = ll_db_query(db, "SELECT count(*) AS n FROM pets WHERE name = 'nobody'", NULL);
    if (ll_failed(v))
        return v;
    show(v.p); /* rows kept: ll_db_close frees them */
    ll_print("out of range: %s", ll_rows_get(v.p, 5, 0) ? "value" : "NULL");
    return ll_int(ll_errcode(ll_db_close(db)));
}

START_TEST(rows_columns_nulls_and_parameters) {
    char *err;
    char *out = run_clock(basics_main, LL_CLOCK_VIRTUAL, &err, NULL);
    ck_assert_str_eq(out, "exec changed 2\n"
                          "insert changed 1, rowid 3, 0 rows\n"
                          "col name\ncol age\n"
                          "row Rex|3|\nrow Tom|NULL|\nrow Ada|7|\n"
                          "col n\nrow 0|\n"
                          "out of range: NULL\n");
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
}
END_TEST

/* ---- errors ------------------------------------------------------------------- */

static ll_value errors_main(LL_NOARGS) {
    say("open", ll_db_open("/nonexistent-dir/x/y.db"));
    ll_value v = ll_db_open(":memory:");
    if (ll_failed(v))
        return v;
    ll_db *db = v.p;
    say("schema", ll_db_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE)"));
    say("typo", ll_db_query(db, "SELEC name FROM t", NULL));
    say("no table", ll_db_query(db, "SELECT * FROM nowhere", NULL));
    say("first", ll_db_query(db, "INSERT INTO t(name) VALUES (?)", LL_PARAMS("x")));
    say("again", ll_db_query(db, "INSERT INTO t(name) VALUES (?)", LL_PARAMS("x")));
    say("params", ll_db_query(db, "SELECT ? + ?", LL_PARAMS("1")));
    say("two", ll_db_query(db, "SELECT 1; SELECT 2", NULL));
    say("empty", ll_db_query(db, "  ", NULL));
    say("close", ll_int(ll_errcode(ll_db_close(db))));
    say("closed", ll_db_query(db, "SELECT 1", NULL));
    say("close twice", ll_int(ll_errcode(ll_db_close(db))));
    return ll_none();
}

START_TEST(bad_sql_and_bad_calls_name_what_was_wrong) {
    char *out = run_clock(errors_main, LL_CLOCK_VIRTUAL, NULL, NULL);
    ck_assert_has(out, "open: sqlite3.OperationalError: unable to open database file "
                       "/nonexistent-dir/x/y.db");
    ck_assert_has(out, "schema: ok\n");
    ck_assert_has(out, "typo: sqlite3.OperationalError: near \"SELEC\": syntax error (in: "
                       "SELEC name FROM t)\n");
    ck_assert_has(out, "no table: sqlite3.OperationalError: no such table: nowhere");
    ck_assert_has(out, "first: ok\n");
    ck_assert_has(out, "again: sqlite3.IntegrityError: UNIQUE constraint failed: t.name");
    ck_assert_has(out, "params: ValueError: Incorrect number of bindings supplied: the "
                       "statement uses 2, and there are 1 supplied");
    ck_assert_has(out, "two: ValueError: You can only execute one statement at a time");
    ck_assert_has(out, "empty: ValueError: no SQL statement");
    ck_assert_has(out, "close: ok\n");
    ck_assert_has(out, "closed: sqlite3.ProgrammingError: Cannot operate on a closed database");
    ck_assert_has(out, "close twice: ok\n");
    free(out);
}
END_TEST

static ll_value unclosed_main(LL_NOARGS) {
    ll_value v = ll_db_open(":memory:");
    if (ll_failed(v))
        return v;
    return ll_db_query(v.p, "SELECT 1", NULL); /* rows and db left for the loop */
}

START_TEST(an_unclosed_database_is_reported_at_loop_close) {
    char *err, *trace;
    char *out = run_clock(unclosed_main, LL_CLOCK_VIRTUAL, &err, &trace);
    ck_assert_has(err, "ResourceWarning: unclosed database :memory:");
    ck_assert_has(err, "test-db.c:");
    free(out);
    free(err);
    free(trace);
}
END_TEST

/* ---- on the thread pool --------------------------------------------------------- */

/* Sums 1..N with a recursive query: real work for SQLite, a few tenths of a
 * second at N = 500 000. */
#define HEAVY                                                                                      \
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < CAST(? AS "          \
    "INTEGER)) "                                                                                   \
    "SELECT sum(x) FROM c"

static int ticks;
static ll_value ticker(LL_NOARGS) {
    for (;;) {
        LL_TRY(ll_sleep(0.01));
        ticks++;
    }
}

static const char *file_db;
static ll_value heavy(ll_value arg) {
    ll_db *db = arg.p;
    ll_value v = ll_db_query(db, HEAVY, LL_PARAMS("500000"));
    if (ll_failed(v))
        return v;
    ll_print("sum %s", ll_rows_get(v.p, 0, 0));
    return ll_none();
}

static ll_value pool_main(LL_NOARGS) {
    ll_value a = ll_db_open(file_db), b = ll_db_open(file_db);
    if (ll_failed(a) || ll_failed(b))
        return ll_failed(a) ? a : b;
    ll_task *tick = ll_create_task(ll_coro(ticker), "ticker");
    /* Two connections: side by side.  Then two queries on one: in turn. */
    LL_TRY(ll_await(ll_gather(ll_coro(heavy, a), ll_coro(heavy, b))));
    int during = ticks;
    LL_TRY(ll_await(ll_gather(ll_coro(heavy, a), ll_coro(heavy, a))));
    ll_task_cancel(tick);
    /* Valgrind runs one thread at a time: the loop gets fewer turns. */
    int enough = under_checker() ? 1 : 5;
    ll_print("ticks: %s", during >= enough ? "many" : "few");
    ll_db_close(a.p);
    ll_db_close(b.p);
    return ll_none();
}

START_TEST(queries_run_on_workers_and_the_loop_keeps_going) {
    file_db = db_path("pool");
    ticks = 0;
    char *trace;
    char *out = run_clock(pool_main, LL_CLOCK_REAL, NULL, &trace);
    ck_assert_str_eq(out, "sum 125000250000\nsum 125000250000\n"
                          "sum 125000250000\nsum 125000250000\nticks: many\n");
    /* Every call is a job with its SQL as its name. */
    ck_assert_has(trace, "job_submit");
    ck_assert_has(trace, "\"sqlite: WITH RECURSIVE c(x)");
    ck_assert_has(trace, "\"sqlite open ");
    /* One connection's calls wait on its lock. */
    ck_assert_has(trace, "\"db /tmp/looplab-test-db-");
    ck_assert_has(trace, "wait         on=lock obj=1 ");
    /* The two heavy jobs on two connections overlap: after the two opens,
     * both start before either ends. */
    int starts = 0, ends = 0, ends_when_fourth_started = -1;
    for (const char *p = trace; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line - 1 ? n : sizeof line - 1), p);
        if (strstr(line, "job_start") && ++starts == 4)
            ends_when_fourth_started = ends;
        else if (strstr(line, "job_end"))
            ends++;
    }
    ck_assert_int_eq(ends_when_fourth_started, 2);
    free(out);
    free(trace);
    unlink(file_db);
}
END_TEST

/* A query that would run for hours. */
static ll_value heavy_forever(ll_value arg) {
    return ll_db_query(arg.p, HEAVY, LL_PARAMS("100000000000"));
}

static ll_value timeout_main(LL_NOARGS) {
    ll_value v = ll_db_open(":memory:");
    if (ll_failed(v))
        return v;
    ll_db *db = v.p;
    ll_value r = ll_wait_for(ll_coro(heavy_forever, db), 0.05);
    say("slow query", r);
    /* The next call waits until the cancelled job is over: that it comes
     * back at all (the query alone would run for hours) shows the job was
     * told to stop, with no stopwatch to go wrong on a loaded machine. */
    ll_value q = ll_db_query(db, "SELECT 6 * 7", NULL);
    say("next query", q);
    if (!ll_failed(q))
        ll_print("answer %s", ll_rows_get(q.p, 0, 0));
    ll_db_close(db);
    return ll_none();
}

START_TEST(a_cancelled_query_stops_and_the_connection_goes_on) {
    char *out = run_clock(timeout_main, LL_CLOCK_REAL, NULL, NULL);
    ck_assert_str_eq(out, "slow query: TimeoutError: \n"
                          "next query: ok\n"
                          "answer 42\n");
    free(out);
}
END_TEST

/* ---- lifetimes and limits ------------------------------------------------------ */

static int free_line;

/* Rows outlive their database; a second free is refused, not done. */
static ll_value lifetimes_main(LL_NOARGS) {
    ll_value v = ll_db_open(":memory:");
    LL_TRY(v);
    ll_db *db = v.p;
    v = ll_db_query(db, "SELECT 'kept' AS word", NULL);
    LL_TRY(v);
    ll_rows *rows = v.p;
    ll_db_close(db); /* the natural order in C: the database, then its rows */
    ll_print("after close: %s", ll_rows_get(rows, 0, 0));
    ll_rows_free(rows);
    free_line = __LINE__ + 1;
    ll_rows_free(rows);
    ll_print("the second free was refused");
    return ll_none();
}

START_TEST(rows_outlive_their_database_and_a_second_free_is_refused) {
    char *err;
    char *out = run_clock(lifetimes_main, LL_CLOCK_VIRTUAL, &err, NULL);
    ck_assert_str_eq(out, "after close: kept\nthe second free was refused\n");
    char where[64];
    snprintf(where, sizeof where, "test-db.c:%d", free_line);
    ck_assert_has(err, where);
    ck_assert_has(err, "ll_rows_free() of rows that were already freed");
    free(out);
    free(err);
}
END_TEST

static ll_db *stale_db;
static int stale_line;

static ll_value keep_db_main(LL_NOARGS) {
    ll_value v = ll_db_open(":memory:");
    LL_TRY(v);
    stale_db = v.p;
    ll_db_close(stale_db);
    return ll_none();
}

static ll_value stale_db_main(LL_NOARGS) {
    stale_line = __LINE__ + 1;
    ll_value v = ll_db_query(stale_db, "SELECT 1", NULL);
    ll_print("stale: %s", ll_failed(v) ? ll_err_name(ll_errcode(v)) : "answered");
    return ll_none();
}

START_TEST(a_database_from_a_closed_loop_is_refused) {
    char *out = run_clock(keep_db_main, LL_CLOCK_VIRTUAL, NULL, NULL);
    free(out);
    char *err;
    out = run_clock(stale_db_main, LL_CLOCK_VIRTUAL, &err, NULL);
    ck_assert_str_eq(out, "stale: ValueError\n");
    char where[64];
    snprintf(where, sizeof where, "test-db.c:%d", stale_line);
    ck_assert_has(err, where);
    ck_assert_has(err, "ll_db_query() must be called from a task of the loop that opened the "
                       "database (this one is from a loop that has closed, or another loop)");
    free(out);
    free(err);
}
END_TEST

/* def main(): await asyncio.wait_for(to_thread(fetch_all, 200 M rows), 3)
 * On the virtual clock the job takes no virtual time, so the timeout
 * cannot end it: the row cap does, with a sentence. */
static ll_value many_rows(ll_value arg) {
    return ll_db_query(arg.p,
                       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                       "WHERE i < 200000000) SELECT i FROM n",
                       NULL);
}

static ll_value runaway_main(LL_NOARGS) {
    ll_value v = ll_db_open(":memory:");
    LL_TRY(v);
    ll_db *db = v.p;
    v = ll_wait_for(ll_coro(many_rows, db), 3);
    ll_print("%s", ll_repr(v));
    ll_db_close(db);
    return ll_none();
}

START_TEST(a_runaway_query_stops_at_the_row_cap) {
    setenv("LOOPLAB_DB_MAX_ROWS", "5000", 1);
    char *out = run_clock(runaway_main, LL_CLOCK_VIRTUAL, NULL, NULL);
    unsetenv("LOOPLAB_DB_MAX_ROWS");
    ck_assert_has(out, "OperationalError(\"the answer is over Looplab's cap of 5000 rows or "
                       "1024 MiB of text (add a LIMIT, or raise the rows with "
                       "LOOPLAB_DB_MAX_ROWS) (in: WITH RECURSIVE");
    free(out);
}
END_TEST

static Suite *db_suite(void) {
    Suite *s = suite_create("db");
    TCase *tc = tcase_create("answers");
    tcase_add_test(tc, rows_columns_nulls_and_parameters);
    tcase_add_test(tc, bad_sql_and_bad_calls_name_what_was_wrong);
    tcase_add_test(tc, an_unclosed_database_is_reported_at_loop_close);
    tcase_add_test(tc, rows_outlive_their_database_and_a_second_free_is_refused);
    tcase_add_test(tc, a_database_from_a_closed_loop_is_refused);
    tcase_add_test(tc, a_runaway_query_stops_at_the_row_cap);
    suite_add_tcase(s, tc);
    tc = tcase_create("pool");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, queries_run_on_workers_and_the_loop_keeps_going);
    tcase_add_test(tc, a_cancelled_query_stops_and_the_connection_goes_on);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    return run_suite(db_suite());
}
