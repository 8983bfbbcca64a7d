/*
 * kc_relay.c: `telex-kafka-consumer --feedback-relay`, the consumer's
 * feedback relay. Telegraf runs it as an [[outputs.execd]] that receives
 * the consumer's marks and inputs.internal's internal_write samples; it
 * listens on the config's feedback_socket and copies every line it reads
 * to the consumers connected there (kc_fbsock.c). It keeps nothing: with
 * no consumer connected, lines are dropped (marks of a consumer that is
 * gone confirm nothing; samples come again).
 *
 * It is a separate process because Telegraf connects its outputs before
 * it starts its inputs: the relay (an output) is up first and listens;
 * the consumer (an input) connects when it starts, and again when either
 * restarts. It never slows Telegraf down: a consumer that does not read
 * is cut off once KC_RELAY_BACKLOG bytes wait for it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kc.h"

#define KC_RELAY_CLIENTS 8
#define KC_RELAY_BACKLOG ((size_t)4 << 20)

struct kc_relay;

struct kc_relay_client {
	int fd; /* -1: free */
	struct buf out;
	size_t off; /* out[off..len) waits */
	struct kc_relay *r;
};

struct kc_relay {
	struct telex *t;
	const struct kc_config *cfg;
	int fd;
	char *path;
	struct kc_relay_client clients[KC_RELAY_CLIENTS];
	uint64_t lines, clients_cut;
};

static void kc_relay_drop(struct kc_relay *r, struct kc_relay_client *cl)
{
	loop_del_fd(telex_loop(r->t), cl->fd);
	close(cl->fd);
	cl->fd = -1;
	buf_free(&cl->out);
	cl->off = 0;
}

/* Write what waits for the client; 0, or -1 when it is gone. */
static int kc_relay_send(struct kc_relay *r, struct kc_relay_client *cl)
{
	while (cl->off < cl->out.len) {
		ssize_t n = send(cl->fd, cl->out.data + cl->off,
				 cl->out.len - cl->off, MSG_NOSIGNAL);
		if (n > 0) {
			cl->off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		kc_relay_drop(r, cl);
		return -1;
	}
	if (cl->off == cl->out.len) {
		buf_clear(&cl->out);
		cl->off = 0;
	}
	loop_set_fd_events(telex_loop(r->t), cl->fd,
			   cl->off < cl->out.len ? LOOP_WRITE : LOOP_READ);
	return 0;
}

static void kc_relay_on_client(struct loop *l, int fd, unsigned events,
			       void *arg)
{
	(void)l;
	(void)fd;
	struct kc_relay_client *cl = arg;
	if (events & (LOOP_HUP | LOOP_ERR)) {
		kc_relay_drop(cl->r, cl);
		return;
	}
	if (events & LOOP_READ) {
		/* A consumer sends nothing: a read of 0 means it left. */
		char junk[256];
		ssize_t n = recv(cl->fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR &&
			       errno != EWOULDBLOCK)) {
			kc_relay_drop(cl->r, cl);
			return;
		}
	}
	if (events & LOOP_WRITE)
		kc_relay_send(cl->r, cl);
}

static void kc_relay_on_accept(struct loop *l, int fd, unsigned events,
			       void *arg)
{
	(void)events;
	struct kc_relay *r = arg;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_limited(telex_log_limiter(r->t), LOG_WARN,
					    "accept", "accept on %s: %s",
					    r->path, strerror(errno));
			return;
		}
		struct kc_relay_client *cl = NULL;
		for (int i = 0; i < KC_RELAY_CLIENTS && !cl; i++)
			if (r->clients[i].fd < 0)
				cl = &r->clients[i];
		if (!cl || loop_add_fd(l, cfd, LOOP_READ, kc_relay_on_client,
				       cl) < 0) {
			log_limited(telex_log_limiter(r->t), LOG_WARN,
				    "too many consumers",
				    "more than %d consumers on %s: one refused",
				    KC_RELAY_CLIENTS, r->path);
			close(cfd);
			continue;
		}
		cl->fd = cfd;
		log_debug("feedback relay: a consumer connected");
	}
}

/* A socket file left by a relay that ended without removing it is taken
 * over; a live one is not. */
static int kc_relay_claim(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "feedback_socket \"%s\": %s", path,
			 strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen,
			 "feedback_socket \"%s\" exists and is not a socket",
			 path);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	bool live =
	    fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	if (live) {
		snprintf(err, errlen,
			 "feedback_socket \"%s\" is in use by another relay",
			 path);
		return -1;
	}
	if (unlink(path) < 0) {
		snprintf(err, errlen, "feedback_socket \"%s\": %s", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int kc_relay_listen(struct kc_relay *r, char *err, size_t errlen)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(r->path) >= sizeof(a.sun_path)) {
		snprintf(err, errlen,
			 "feedback_socket \"%.60s...\" is longer than %zu "
			 "bytes",
			 r->path, sizeof(a.sun_path) - 1);
		return -1;
	}
	memcpy(a.sun_path, r->path, strlen(r->path) + 1);
	if (kc_relay_claim(r->path, err, errlen) < 0)
		return -1;
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* Only this user (Telegraf's, whose children relay and consumer
	 * are) may connect: what comes through decides what is committed. */
	mode_t old = umask(0177);
	int rc = r->fd < 0 ? -1 : bind(r->fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (rc < 0 || listen(r->fd, KC_RELAY_CLIENTS) < 0 ||
	    loop_add_fd(telex_loop(r->t), r->fd, LOOP_READ, kc_relay_on_accept,
			r) < 0) {
		snprintf(err, errlen, "feedback_socket \"%s\": %s", r->path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static void kc_relay_free(struct kc_relay *r)
{
	for (int i = 0; i < KC_RELAY_CLIENTS; i++)
		if (r->clients[i].fd >= 0)
			kc_relay_drop(r, &r->clients[i]);
	if (r->fd >= 0) {
		loop_del_fd(telex_loop(r->t), r->fd);
		close(r->fd);
		unlink(r->path);
	}
	free(r->path);
	free(r);
}

static int kc_relay_init(struct telex *t, void *config, void **state)
{
	const struct kc_config *cfg = config;
	char err[512] = "";
	if (!cfg->feedback_socket || !*cfg->feedback_socket) {
		log_error("[%s] feedback_socket: --feedback-relay needs the "
			  "socket path the consumer connects to",
			  KC_TABLE);
		return TELEX_EXIT_USAGE;
	}
	struct kc_relay *r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(cfg->feedback_socket))) {
		free(r);
		log_error("out of memory");
		return TELEX_EXIT_FAILURE;
	}
	r->t = t;
	r->cfg = cfg;
	r->fd = -1;
	for (int i = 0; i < KC_RELAY_CLIENTS; i++) {
		r->clients[i].fd = -1;
		r->clients[i].r = r;
	}
	if (kc_relay_listen(r, err, sizeof(err)) < 0) {
		log_error("%s", err);
		kc_relay_free(r);
		return TELEX_EXIT_USAGE;
	}
	*state = r;
	return 0;
}

/* Every line to every consumer, never holding Telegraf up. */
static int kc_relay_write(struct telex *t, void *state,
			  const struct telex_batch *b, size_t *accepted)
{
	(void)t;
	struct kc_relay *r = state;
	*accepted = b->n;
	r->lines += b->n;
	for (int i = 0; i < KC_RELAY_CLIENTS; i++) {
		struct kc_relay_client *cl = &r->clients[i];
		if (cl->fd < 0)
			continue;
		for (size_t j = 0; j < b->n; j++)
			if (buf_append(&cl->out, b->lines[j].ptr,
				       b->lines[j].len) < 0 ||
			    buf_putc(&cl->out, '\n') < 0)
				break;
		if (cl->out.len - cl->off > KC_RELAY_BACKLOG) {
			r->clients_cut++;
			log_limited(telex_log_limiter(r->t), LOG_WARN,
				    "consumer not reading",
				    "a consumer did not read %zu bytes of "
				    "feedback: cut off (it reconnects)",
				    KC_RELAY_BACKLOG);
			kc_relay_drop(r, cl);
			continue;
		}
		kc_relay_send(r, cl);
	}
	return 0;
}

static int kc_relay_flush(struct telex *t, void *state, int64_t deadline_ns)
{
	(void)t;
	(void)state;
	(void)deadline_ns;
	return 0; /* nothing is held that anyone waits for */
}

static void kc_relay_close(struct telex *t, void *state)
{
	(void)t;
	if (state)
		kc_relay_free(state);
}

const struct telex_plugin kc_relay_plugin = {
    .program = "telex-kafka-consumer",
    .summary = "the consumer's delivery feedback relay: run as an "
	       "outputs.execd, hands Telegraf's marks and internal_write "
	       "samples to the consumer",
    .kind = TELEX_OUTPUT,
    .config = {.section = "inputs",
	       .name = "kafka_consumer",
	       .options = kc_options,
	       .finalize = kc_config_finalize},
    .config_size = sizeof(struct kc_config),
    .init = kc_relay_init,
    .write = kc_relay_write,
    .flush = kc_relay_flush,
    .close = kc_relay_close,
};
