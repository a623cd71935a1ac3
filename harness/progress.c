#include "progress.h"

#include <string.h>

#include "timeutil.h"

#define TTY_INTERVAL_MS 200.0
#define LOG_INTERVAL_MS 10000.0

void eb_progress_start(eb_progress *p, FILE *out, bool tty, long total, long already_done) {
    memset(p, 0, sizeof *p);
    p->out = out;
    p->tty = tty;
    p->total = total;
    p->done = already_done;
    p->done_at_start = already_done;
    p->start_ms = p->last_draw_ms = eb_now_ms();
}

static void fmt_eta(char *buf, size_t n, double seconds) {
    if (seconds < 0 || seconds > 1e7) {
        snprintf(buf, n, "--:--");
        return;
    }
    long s = (long)seconds;
    if (s >= 3600) snprintf(buf, n, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else snprintf(buf, n, "%02ld:%02ld", s / 60, s % 60);
}

void eb_progress_update(eb_progress *p, bool force) {
    if (!p->out) return;
    double now = eb_now_ms();
    if (!force && now - p->last_draw_ms < (p->tty ? TTY_INTERVAL_MS : LOG_INTERVAL_MS)) return;
    p->last_draw_ms = now;
    double elapsed = (now - p->start_ms) / 1000.0;
    long new_done = p->done - p->done_at_start;
    double rate = elapsed > 0 ? (double)new_done / elapsed : 0;
    char eta[32];
    fmt_eta(eta, sizeof eta, rate > 0 ? (double)(p->total - p->done) / rate : -1);
    double pct = p->total ? 100.0 * (double)p->done / (double)p->total : 100.0;
    char acc[32] = "-";
    if (p->scored > 0) snprintf(acc, sizeof acc, "%.1f%%", 100.0 * (double)p->correct / (double)p->scored);
    if (p->tty) {
        int width = 24, filled = (int)(pct / 100.0 * width);
        char bar[32];
        for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
        bar[width] = '\0';
        fprintf(p->out, "\r\033[K[%s] %ld/%ld %5.1f%% %7.1f/s ETA %s acc %s%s", bar, p->done, p->total, pct, rate, eta,
                acc, p->failed ? " (failures)" : "");
    } else {
        fprintf(p->out, "progress: %ld/%ld (%.1f%%) %.1f/s ETA %s running accuracy %s failed %ld\n", p->done, p->total,
                pct, rate, eta, acc, p->failed);
    }
    fflush(p->out);
}

void eb_progress_finish(eb_progress *p) {
    if (!p->out) return;
    eb_progress_update(p, true);
    if (p->tty) fputc('\n', p->out);
    fflush(p->out);
}
