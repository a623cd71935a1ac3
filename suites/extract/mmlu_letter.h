/* The answer letter of a multiple-choice response (MMLU, generate mode). */
#ifndef EB_EXTRACT_MMLU_LETTER_H
#define EB_EXTRACT_MMLU_LETTER_H

/* Returns a new string "A".."D" (four options), or NULL when no letter could be
 * extracted (the caller records the item as "no_answer").  The response
 * should already have gone through eb_strip_reasoning.  The patterns and
 * their order are listed in mmlu_letter.c and docs/SCORING.md. */
char *eb_mmlu_extract_letter(const char *text);

/* The same for an item with n_options choices (2..10): only the letters
 * A .. 'A' + n_options - 1 are answers.  Other counts return NULL. */
char *eb_mmlu_extract_letter_n(const char *text, int n_options);

#endif
