/* The answer letter of a multiple-choice response (MMLU, generate mode). */
#ifndef EB_EXTRACT_MMLU_LETTER_H
#define EB_EXTRACT_MMLU_LETTER_H

/* Returns a new string "A".."D", or NULL when no letter could be
 * extracted (the caller records the item as "no_answer").  The response
 * should already have gone through eb_strip_reasoning.  The patterns and
 * their order are listed in mmlu_letter.c and docs/SCORING.md. */
char *eb_mmlu_extract_letter(const char *text);

#endif
