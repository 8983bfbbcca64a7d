/*
 * fuzz_glob.c: arbitrary glob patterns and subjects. Input: one byte of
 * flags, then lines: the patterns (up to 8), the last line the subject.
 * Compiling may refuse a pattern but must never crash or leak; an exact
 * list (no '*', '?', '[') must match exactly its members; and the fast
 * matcher for simple patterns must agree with the NFA, which a list gets
 * when a braced pattern (here one that cannot match) is added to it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telex/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	char *text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	char *pats[8];
	size_t n = 0;
	char *subject = text, *nl;
	while ((nl = strchr(subject, '\n')) && n < 8) {
		*nl = '\0';
		pats[n++] = subject;
		subject = nl + 1;
	}
	struct cfg_strv v = {pats, n, true};
	char err[256];
	const char *seps = (flags & 1)	 ? "."
			   : (flags & 2) ? ".,\xc3\xa9"
					 : NULL;
	struct glob_list *g = glob_list_new_sep(&v, seps, err, sizeof(err));
	if (!g)
		goto out;
	size_t slen = strlen(subject);
	bool m = glob_list_match(g, subject, slen);
	bool meta = seps != NULL;
	bool member = false;
	for (size_t i = 0; i < n; i++) {
		meta = meta || strpbrk(pats[i], "*?[");
		member = member || strcmp(pats[i], subject) == 0;
	}
	if (!meta && m != member) {
		fprintf(stderr, "exact list: match %d, member %d\n", m, member);
		abort();
	}
	glob_list_free(g);
	/* Differential: the same list plus "{\x7f\x7f}\x7f*" (never matches
	 * a subject without DEL) runs on the NFA. Only where adding it does
	 * not change the meaning of the others. */
	bool plain = !seps && n < 8 && !strchr(subject, 0x7f);
	for (size_t i = 0; i < n; i++)
		plain = plain && !strpbrk(pats[i], "{},\\\x7f");
	if (plain && meta) {
		pats[n] = "{\x7f\x7f}\x7f*";
		struct cfg_strv v2 = {pats, n + 1, true};
		struct glob_list *nfa = glob_list_new(&v2, err, sizeof(err));
		if (!nfa) {
			fprintf(stderr, "compiles alone but not in a list\n");
			abort();
		}
		bool m2 = glob_list_match(nfa, subject, slen);
		if (m2 != m) {
			fprintf(stderr, "fast %d, nfa %d\n", m, m2);
			abort();
		}
		glob_list_free(nfa);
	}
out:
	free(text);
	return 0;
}
