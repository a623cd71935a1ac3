/* The remote engines' pure parts: retry classification and backoff, the
 * parsers for servers' retry hints, the pricing table, local stop cuts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pricing.h"
#include "remote_internal.h"
#include "retry.h"
#include "test_util.h"

static void test_classification(void) {
    long yes[] = {408, 409, 429, 500, 502, 503, 504, 529};
    long no[] = {200, 400, 401, 403, 404, 413, 422, 501};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) CHECK(eb_retry_status_retryable(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) CHECK(!eb_retry_status_retryable(no[i]));
    CHECK(eb_retry_curl_retryable(CURLE_COULDNT_CONNECT));
    CHECK(eb_retry_curl_retryable(CURLE_OPERATION_TIMEDOUT));
    CHECK(eb_retry_curl_retryable(CURLE_PARTIAL_FILE));
    CHECK(eb_retry_curl_retryable(CURLE_GOT_NOTHING));
    CHECK(!eb_retry_curl_retryable(CURLE_URL_MALFORMAT));
    CHECK(!eb_retry_curl_retryable(CURLE_UNSUPPORTED_PROTOCOL));
    CHECK(!eb_retry_curl_retryable(CURLE_PEER_FAILED_VERIFICATION));
}

static void test_backoff(void) {
    uint64_t rng = 42;
    double lo = 1e9, hi = 0, sum = 0;
    for (int i = 0; i < 2000; i++) {
        double d = eb_retry_backoff_ms(3, 100, 60000, &rng); /* ceiling 800 ms */
        if (d < lo) lo = d;
        if (d > hi) hi = d;
        sum += d;
    }
    CHECK(lo >= 0 && lo < 50);        /* full jitter reaches near zero */
    CHECK(hi <= 800 && hi > 750);     /* and near the ceiling */
    CHECK_NEAR(sum / 2000, 400, 40);  /* uniform: mean is half the ceiling */
    for (int i = 0; i < 100; i++) CHECK(eb_retry_backoff_ms(30, 1000, 60000, &rng) <= 60000);
}

static void test_hints(void) {
    double now = 1700000000.0; /* 2023-11-14T22:13:20Z */
    CHECK_NEAR(eb_parse_retry_after_ms("2", now), 2000, 1e-9);
    CHECK_NEAR(eb_parse_retry_after_ms(" 0.5 ", now), 500, 1e-9);
    CHECK_NEAR(eb_parse_retry_after_ms("Tue, 14 Nov 2023 22:13:30 GMT", now), 10000, 1e-6);
    CHECK_NEAR(eb_parse_retry_after_ms("Tue, 14 Nov 2023 22:13:00 GMT", now), 0, 1e-9);
    CHECK(eb_parse_retry_after_ms("soon", now) < 0);
    CHECK(eb_parse_retry_after_ms("-3", now) < 0);
    CHECK_NEAR(eb_parse_duration_ms("1s"), 1000, 1e-9);
    CHECK_NEAR(eb_parse_duration_ms("6m0s"), 360000, 1e-9);
    CHECK_NEAR(eb_parse_duration_ms("12ms"), 12, 1e-9);
    CHECK_NEAR(eb_parse_duration_ms("1.5s"), 1500, 1e-9);
    CHECK_NEAR(eb_parse_duration_ms("2h3m"), 7380000, 1e-9);
    CHECK_NEAR(eb_parse_duration_ms("30s"), 30000, 1e-9);
    CHECK(eb_parse_duration_ms("") < 0);
    CHECK(eb_parse_duration_ms("5x") < 0);
    CHECK(eb_parse_duration_ms("s") < 0);
    CHECK_NEAR(eb_parse_rfc3339_delay_ms("2023-11-14T22:13:25Z", now), 5000, 1e-6);
    CHECK_NEAR(eb_parse_rfc3339_delay_ms("2023-11-14T22:13:25.5Z", now), 5500, 1e-6);
    CHECK_NEAR(eb_parse_rfc3339_delay_ms("2023-11-14T23:13:25+01:00", now), 5000, 1e-6);
    CHECK_NEAR(eb_parse_rfc3339_delay_ms("2023-11-14T22:00:00Z", now), 0, 1e-9);
    CHECK(eb_parse_rfc3339_delay_ms("2023-11-14 22:13:25", now) < 0);
}

static void test_pricing_file(void) {
    eb_pricing *p = NULL;
    eb_err err = {{0}};
    int rc = eb_pricing_load(EVALBENCH_SOURCE_DIR "/engines/remote/pricing.tsv", &p, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    eb_price pr;
    CHECK(eb_pricing_lookup(p, "claude-sonnet-4-5-20250929", &pr));
    CHECK_NEAR(pr.input, 3.0, 1e-12);
    CHECK_NEAR(pr.output, 15.0, 1e-12);
    CHECK(eb_pricing_lookup(p, "gpt-4o-mini-2024-07-18", &pr));  /* longest prefix, not gpt-4o */
    CHECK_NEAR(pr.input, 0.15, 1e-12);
    CHECK(eb_pricing_lookup(p, "openai/gpt-4.1", &pr));            /* routed name */
    CHECK_NEAR(pr.output, 8.0, 1e-12);
    CHECK(eb_pricing_lookup(p, "gemini-2.5-flash", &pr));
    CHECK_NEAR(pr.input, 0.30, 1e-12);
    CHECK(!eb_pricing_lookup(p, "gemini-2.5-flashy", &pr));        /* not a name boundary */
    CHECK(!eb_pricing_lookup(p, "claude-opus-4-6", &pr));          /* listed as unknown */
    CHECK(!eb_pricing_lookup(p, "my-local-model", &pr));
    CHECK(eb_pricing_lookup(p, "gpt-5-pro", &pr));                 /* cached "-" = input price */
    CHECK_NEAR(pr.cached, pr.input, 1e-12);
    eb_pricing_free(p);

    /* 1000 prompt tokens of which 400 cached, 100 out, at 3/15/0.3. */
    eb_price x = {3, 15, 0.3};
    CHECK_NEAR(eb_price_cost(&x, 1000, 400, 100), (600 * 3 + 400 * 0.3 + 100 * 15) / 1e6, 1e-15);
    CHECK_NEAR(eb_price_cost(&x, -1, 0, 100), -1, 0);

    char path[] = "/tmp/eb_badprice_XXXXXX";
    int fd = mkstemp(path);
    const char *bad = "# comment\n\nok-model\t1\t2\t0.5\nbad-model\t1\tcheap\t0.5\n";
    CHECK(fd >= 0 && write(fd, bad, strlen(bad)) == (ssize_t)strlen(bad));
    close(fd);
    p = NULL;
    CHECK_INT(eb_pricing_load(path, &p, &err), -1);
    char want[128];
    snprintf(want, sizeof want, "%s:4: field output", path);
    CHECK_MSG(strstr(err.msg, want) != NULL, "%s", err.msg);
    unlink(path);
    CHECK_INT(eb_pricing_load("/nonexistent/pricing.tsv", &p, &err), -1);
}

static void test_wire_utils(void) {
    char t1[] = "first\n\nsecond END third";
    char *stops[] = {"END", "\n\n"};
    CHECK(eb_wire_cut_at_stop(t1, stops, 2));
    CHECK_STR(t1, "first");
    char t2[] = "no stops here";
    CHECK(!eb_wire_cut_at_stop(t2, stops, 2));
    CHECK_STR(t2, "no stops here");
    CHECK(!eb_wire_has_visible(" \n\t"));
    CHECK(eb_wire_has_visible("\n#\n"));
    CHECK_INT(eb_wire_utf8_chars("caf\xc3\xa9 \xe2\x82\xac"), 6);
}

int main(void) {
    test_classification();
    test_backoff();
    test_hints();
    test_pricing_file();
    test_wire_utils();
    return eb_test_finish();
}
