#include "fake_server.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "timeutil.h"

#ifndef EVALBENCH_SOURCE_DIR
#error "EVALBENCH_SOURCE_DIR must point at the source tree"
#endif

int eb_fake_start(eb_fake *f) {
    memset(f, 0, sizeof *f);
    setenv("ANTHROPIC_API_KEY", "test-anthropic-key", 1);
    setenv("OPENAI_API_KEY", "test-openai-key", 1);
    setenv("GEMINI_API_KEY", "test-gemini-key", 1);
    int fds[2];
    if (pipe(fds)) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        /* The server must not outlive a test killed by a timeout. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execlp("python3", "python3", EVALBENCH_SOURCE_DIR "/tests/remote/fake_providers.py", "--port", "0",
               (char *)NULL);
        perror("exec python3");
        _exit(127);
    }
    close(fds[1]);
    f->pid = pid;
    char line[128];
    size_t len = 0;
    double deadline = eb_now_ms() + 20000;
    while (len < sizeof line - 1 && !memchr(line, '\n', len)) {
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int left = (int)(deadline - eb_now_ms());
        if (left <= 0 || poll(&p, 1, left) <= 0) break;
        ssize_t k = read(fds[0], line + len, sizeof line - 1 - len);
        if (k <= 0) break;
        len += (size_t)k;
    }
    close(fds[0]);
    line[len] = '\0';
    if (sscanf(line, "PORT %d", &f->port) != 1) {
        fprintf(stderr, "fake server did not start (got '%s')\n", line);
        eb_fake_stop(f);
        return -1;
    }
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d", f->port);
    snprintf(f->openai_base, sizeof f->openai_base, "%s/v1", f->base);
    return 0;
}

void eb_fake_stop(eb_fake *f) {
    if (f->pid <= 0) return;
    kill(f->pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(f->pid, NULL, WNOHANG) == f->pid) {
            f->pid = 0;
            return;
        }
        eb_sleep_ms(20);
    }
    kill(f->pid, SIGKILL);
    waitpid(f->pid, NULL, 0);
    f->pid = 0;
}

static size_t collect(char *d, size_t s, size_t n, void *ud) {
    eb_buf_append(ud, d, s * n);
    return s * n;
}

static int http(const eb_fake *f, const char *path, const char *post, eb_buf *out) {
    CURL *c = curl_easy_init();
    if (!c) return -1;
    char url[256];
    snprintf(url, sizeof url, "%s%s", f->base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    struct curl_slist *h = NULL;
    if (post) {
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
    }
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    return rc == CURLE_OK && status == 200 ? 0 : -1;
}

cJSON *eb_fake_stats(const eb_fake *f) {
    eb_buf b = {0};
    cJSON *j = http(f, "/__stats", NULL, &b) == 0 ? cJSON_Parse(eb_buf_str(&b)) : NULL;
    eb_buf_free(&b);
    return j;
}

long eb_fake_stat(const cJSON *stats, const char *field) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(stats, field);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
}

int eb_fake_post(const eb_fake *f, const char *path, const char *json) {
    eb_buf b = {0};
    int rc = http(f, path, json ? json : "{}", &b);
    eb_buf_free(&b);
    return rc;
}

const char *eb_fake_base_for(const eb_fake *f, const char *engine) {
    return strcmp(engine, "openai") == 0 ? f->openai_base : f->base;
}

void eb_drive(eb_engine *e, const eb_request *reqs, size_t n, eb_response *out, bool stop_on_fatal,
              double deadline_s, eb_drive_result *res) {
    memset(res, 0, sizeof *res);
    char *seen = calloc(n ? n : 1, 1);
    size_t next = 0;
    double deadline = eb_now_ms() + deadline_s * 1000;
    eb_response buf[64];
    while (res->answered < res->submitted || (next < n && !(stop_on_fatal && res->saw_fatal))) {
        while (next < n && !(stop_on_fatal && res->saw_fatal) && e->ops->capacity(e) > 0) {
            eb_err err = {{0}};
            if (e->ops->submit(e, &reqs[next], &err) == 0) res->submitted++;
            else res->submit_errors++;
            next++;
        }
        if (eb_now_ms() > deadline) {
            res->timed_out = true;
            break;
        }
        eb_err err = {{0}};
        int k = e->ops->poll(e, buf, 64, 200, &err);
        for (int i = 0; i < k; i++) {
            uint64_t id = buf[i].id;
            if (buf[i].fatal) res->saw_fatal = true;
            if (id >= n) {
                res->unknown_ids++;
                eb_response_clear(&buf[i]);
                continue;
            }
            if (seen[id]) {
                res->duplicates++;
                eb_response_clear(&buf[i]);
                continue;
            }
            seen[id] = 1;
            out[id] = buf[i];
            res->answered++;
        }
        if (k < 0) break;
    }
    free(seen);
}
