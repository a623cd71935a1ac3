/* Resumable download: see download.h. */
#include "download.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"

typedef struct transfer {
    FILE *out;
    const eb_download_opts *o;
    curl_off_t base;       /* bytes already in .part when this request began */
    time_t last_report;
    int write_failed;
} transfer;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud) {
    transfer *t = ud;
    size_t n = size * nmemb;
    if (fwrite(ptr, 1, n, t->out) != n) {
        t->write_failed = 1;
        return 0;
    }
    return n;
}

static void report(transfer *t, curl_off_t have, curl_off_t total, int final) {
    if (!t->o->progress) return;
    time_t now = time(NULL);
    if (!final && now - t->last_report < 2) return;
    t->last_report = now;
    if (total > 0)
        fprintf(t->o->progress, "  %s: %lld / %lld bytes (%d%%)\n", t->o->label, (long long)have,
                (long long)total, (int)(100.0 * (double)have / (double)total));
    else
        fprintf(t->o->progress, "  %s: %lld bytes\n", t->o->label, (long long)have);
    fflush(t->o->progress);
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
    (void)ultotal;
    (void)ulnow;
    transfer *t = ud;
    report(t, t->base + dlnow, dltotal > 0 ? t->base + dltotal : 0, 0);
    return 0;
}

static long file_size(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    return (long)st.st_size;
}

/* One request.  Returns 0 when the body arrived complete, 1 when the
 * connection dropped and a retry may continue, -1 on a hard error. */
static int attempt(const eb_download_opts *o, const char *part, eb_err *err) {
    long have = file_size(part);
    if (have < 0) have = 0;
    transfer t = {.o = o, .base = have, .last_report = time(NULL)};
    t.out = fopen(part, have > 0 ? "ab" : "wb");
    if (!t.out) return eb_err_set(err, "%s: cannot write %s: %s", o->label, part, strerror(errno));
    CURL *c = curl_easy_init();
    if (!c) {
        fclose(t.out);
        return eb_err_set(err, "%s: cannot initialise libcurl", o->label);
    }
    char curl_msg[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, o->url);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "evalbench-data/0.1");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    /* A stalled transfer (under 1 byte/s for a minute) counts as dropped. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_msg);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    if (have > 0) curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)have);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    int close_failed = fclose(t.out) != 0;
    if (t.write_failed || close_failed)
        return eb_err_set(err, "%s: cannot write %s (disk full?)", o->label, part);
    if (rc == CURLE_OK && (status == 200 || status == 206 || status == 0)) {
        report(&t, file_size(part), file_size(part), 1);
        return 0;
    }
    if (status == 416 && have > 0) {
        /* The server says the range starts past the end: the .part may
         * already be complete; the hash check decides. */
        return 0;
    }
    if (rc == CURLE_RANGE_ERROR || (rc == CURLE_OK && have > 0 && status == 200)) {
        /* Server ignored or refused the range: start over. */
        unlink(part);
        return 1;
    }
    if (status >= 400)
        return eb_err_set(err, "%s: HTTP %ld from %s", o->label, status, o->url);
    if (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_OPERATION_TIMEDOUT ||
        rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR) {
        if (o->progress)
            fprintf(o->progress, "  %s: connection dropped after %ld bytes (%s); resuming\n", o->label,
                    file_size(part), curl_msg[0] ? curl_msg : curl_easy_strerror(rc));
        return 1;
    }
    return eb_err_set(err, "%s: download of %s failed: %s", o->label, o->url,
                      curl_msg[0] ? curl_msg : curl_easy_strerror(rc));
}

int eb_download(const eb_download_opts *o, char sha256_out[65], eb_err *err) {
    size_t plen = strlen(o->dest) + 6;
    char *part = eb_malloc(plen);
    snprintf(part, plen, "%s.part", o->dest);
    int attempts = o->attempts > 0 ? o->attempts : 4;
    int rc = -1, restarted = 0, resumed = 0;
    for (int i = 0; i < attempts; i++) {
        if (file_size(part) > 0) {
            resumed = 1;
            if (o->progress) fprintf(o->progress, "  %s: resuming from byte %ld\n", o->label, file_size(part));
        }
        int a = attempt(o, part, err);
        if (a < 0) goto done;
        if (a == 1) continue;
        if (eb_sha256_file(part, sha256_out, err) != 0) goto done;
        if (o->expected_sha256 && *o->expected_sha256 && strcmp(sha256_out, o->expected_sha256) != 0) {
            if (resumed && !restarted && i + 1 < attempts) {
                /* A stale .part from an older upload resumes into garbage;
                 * one clean download settles it. */
                restarted = 1;
                if (o->progress)
                    fprintf(o->progress, "  %s: sha256 mismatch after resume; downloading again from scratch\n",
                            o->label);
                unlink(part);
                resumed = 0;
                continue;
            }
            unlink(part);
            eb_err_set(err, "%s: sha256 mismatch: expected %s, got %s (downloaded from %s; existing file kept)",
                       o->label, o->expected_sha256, sha256_out, o->url);
            goto done;
        }
        if (rename(part, o->dest) != 0) {
            eb_err_set(err, "%s: cannot move %s to %s: %s", o->label, part, o->dest, strerror(errno));
            goto done;
        }
        rc = 0;
        goto done;
    }
    eb_err_set(err, "%s: download of %s failed after %d attempts (partial file kept in %s)", o->label, o->url,
               attempts, part);
done:
    free(part);
    return rc;
}
