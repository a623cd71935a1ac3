/* Model prices from a plain, user-editable table (pricing.tsv): USD per
 * million input, output and cached-input tokens.  Lookups accept dated or
 * routed model names ("claude-sonnet-4-5-20250929", "openai/gpt-4.1"). */
#ifndef EB_REMOTE_PRICING_H
#define EB_REMOTE_PRICING_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef struct eb_price {
    double input;    /* USD per 1M prompt tokens */
    double output;   /* USD per 1M completion tokens (thinking included) */
    double cached;   /* USD per 1M prompt tokens read from the provider cache */
} eb_price;

typedef struct eb_pricing eb_pricing;

/* Reads a table: lines "model<TAB>input<TAB>output<TAB>cached[<TAB>note]",
 * '#' comments and blank lines ignored, "-" for a price nobody knows
 * (cached "-" means cached tokens cost the input price).  Bad lines are an
 * error naming file, line and field. */
int eb_pricing_load(const char *path, eb_pricing **out, eb_err *err);
/* The same from text in memory; name is used in error messages. */
int eb_pricing_parse(const char *name, const char *text, size_t len, eb_pricing **out, eb_err *err);
/* The table compiled into evalbench (engines/remote/pricing.tsv at build
 * time), used when no --pricing file is given. */
int eb_pricing_load_default(eb_pricing **out, eb_err *err);
void eb_pricing_free(eb_pricing *p);

/* Exact name first, then the longest table entry that is a prefix followed
 * by '-', '@' or ':' (dated snapshots), then the same after the last '/'.
 * False when the model is missing or its prices are unknown. */
bool eb_pricing_lookup(const eb_pricing *p, const char *model, eb_price *out);

/* Cost of one response; tokens_in includes the cached ones.  -1 when a
 * token count is unknown. */
double eb_price_cost(const eb_price *price, long tokens_in, long tokens_cached, long tokens_out);

#endif
