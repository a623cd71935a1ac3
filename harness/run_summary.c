#include "run_summary.h"

#include <math.h>
#include <string.h>

int eb_print_run_summary(FILE *out, eb_results_db *db, long run_id, eb_err *err) {
    sqlite3_stmt *st;
    const char *sql =
        "SELECT i.suite, s.run_index, COUNT(*), SUM(s.correct), SUM(s.correct_plus), COUNT(s.correct_plus), "
        "SUM(s.verdict = 'no_answer') FROM scores s JOIN items i USING (item_pk) WHERE s.run_id = ? "
        "GROUP BY i.suite, s.run_index ORDER BY i.suite, s.run_index";
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) return eb_db_fail(db, err, "summarizing run");
    sqlite3_bind_int64(st, 1, run_id);
    fprintf(out, "\nrun %ld\n| suite | repetition | n | accuracy | plus | no answer |\n|---|---:|---:|---:|---:|---:|\n",
            run_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *suite = (const char *)sqlite3_column_text(st, 0);
        int rep = sqlite3_column_int(st, 1);
        double n = sqlite3_column_double(st, 2);
        double correct = sqlite3_column_double(st, 3);
        double plus = sqlite3_column_double(st, 4);
        int n_plus = sqlite3_column_int(st, 5);
        double none = sqlite3_column_double(st, 6);
        char plus_s[32] = "-";
        if (n_plus > 0) snprintf(plus_s, sizeof plus_s, "%.2f%%", 100.0 * plus / n_plus);
        fprintf(out, "| %s | %d | %.0f | %.2f%% | %s | %.0f |\n", suite, rep, n, 100.0 * correct / n, plus_s, none);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return eb_db_fail(db, err, "summarizing run");
    return 0;
}
