/*
 * kout_rejected.c: spool_dir/rejected.lp (kout.h).
 *
 * A record Kafka refused for good must not block the spool (it would be
 * produced again forever) and must not vanish. Each one is appended as
 *   # rejected 2024-05-01T10:00:00Z reason="..." topic="..." key="..."
 *   <the record's value: its line(s), or its JSON object>
 * Line protocol readers skip '#' lines, so once the cause is fixed the
 * file can be fed back as it is: telex-kafka-output < rejected.lp. The
 * comment's fields are escaped (\xHH for control bytes, quotes and
 * backslashes; long ones are cut) so that a line stays one line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "kout.h"

#define KOUT_REJECTED_FIELD_MAX 256

int kout_rejected_open(struct kout_rejected *r, const char *dir,
		       uint64_t max_bytes, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->max_bytes = max_bytes;
	size_t n = strlen(dir) + sizeof(KOUT_REJECTED_FILE) + 1;
	r->path = malloc(n);
	if (!r->path) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(r->path, n, "%s/%s", dir, KOUT_REJECTED_FILE);
	r->fd = open(r->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	struct stat st;
	if (r->fd < 0 || fstat(r->fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", r->path, strerror(errno));
		return -1;
	}
	r->bytes = (uint64_t)st.st_size;
	return 0;
}

/* name="value", escaped and cut to KOUT_REJECTED_FIELD_MAX bytes. */
static void kout_rejected_field(struct buf *b, const char *name, const char *v,
				size_t n)
{
	static const char hex[] = "0123456789abcdef";
	buf_printf(b, " %s=\"", name);
	size_t shown =
	    n > KOUT_REJECTED_FIELD_MAX ? KOUT_REJECTED_FIELD_MAX : n;
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' ||
		    c >= 0x80) {
			char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
			buf_append(b, e, 4);
		} else {
			buf_putc(b, (char)c);
		}
	}
	if (shown < n)
		buf_printf(b, "...(%zu bytes)", n);
	buf_putc(b, '"');
}

int kout_rejected_add(struct kout_rejected *r, const char *reason,
		      const char *topic, size_t topic_len, const char *key,
		      size_t key_len, const char *value, size_t value_len,
		      char *err, size_t errlen)
{
	if (r->fd < 0) {
		snprintf(err, errlen, "no rejected file");
		return -1;
	}
	struct buf head = BUF_INIT;
	time_t now = time(NULL);
	struct tm tm;
	char when[32];
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	buf_printf(&head, "# rejected %s", when);
	kout_rejected_field(&head, "reason", reason, strlen(reason));
	kout_rejected_field(&head, "topic", topic, topic_len);
	if (key)
		kout_rejected_field(&head, "key", key, key_len);
	buf_putc(&head, '\n');
	bool nl = value_len && value[value_len - 1] == '\n';
	uint64_t size = head.len + value_len + !nl;
	if (!head.data || r->bytes + size > r->max_bytes) {
		snprintf(err, errlen,
			 "%s has reached spool_rejected_max_bytes (%llu)",
			 r->path, (unsigned long long)r->max_bytes);
		buf_free(&head);
		return -1;
	}
	struct iovec iov[3] = {{head.data, head.len},
			       {(void *)value, value_len},
			       {(void *)"\n", 1}};
	/* O_APPEND: one writev is one piece, so a crash cannot interleave
	 * halves of two records. */
	ssize_t w = writev(r->fd, iov, nl ? 2 : 3);
	buf_free(&head);
	if (w < 0 || (uint64_t)w != size) {
		snprintf(err, errlen, "writing %s: %s", r->path,
			 w < 0 ? strerror(errno) : "short write");
		return -1;
	}
	r->bytes += size;
	r->dirty = true;
	return 0;
}

void kout_rejected_sync(struct kout_rejected *r, bool data)
{
	if (r->fd >= 0 && r->dirty && data)
		fdatasync(r->fd);
	r->dirty = false;
}

void kout_rejected_close(struct kout_rejected *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}
