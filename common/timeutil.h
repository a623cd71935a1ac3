/* Clocks: monotonic milliseconds for latency and rates, UTC ISO-8601 for
 * timestamps stored in the database. */
#ifndef EB_TIMEUTIL_H
#define EB_TIMEUTIL_H

double eb_now_ms(void);
/* Writes "2026-11-23T04:53:11Z" into out (at least 21 bytes). */
void eb_utc_iso8601(char *out, unsigned long size);
void eb_sleep_ms(double ms);

#endif
