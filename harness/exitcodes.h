/* Exit codes a script can rely on. */
#ifndef EB_EXITCODES_H
#define EB_EXITCODES_H

enum {
    EB_EXIT_OK = 0,
    EB_EXIT_FAILURE = 1,      /* the operation failed (engine error, scoring error, I/O) */
    EB_EXIT_USAGE = 2,        /* bad flag or argument */
    EB_EXIT_DATA = 3,         /* missing or invalid dataset file */
    EB_EXIT_DB = 4,           /* results database problem */
    EB_EXIT_ENGINE = 5,       /* engine refused (auth, bad request, quota): run stopped, answers kept */
    EB_EXIT_INTERRUPTED = 130 /* stopped by SIGINT/SIGTERM; resume with `evalbench resume` */
};

#endif
