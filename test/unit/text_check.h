/*
 * text_check.h: checks of text the programs generate for people to read
 * (--help, man pages), shared by the unit tests. Include after cmocka.h.
 */
#ifndef TELEX_TEST_TEXT_CHECK_H
#define TELEX_TEST_TEXT_CHECK_H

#include <string.h>

/* Every line of text is at most max bytes long; a failure quotes the
 * first longer one as a `what` line. */
static inline void assert_lines_within(const char *text, size_t max,
				       const char *what)
{
	for (const char *l = text; *l;) {
		size_t n = strcspn(l, "\n");
		if (n > max)
			fail_msg("%s line of %zu bytes: %.*s", what, n, (int)n,
				 l);
		l += n + (l[n] == '\n');
	}
}

#endif
