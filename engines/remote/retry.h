/* The retry policy of the remote engines: which failures are worth another
 * attempt, how long to wait (capped exponential backoff with full jitter,
 * never shorter than what the server asked for), and parsers for the
 * servers' hints (retry-after, retry-after-ms, rate-limit reset headers). */
#ifndef EB_REMOTE_RETRY_H
#define EB_REMOTE_RETRY_H

#include <stdbool.h>
#include <stdint.h>

/* 408, 409, 429, 500, 502, 503, 504, 529. */
bool eb_retry_status_retryable(long status);
/* Transport failures that a new connection may not repeat (refused, reset,
 * timed out, partial body, empty reply); configuration errors are not. */
bool eb_retry_curl_retryable(int curl_code);

/* Full jitter: uniform in [0, min(cap, base * 2^attempt)]; attempt counts
 * from 0 for the first retry.  rng is a xorshift64 state (never 0). */
double eb_retry_backoff_ms(int attempt, double base_ms, double cap_ms, uint64_t *rng);
uint64_t eb_retry_rng_next(uint64_t *rng);

/* retry-after: delay-seconds (may be fractional) or an HTTP-date relative
 * to now_epoch_s.  Returns milliseconds, or -1 when unparseable. */
double eb_parse_retry_after_ms(const char *value, double now_epoch_s);
/* Go-style durations used by OpenAI's x-ratelimit-reset-* and Gemini's
 * RetryInfo.retryDelay: "1s", "6m0s", "12ms", "1.5s", "2h3m".  -1 when bad. */
double eb_parse_duration_ms(const char *value);
/* RFC 3339 instant (Anthropic's anthropic-ratelimit-*-reset), returned as
 * milliseconds from now_epoch_s (0 when already past); -1 when bad. */
double eb_parse_rfc3339_delay_ms(const char *value, double now_epoch_s);

#endif
