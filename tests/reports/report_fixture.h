/* Builds real results databases for the report tests: the schema is the
 * project's results/schema.sql, executed as is, and rows are inserted with
 * prepared statements the way the runner stores them. */
#ifndef EB_REPORT_FIXTURE_H
#define EB_REPORT_FIXTURE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fx_db {
    sqlite3 *db;
    sqlite3_stmt *ins_response, *ins_score, *ins_item;
    long next_response;
} fx_db;

/* Bytes of prompt and response text stored with each response (default:
 * a few bytes).  Real prompts are kilobytes, which moves the token and cost
 * columns of a response row into overflow pages. */
extern size_t fx_text_bytes;

/* Creates PATH (removed first) from results/schema.sql, in WAL mode. */
void fx_open(fx_db *f, const char *path);
void fx_close(fx_db *f);
void fx_exec(fx_db *f, const char *sql);

int64_t fx_run(fx_db *f, const char *model, const char *engine, const char *quant, int n_runs, bool finished,
               const char *suites, const char *params_json);
void fx_run_suite(fx_db *f, int64_t run, const char *suite, const char *fingerprint, long n_items,
                  const char *options);
int64_t fx_item(fx_db *f, const char *suite, const char *item_id, const char *sha, const char *subject,
                const char *category, const char *gold);
/* correct_plus < 0: NULL.  cost < 0: NULL.  tokens < 0: NULL. */
void fx_score(fx_db *f, int64_t run, int64_t item_pk, int rep, int correct, int correct_plus, const char *verdict,
              const char *extracted, long tokens_in, long tokens_out, double cost);

/* Runs a command function with the given arguments (NULL-terminated). */
int fx_cmd(int (*fn)(int, char **), ...);

/* Whole file as a new string (NULL when unreadable) and its sha256. */
char *fx_slurp(const char *path);
void fx_sha256(const char *path, char hex[65]);

/* Removes a database file and the -wal / -shm files SQLite keeps beside it
 * (a read-only connection to a WAL database creates them and cannot delete
 * them). */
void fx_remove(const char *path);

/* A fresh path under the build directory for this test. */
void fx_path(char *out, size_t size, const char *name);

#endif
