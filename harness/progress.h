/* Progress display: a redrawn line on a terminal (counts, rate, ETA,
 * running accuracy), plain periodic lines otherwise (logs, CI). */
#ifndef EB_PROGRESS_H
#define EB_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

typedef struct eb_progress {
    FILE *out;
    bool tty;
    long total;
    long done;
    long correct;
    long scored;
    long failed;
    double start_ms;
    double last_draw_ms;
    long done_at_start;
    char label[64];
} eb_progress;

void eb_progress_start(eb_progress *p, FILE *out, bool tty, long total, long already_done);
void eb_progress_update(eb_progress *p, bool force);
void eb_progress_finish(eb_progress *p);

#endif
