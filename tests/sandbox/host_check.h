/* Host-side checks after a sandboxed run: nothing may be left behind. */
#ifndef EB_TEST_HOST_CHECK_H
#define EB_TEST_HOST_CHECK_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sandbox.h"

/* Processes of this process's block of sandbox uids that belong to
 * executions.  The fast-path helper (and its idle spare runners, which share
 * its uid) lives as long as its executor and is not counted: its uid is the
 * uid of a process running zygote.py whose parent is not zygote.py. */
typedef struct host_proc {
    int pid, ppid, zygote;
    unsigned uid;
} host_proc;

static inline int host_sandbox_processes(void) {
    uid_t lo = eb_uid_host(0), hi = eb_uid_host(1023);
    host_proc *ps = NULL;
    int n = 0, cap = 0;
    DIR *d = opendir("/proc");
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char path[300], buf[512];
        struct stat st;
        snprintf(path, sizeof path, "/proc/%s", e->d_name);
        if (stat(path, &st) != 0 || st.st_uid < lo || st.st_uid > hi) continue;
        host_proc p = {atoi(e->d_name), 0, 0, (unsigned)st.st_uid};
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (f) {
            if (fgets(buf, sizeof buf, f)) {
                char *rp = strrchr(buf, ')');
                if (rp) sscanf(rp + 2, "%*c %d", &p.ppid);
            }
            fclose(f);
        }
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        f = fopen(path, "r");
        if (f) {
            size_t k = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            for (size_t i = 0; i < k; i++)
                if (!buf[i]) buf[i] = ' ';
            buf[k] = 0;
            p.zygote = strstr(buf, "zygote.py") != NULL;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            ps = realloc(ps, (size_t)cap * sizeof *ps);
        }
        ps[n++] = p;
    }
    closedir(d);
    int count = 0;
    for (int i = 0; i < n; i++) {
        int helper = 0;
        for (int j = 0; j < n && !helper; j++) {
            if (!ps[j].zygote || ps[j].uid != ps[i].uid) continue;
            int parent_is_zygote = 0;
            for (int k = 0; k < n; k++)
                if (ps[k].pid == ps[j].ppid && ps[k].zygote) parent_is_zygote = 1;
            if (!parent_is_zygote) helper = 1;
        }
        if (!helper) count++;
    }
    free(ps);
    return count;
}

static inline int host_count_lines(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        if (c == '\n') n++;
    fclose(f);
    return n;
}

static inline int host_count_dir(const char *path) {
    DIR *d = opendir(path);
    if (!d) return 0;
    int n = 0;
    while (readdir(d)) n++;
    closedir(d);
    return n;
}

typedef struct host_state {
    int procs, mounts, cgroups_v1_mem, cgroups_v2;
} host_state;

static inline host_state host_snapshot(void) {
    host_state s;
    s.procs = host_sandbox_processes();
    s.mounts = host_count_lines("/proc/self/mountinfo");
    s.cgroups_v1_mem = host_count_dir("/sys/fs/cgroup/memory");
    s.cgroups_v2 = host_count_dir("/sys/fs/cgroup/unified");
    return s;
}

/* Same numbers as before (processes may take a moment to be reaped by the
 * kernel after a PID namespace dies: retry briefly). */
static inline int host_unchanged(const host_state *before, char *why, size_t size) {
    host_state now = host_snapshot();
    for (int i = 0; i < 100 && now.procs != before->procs; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        now = host_snapshot();
    }
    if (now.procs != before->procs) {
        snprintf(why, size, "sandbox processes %d -> %d", before->procs, now.procs);
        return 0;
    }
    if (now.mounts != before->mounts) {
        snprintf(why, size, "host mounts %d -> %d", before->mounts, now.mounts);
        return 0;
    }
    if (now.cgroups_v1_mem != before->cgroups_v1_mem || now.cgroups_v2 != before->cgroups_v2) {
        snprintf(why, size, "cgroups changed");
        return 0;
    }
    return 1;
}

#endif
