#include <string.h>

#include "report_out.h"

static const char *const ordered[] = {"STEM", "humanities", "social sciences", "other", "easy", "medium", "hard"};

static int rank(const char *s) {
    for (size_t i = 0; i < sizeof ordered / sizeof ordered[0]; i++)
        if (strcmp(ordered[i], s) == 0) return (int)i;
    return (int)(sizeof ordered / sizeof ordered[0]);
}

int eb_group_order(const char *a, const char *b) {
    int ra = rank(a), rb = rank(b);
    if (ra != rb) return ra - rb;
    return strcmp(a, b);
}
