/*
 * kc_fbsock.c: the consumer's end of the feedback socket. Telegraf sends
 * the marks telex wrote (back through Telegraf) and inputs.internal's
 * internal_write samples to an [[outputs.execd]] running this program as
 * the feedback relay (kc_relay.c), which listens on feedback_socket; the
 * consumer connects to it (and again whenever the relay restarts) and
 * reads line protocol. Each line is handed to the accounting of
 * kc_feedback.c; what that confirms or reports goes to kc_fetch.c.
 *
 * Why a relay: Telegraf connects its outputs before it starts its inputs
 * (and gives up if one cannot connect), so an output cannot connect to a
 * socket the consumer, an input, would open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kc.h"

#define KC_FBSOCK_LINE_MAX ((size_t)64 << 10)
/* Bytes asked of one read(). */
#define KC_FBSOCK_READ ((size_t)64 << 10)
#define KC_FBSOCK_RETRY_NS (200LL * 1000000LL)

struct kc_fbsock {
	struct kc *c;
	char *path;
	int fd; /* the connection to the relay, -1: none */
	int64_t retry_timer;
	int last_errno; /* of the last failed connect */
	bool stopped;
	struct buf in;
	bool skipping; /* inside a line over the maximum */
	struct lp_metric m;
	uint64_t connections, lines, other, foreign, bad;
	bool seen_sample_of[KC_FB_MAX_OUTPUTS];
	char seen_names[256]; /* outputs seen, for the diagnosis */
};

/* The tracked output a sample is about: its alias, or the plugin's name
 * when it has no alias. -1: not tracked. */
static int kc_fbsock_output(const struct kc_fb *f, const struct lp_metric *m)
{
	const struct lp_tag *t = lp_metric_find_tag(m, "alias", 5);
	if (!t)
		t = lp_metric_find_tag(m, "output", 6);
	if (!t)
		return -1;
	for (size_t i = 0; i < f->nout; i++)
		if (lp_slice_eq(&t->value, f->out[i].name,
				strlen(f->out[i].name)))
			return (int)i;
	return -1;
}

static bool kc_fbsock_int(const struct lp_metric *m, const char *key,
			  int64_t *v)
{
	const struct lp_field *f = lp_metric_find_field(m, key, strlen(key));
	if (!f)
		return false;
	if (f->type == LP_INT)
		*v = f->v.i;
	else if (f->type == LP_UINT && f->v.u <= INT64_MAX)
		*v = (int64_t)f->v.u;
	else if (f->type == LP_FLOAT && f->v.f >= 0 && f->v.f < 9e18)
		*v = (int64_t)f->v.f;
	else
		return false;
	return true;
}

static void kc_fbsock_note_name(struct kc_fbsock *s, const struct lp_metric *m)
{
	const struct lp_tag *t = lp_metric_find_tag(m, "alias", 5);
	if (!t)
		t = lp_metric_find_tag(m, "output", 6);
	if (!t || t->value.len > 64)
		return;
	char name[80];
	size_t n = lp_unescape(&t->value, name);
	name[n] = '\0';
	/* A short list of distinct names, for "no sample of X (seen: ...)". */
	char *p = s->seen_names;
	for (const char *q = p; *q;) {
		size_t l = strcspn(q, ",");
		if (l == n && memcmp(q, name, n) == 0)
			return;
		q += l + (q[l] == ',');
	}
	size_t used = strlen(p);
	if (used + n + 2 < sizeof(s->seen_names))
		snprintf(p + used, sizeof(s->seen_names) - used, "%s%s",
			 used ? "," : "", name);
}

static void kc_fbsock_sample(struct kc_fbsock *s, const struct lp_metric *m)
{
	struct kc *c = s->c;
	kc_fbsock_note_name(s, m);
	int out = kc_fbsock_output(&c->fb, m);
	if (out < 0)
		return;
	struct kc_fb_sample smp = {.ts = m->time};
	if (!m->has_time || !kc_fbsock_int(m, "metrics_added", &smp.added) ||
	    !kc_fbsock_int(m, "metrics_written", &smp.written) ||
	    !kc_fbsock_int(m, "metrics_dropped", &smp.dropped) ||
	    !kc_fbsock_int(m, "buffer_size", &smp.size) ||
	    !kc_fbsock_int(m, "buffer_limit", &smp.limit)) {
		s->bad++;
		log_limited(telex_log_limiter(c->t), LOG_WARN,
			    "feedback sample",
			    "feedback: an internal_write sample of \"%s\" "
			    "without metrics_added, metrics_written, "
			    "metrics_dropped, buffer_size, buffer_limit or "
			    "a time: ignored",
			    c->fb.out[out].name);
		return;
	}
	s->seen_sample_of[out] = true;
	log_debug(
	    "feedback: sample %lld added %lld written %lld, confirmed %llu "
	    "(%zu marks)",
	    (long long)smp.ts, (long long)smp.added, (long long)smp.written,
	    (unsigned long long)c->fb.confirmed, c->fb.mlen);
	kc_fetch_feedback(
	    c, (size_t)out,
	    kc_fb_sample(&c->fb, (size_t)out, &smp, c->rec.st.metrics));
}

static void kc_fbsock_mark(struct kc_fbsock *s, const struct lp_metric *m)
{
	struct kc *c = s->c;
	const struct lp_tag *t = lp_metric_find_tag(m, "instance", 8);
	int64_t seq;
	if (!t ||
	    !lp_slice_eq(&t->value, c->fb_instance, strlen(c->fb_instance))) {
		s->foreign++; /* another consumer's, or a previous run's */
		return;
	}
	if (!kc_fbsock_int(m, "seq", &seq) || seq <= 0) {
		s->bad++;
		return;
	}
	kc_fb_mark_back(&c->fb, (uint64_t)seq, telex_realtime_ns());
	log_debug("feedback: mark %lld back", (long long)seq);
}

static bool kc_fbsock_is_sample(const struct lp_slice *name)
{
	/* internal_write, or the same with a name_prefix. */
	static const char suffix[] = "internal_write";
	size_t n = sizeof(suffix) - 1;
	if (name->escaped || name->len < n)
		return false;
	return memcmp(name->ptr + name->len - n, suffix, n) == 0;
}

static void kc_fbsock_line(struct kc_fbsock *s, const char *p, size_t len)
{
	if (len && p[len - 1] == '\r')
		len--;
	if (lp_line_is_blank(p, len))
		return;
	s->lines++;
	struct lp_error err;
	if (lp_parse_line(p, len, 1, &s->m, &err) < 0) {
		s->bad++;
		log_limited(telex_log_limiter(s->c->t), LOG_WARN,
			    "feedback line", "feedback: invalid line: %s",
			    err.msg);
		return;
	}
	if (lp_slice_eq(&s->m.name, KC_FB_MARK_NAME,
			sizeof(KC_FB_MARK_NAME) - 1))
		kc_fbsock_mark(s, &s->m);
	else if (kc_fbsock_is_sample(&s->m.name))
		kc_fbsock_sample(s, &s->m);
	else
		s->other++;
}

static void kc_fbsock_retry(struct kc_fbsock *s);

static void kc_fbsock_disconnect(struct kc_fbsock *s)
{
	if (s->fd < 0)
		return;
	loop_del_fd(telex_loop(s->c->t), s->fd);
	close(s->fd);
	s->fd = -1;
	buf_clear(&s->in);
	s->skipping = false;
}

/* Hand over every complete line of the buffer. */
static void kc_fbsock_lines(struct kc_fbsock *s)
{
	size_t start = 0;
	for (;;) {
		char *nl = memchr(s->in.data + start, '\n', s->in.len - start);
		if (!nl)
			break;
		size_t end = (size_t)(nl - s->in.data);
		if (!s->skipping)
			kc_fbsock_line(s, s->in.data + start, end - start);
		s->skipping = false;
		start = end + 1;
	}
	buf_consume(&s->in, start);
	if (s->in.len > KC_FBSOCK_LINE_MAX) {
		if (!s->skipping) {
			s->bad++;
			log_limited(telex_log_limiter(s->c->t), LOG_WARN,
				    "feedback line",
				    "feedback: a line over %zu bytes skipped",
				    KC_FBSOCK_LINE_MAX);
		}
		s->skipping = true;
		buf_clear(&s->in);
	}
}

static void kc_fbsock_on_read(struct loop *l, int fd, unsigned events,
			      void *arg)
{
	(void)l;
	(void)events;
	struct kc_fbsock *s = arg;
	for (int reads = 0; reads < 64; reads++) {
		char *room = buf_reserve(&s->in, KC_FBSOCK_READ);
		if (!room) {
			log_limited(telex_log_limiter(s->c->t), LOG_ERROR,
				    "out of memory",
				    "feedback: out of memory reading");
			break;
		}
		ssize_t n = read(fd, room, KC_FBSOCK_READ);
		if (n > 0) {
			s->in.len += (size_t)n;
			kc_fbsock_lines(s);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		break;
	}
	/* The relay went away (Telegraf restarting it, or stopping). */
	kc_fbsock_disconnect(s);
	kc_fbsock_retry(s);
}

static void kc_fbsock_connect(struct kc_fbsock *s)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", s->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    loop_add_fd(telex_loop(s->c->t), fd, LOOP_READ, kc_fbsock_on_read,
			s) < 0) {
		s->last_errno = errno;
		if (fd >= 0)
			close(fd);
		kc_fbsock_retry(s);
		return;
	}
	s->fd = fd;
	s->connections++;
	log_debug("feedback: connected to %s", s->path);
}

static void kc_fbsock_on_retry(struct loop *l, void *arg)
{
	(void)l;
	struct kc_fbsock *s = arg;
	s->retry_timer = 0;
	kc_fbsock_connect(s);
}

static void kc_fbsock_retry(struct kc_fbsock *s)
{
	if (s->retry_timer || s->stopped)
		return;
	int64_t id = loop_add_timer(telex_loop(s->c->t), KC_FBSOCK_RETRY_NS, 0,
				    kc_fbsock_on_retry, s);
	if (id > 0)
		s->retry_timer = id;
}

struct kc_fbsock *kc_fbsock_start(struct kc *c, const char *path, char *err,
				  size_t errlen)
{
	struct sockaddr_un a;
	if (strlen(path) >= sizeof(a.sun_path)) {
		snprintf(err, errlen,
			 "feedback_socket \"%.60s...\" is longer than %zu "
			 "bytes",
			 path, sizeof(a.sun_path) - 1);
		return NULL;
	}
	struct kc_fbsock *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->c = c;
	s->fd = -1;
	lp_metric_init(&s->m);
	kc_fbsock_connect(s);
	return s;
}

void kc_fbsock_stop(struct kc_fbsock *s)
{
	if (!s)
		return;
	s->stopped = true;
	log_debug("feedback: %llu connections to the relay, %llu lines: %llu "
		  "of another consumer, %llu neither marks nor samples, %llu "
		  "unusable",
		  (unsigned long long)s->connections,
		  (unsigned long long)s->lines, (unsigned long long)s->foreign,
		  (unsigned long long)s->other, (unsigned long long)s->bad);
	kc_fbsock_disconnect(s);
	if (s->retry_timer)
		loop_cancel_timer(telex_loop(s->c->t), s->retry_timer);
	buf_free(&s->in);
	lp_metric_free(&s->m);
	free(s->path);
	free(s);
}

/* Why nothing is confirmed, in a few words, for the warning. */
void kc_fbsock_diagnose(const struct kc_fbsock *s, char *out, size_t n)
{
	const struct kc_fb *f = &s->c->fb;
	if (s->fd < 0) {
		snprintf(out, n,
			 "not connected to the feedback relay at %s (%s): is "
			 "the [[outputs.execd]] running telex-kafka-consumer "
			 "--feedback-relay with this config configured?",
			 s->path,
			 s->last_errno ? strerror(s->last_errno)
				       : "connection closed");
		return;
	}
	for (size_t i = 0; i < f->nout; i++) {
		if (!s->seen_sample_of[i]) {
			snprintf(out, n,
				 "no internal_write sample of the output "
				 "\"%s\" (outputs seen: %s): check "
				 "feedback_outputs against the outputs' "
				 "alias, and that inputs.internal's "
				 "internal_write reaches the socket_writer",
				 f->out[i].name,
				 *s->seen_names ? s->seen_names : "none");
			return;
		}
	}
	if (f->mlen && !f->marks_back) {
		snprintf(out, n,
			 "no %s line came back: the socket_writer must pass "
			 "%s (namepass) to the relay and no processor may drop "
			 "it",
			 KC_FB_MARK_NAME, KC_FB_MARK_NAME);
		return;
	}
	for (size_t i = 0; i < f->nout; i++) {
		const struct kc_fb_output *o = &f->out[i];
		if (o->written + o->dropped < o->added) {
			snprintf(out, n,
				 "the output \"%s\" is not writing: %lld "
				 "metrics in its buffer, %lld written in all",
				 o->name, (long long)o->size,
				 (long long)o->written);
			return;
		}
	}
	snprintf(out, n, "the samples are late (inputs.internal's interval?)");
}
