/* The CSV reader on the shapes Python's csv module writes, and its errors. */
#include "csv.h"
#include "test_util.h"

static size_t parse(const char *text, eb_csv_row **rows, eb_err *err) {
    size_t n = 0;
    if (eb_csv_parse("t.csv", text, strlen(text), rows, &n, err) != 0) return (size_t)-1;
    return n;
}

int main(void) {
    eb_err err;
    eb_csv_row *rows;
    size_t n = parse("a,b,c\n1,\"two, with comma\",\"say \"\"hi\"\"\"\n", &rows, &err);
    CHECK_INT(n, 2);
    CHECK_INT(rows[0].n_fields, 3);
    CHECK_STR(rows[1].fields[1], "two, with comma");
    CHECK_STR(rows[1].fields[2], "say \"hi\"");
    eb_csv_free(rows, n);

    n = parse("\"multi\nline\",x\r\nlast,row", &rows, &err);
    CHECK_INT(n, 2);
    CHECK_STR(rows[0].fields[0], "multi\nline");
    CHECK_INT(rows[1].line, 3);
    CHECK_STR(rows[1].fields[1], "row");
    eb_csv_free(rows, n);

    n = parse("a,,\n\n,b\n", &rows, &err);
    CHECK_INT(n, 2);
    CHECK_INT(rows[0].n_fields, 3);
    CHECK_STR(rows[0].fields[2], "");
    CHECK_STR(rows[1].fields[0], "");
    eb_csv_free(rows, n);

    n = parse("ok,row\n\"never closed,x\n", &rows, &err);
    CHECK(n == (size_t)-1);
    CHECK(strstr(err.msg, "t.csv:2") != NULL);
    CHECK(strstr(err.msg, "unterminated") != NULL);

    n = parse("\"closed\"junk,x\n", &rows, &err);
    CHECK(n == (size_t)-1);
    CHECK(strstr(err.msg, "after closing quote") != NULL);

    /* Random bytes never crash the parser. */
    unsigned seed = 7;
    char buf[256];
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = (size_t)(rand_r(&seed) % (int)sizeof buf);
        static const char alphabet[] = "ab,\"\n\r ";
        for (size_t i = 0; i < len; i++) buf[i] = alphabet[rand_r(&seed) % 7];
        size_t m = 0;
        eb_csv_row *r = NULL;
        if (eb_csv_parse("fuzz.csv", buf, len, &r, &m, &err) == 0) eb_csv_free(r, m);
    }
    CHECK(1);
    return eb_test_finish();
}
