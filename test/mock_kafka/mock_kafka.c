/*
 * telex-mock-kafka: an embedded Kafka cluster for tests and the demo, on
 * librdkafka's mock cluster (rdkafka_mock.h). No Apache Kafka broker can be
 * installed where telex is tested, and real clients (kcat, telex) only need
 * something that speaks the protocol over TCP on loopback.
 *
 *   telex-mock-kafka [--brokers N] [--topic NAME:PARTITIONS]...
 *
 * The first line on stdout is the bootstrap list. Then stdin is a control
 * channel: one command per line, each answered by one line on stdout, "ok"
 * (or "ok VALUE") or "error: WHY". `help` lists the commands. The program
 * ends on `quit`, stdin EOF, SIGTERM or SIGINT.
 *
 * Limits of the mock in librdkafka 2.0: each partition keeps at most about
 * 5 MB or 100,000 message sets (older ones are deleted), and Metadata is
 * served at v0-v2 only.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "telex/buf.h"
#include "telex/log.h"

#define MOCK_MAX_ARGS 8

struct mock {
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	int brokers;
	bool quit;
};

/* Kafka protocol request types by name, for commands that take one. */
static const struct {
	const char *name;
	int16_t key;
} mock_api_keys[] = {
    {"produce", 0},	     {"fetch", 1},	     {"listoffsets", 2},
    {"metadata", 3},	     {"offsetcommit", 8},    {"offsetfetch", 9},
    {"findcoordinator", 10}, {"joingroup", 11},	     {"heartbeat", 12},
    {"leavegroup", 13},	     {"syncgroup", 14},	     {"apiversion", 18},
    {"apiversions", 18},     {"initproducerid", 22},
};

static int mock_parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int mock_parse_api(const char *s, int16_t *key)
{
	long v;
	if (mock_parse_int(s, 0, 100, &v) == 0) {
		*key = (int16_t)v;
		return 0;
	}
	for (size_t i = 0; i < sizeof(mock_api_keys) / sizeof(mock_api_keys[0]);
	     i++)
		if (strcasecmp(s, mock_api_keys[i].name) == 0) {
			*key = mock_api_keys[i].key;
			return 0;
		}
	return -1;
}

/* An error code by number or by librdkafka's name, with or without the
 * "ERR_" prefix: "NOT_LEADER_FOR_PARTITION", "_TRANSPORT", "6". */
static int mock_parse_err(const char *s, rd_kafka_resp_err_t *err)
{
	long v;
	if (mock_parse_int(s, -200, 1000, &v) == 0) {
		*err = (rd_kafka_resp_err_t)v;
		return 0;
	}
	if (strncasecmp(s, "ERR_", 4) == 0)
		s += 4;
	const struct rd_kafka_err_desc *descs;
	size_t n;
	rd_kafka_get_err_descs(&descs, &n);
	for (size_t i = 0; i < n; i++)
		if (descs[i].name && strcasecmp(descs[i].name, s) == 0) {
			*err = descs[i].code;
			return 0;
		}
	return -1;
}

/* A broker id, or "all" (-1: every broker). */
static int mock_parse_broker(const struct mock *m, const char *s, int32_t *id)
{
	long v;
	if (strcasecmp(s, "all") == 0 || strcmp(s, "-1") == 0) {
		*id = -1;
		return 0;
	}
	if (mock_parse_int(s, 1, m->brokers, &v))
		return -1;
	*id = (int32_t)v;
	return 0;
}

/* "NAME:PARTITIONS" as given to --topic and `topic`. Every partition is
 * replicated on min(3, brokers) brokers (the mock ignores other factors). */
static int mock_topic_spec(struct mock *m, const char *spec, char *why,
			   size_t whylen)
{
	char name[256];
	long parts;
	const char *colon = strrchr(spec, ':');
	size_t nlen = colon ? (size_t)(colon - spec) : 0;
	if (nlen == 0 || nlen >= sizeof(name) ||
	    mock_parse_int(colon + 1, 1, 100000, &parts)) {
		snprintf(why, whylen,
			 "bad topic \"%s\": want NAME:PARTITIONS, 1 to 100000 "
			 "partitions",
			 spec);
		return -1;
	}
	memcpy(name, spec, nlen);
	name[nlen] = '\0';
	rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(
	    m->mc, name, (int)parts, m->brokers < 3 ? m->brokers : 3);
	if (e) {
		snprintf(why, whylen, "creating topic %s: %s", name,
			 rd_kafka_err2str(e));
		return -1;
	}
	return 0;
}

static const char mock_help[] =
    "commands (one per line, each answered by \"ok\" or \"error: WHY\"):\n"
    "  bootstraps                     print the bootstrap list\n"
    "  down BROKER|all                disconnect a broker, refuse "
    "connections\n"
    "  up BROKER|all                  accept connections again\n"
    "  rtt BROKER|all MS              delay every response by MS\n"
    "  topic NAME:PARTITIONS     create a topic\n"
    "  leader TOPIC PARTITION BROKER  move a partition's leader (-1: "
    "none)\n"
    "  error API ERR [COUNT]          the next COUNT requests of API "
    "fail with ERR\n"
    "  broker-error BROKER API ERR RTT_MS [COUNT]  the same on one "
    "broker, delayed\n"
    "  clear API                      forget pushed errors of API\n"
    "  topic-error TOPIC ERR          Metadata reports ERR for TOPIC "
    "(0 clears)\n"
    "  quit                           stop the cluster and exit\n"
    "API: produce, fetch, metadata, ... or the number; ERR: a librdkafka "
    "name\n"
    "(NOT_LEADER_FOR_PARTITION, _TRANSPORT, ...) or the number.\n";

/* Run one command; 0 ok (reply may hold a value), -1 with why. */
static int mock_run(struct mock *m, char **argv, int argc, char *reply,
		    size_t replylen, char *why, size_t whylen)
{
	const char *cmd = argv[0];
	int32_t broker;
	long a, b;
	int16_t api;
	rd_kafka_resp_err_t err, e = 0;

	reply[0] = '\0';
	if (strcmp(cmd, "bootstraps") == 0 && argc == 1) {
		snprintf(reply, replylen, "%s",
			 rd_kafka_mock_cluster_bootstraps(m->mc));
	} else if ((strcmp(cmd, "down") == 0 || strcmp(cmd, "up") == 0) &&
		   argc == 2) {
		if (mock_parse_broker(m, argv[1], &broker))
			goto bad_broker;
		e = cmd[0] == 'd' ? rd_kafka_mock_broker_set_down(m->mc, broker)
				  : rd_kafka_mock_broker_set_up(m->mc, broker);
	} else if (strcmp(cmd, "rtt") == 0 && argc == 3) {
		if (mock_parse_broker(m, argv[1], &broker))
			goto bad_broker;
		if (mock_parse_int(argv[2], 0, 3600000, &a))
			goto bad_number;
		e = rd_kafka_mock_broker_set_rtt(m->mc, broker, (int)a);
	} else if (strcmp(cmd, "topic") == 0 && argc == 2) {
		return mock_topic_spec(m, argv[1], why, whylen);
	} else if (strcmp(cmd, "leader") == 0 && argc == 4) {
		if (mock_parse_int(argv[2], 0, 100000, &a) ||
		    mock_parse_int(argv[3], -1, m->brokers, &b) || b == 0)
			goto bad_number;
		e = rd_kafka_mock_partition_set_leader(m->mc, argv[1],
						       (int32_t)a, (int32_t)b);
	} else if (strcmp(cmd, "error") == 0 && (argc == 3 || argc == 4)) {
		a = 1;
		if (mock_parse_api(argv[1], &api))
			goto bad_api;
		if (mock_parse_err(argv[2], &err))
			goto bad_err;
		if (argc == 4 && mock_parse_int(argv[3], 1, 1000000, &a))
			goto bad_number;
		rd_kafka_resp_err_t *errs = malloc((size_t)a * sizeof(*errs));
		if (!errs) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		for (long i = 0; i < a; i++)
			errs[i] = err;
		rd_kafka_mock_push_request_errors_array(m->mc, api, (size_t)a,
							errs);
		free(errs);
	} else if (strcmp(cmd, "broker-error") == 0 &&
		   (argc == 5 || argc == 6)) {
		long count = 1;
		if (mock_parse_broker(m, argv[1], &broker) || broker < 0)
			goto bad_broker;
		if (mock_parse_api(argv[2], &api))
			goto bad_api;
		if (mock_parse_err(argv[3], &err))
			goto bad_err;
		if (mock_parse_int(argv[4], 0, 3600000, &a) ||
		    (argc == 6 && mock_parse_int(argv[5], 1, 100000, &count)))
			goto bad_number;
		for (long i = 0; i < count && !e; i++)
			e = rd_kafka_mock_broker_push_request_error_rtts(
			    m->mc, broker, api, 1, err, (int)a);
	} else if (strcmp(cmd, "clear") == 0 && argc == 2) {
		if (mock_parse_api(argv[1], &api))
			goto bad_api;
		rd_kafka_mock_clear_request_errors(m->mc, api);
	} else if (strcmp(cmd, "topic-error") == 0 && argc == 3) {
		if (mock_parse_err(argv[2], &err))
			goto bad_err;
		rd_kafka_mock_topic_set_error(m->mc, argv[1], err);
	} else if (strcmp(cmd, "quit") == 0 && argc == 1) {
		m->quit = true;
	} else if (strcmp(cmd, "help") == 0 && argc == 1) {
		fputs(mock_help, stderr);
	} else {
		snprintf(
		    why, whylen,
		    "unknown command or wrong arguments: \"%s\" (try help)",
		    cmd);
		return -1;
	}
	if (e) {
		snprintf(why, whylen, "%s: %s", cmd, rd_kafka_err2str(e));
		return -1;
	}
	return 0;
bad_broker:
	snprintf(why, whylen, "%s: bad broker (1..%d or all)", cmd, m->brokers);
	return -1;
bad_number:
	snprintf(why, whylen, "%s: bad number", cmd);
	return -1;
bad_api:
	snprintf(why, whylen, "%s: unknown API (produce, fetch, metadata, ...)",
		 cmd);
	return -1;
bad_err:
	snprintf(why, whylen, "%s: unknown error code", cmd);
	return -1;
}

/* Split a command line on blanks and answer it on stdout. */
static void mock_command(struct mock *m, char *line)
{
	char *argv[MOCK_MAX_ARGS], *save = NULL;
	int argc = 0;
	for (char *tok = strtok_r(line, " \t\r", &save); tok;
	     tok = strtok_r(NULL, " \t\r", &save)) {
		if (argc == MOCK_MAX_ARGS) {
			printf("error: too many arguments\n");
			return;
		}
		argv[argc++] = tok;
	}
	if (argc == 0 || argv[0][0] == '#')
		return;
	char reply[4096], why[512];
	if (mock_run(m, argv, argc, reply, sizeof(reply), why, sizeof(why)))
		printf("error: %s\n", why);
	else if (reply[0])
		printf("ok %s\n", reply);
	else
		printf("ok\n");
}

/* Read what stdin has, run every complete line. Returns -1 at EOF. */
static int mock_read_stdin(struct mock *m, struct buf *in)
{
	char *p = buf_reserve(in, 4096);
	if (!p)
		return -1;
	ssize_t n = read(0, p, 4096);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return -1;
	in->len += (size_t)n;
	char *nl;
	while (!m->quit && (nl = memchr(in->data, '\n', in->len))) {
		*nl = '\0';
		mock_command(m, in->data);
		buf_consume(in, (size_t)(nl + 1 - in->data));
	}
	return 0;
}

/* librdkafka's own log lines from the cluster's handle, as telex logs. */
static void mock_log_cb(const rd_kafka_t *rk, int level, const char *fac,
			const char *buf)
{
	(void)rk;
	log_msg(level <= 3   ? LOG_ERROR
		: level <= 4 ? LOG_WARN
			     : LOG_DEBUG,
		"mock: %s: %s", fac, buf);
}

static void mock_usage(FILE *f)
{
	fprintf(f, "usage: telex-mock-kafka [--brokers N] "
		   "[--topic NAME:PARTITIONS]...\n"
		   "Prints the bootstrap list, then reads commands on stdin "
		   "(help lists them).\n");
}

int main(int argc, char **argv)
{
	struct mock m = {.brokers = 3};
	const char *topics[256];
	int ntopics = 0;
	char err[512];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		long v;
		if (strncmp(a, "--", 2) == 0)
			a++;
		if (strcmp(a, "-brokers") == 0 && i + 1 < argc) {
			if (mock_parse_int(argv[++i], 1, 64, &v)) {
				fprintf(stderr, "E! --brokers: want 1..64\n");
				return 2;
			}
			m.brokers = (int)v;
		} else if (strcmp(a, "-topic") == 0 && i + 1 < argc &&
			   ntopics < 256) {
			topics[ntopics++] = argv[++i];
		} else if (strcmp(a, "-help") == 0 || strcmp(a, "-h") == 0) {
			mock_usage(stdout);
			fputs(mock_help, stdout);
			return 0;
		} else {
			mock_usage(stderr);
			return 2;
		}
	}
	if (getenv("TELEX_MOCK_DEBUG"))
		log_set_level(LOG_DEBUG);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	/* Block the signals before librdkafka starts its threads, so that
	 * they inherit the mask and the signalfd sees every one. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return 1;
	}

	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, mock_log_cb);
	if (getenv("TELEX_MOCK_DEBUG"))
		rd_kafka_conf_set(conf, "debug", "mock", err, sizeof(err));
	m.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!m.rk) {
		log_error("creating the librdkafka handle: %s", err);
		return 1;
	}
	m.mc = rd_kafka_mock_cluster_new(m.rk, m.brokers);
	if (!m.mc) {
		log_error("creating a mock cluster of %d brokers failed",
			  m.brokers);
		rd_kafka_destroy(m.rk);
		return 1;
	}
	int rc = 0;
	for (int i = 0; i < ntopics; i++)
		if (mock_topic_spec(&m, topics[i], err, sizeof(err))) {
			log_error("--topic: %s", err);
			rc = 2;
			goto out;
		}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(m.mc));

	struct buf in = BUF_INIT;
	struct pollfd pfd[2] = {{.fd = 0, .events = POLLIN},
				{.fd = sfd, .events = POLLIN}};
	while (!m.quit) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			rc = 1;
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents && mock_read_stdin(&m, &in))
			break;
	}
	buf_free(&in);
out:
	rd_kafka_mock_cluster_destroy(m.mc);
	rd_kafka_destroy(m.rk);
	close(sfd);
	return rc;
}
