/*
 * test_kafka_common.c: the shared Kafka pieces: options mapped to
 * librdkafka properties, their checks where the config is read (every
 * refusal at its file:line), the statistics reader (on a document librdkafka
 * itself produced against its mock cluster), and the client driven by the
 * event loop (delivery reports and logs served on the loop's thread).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../plugins/kafka_common/kafka_common.h"
#include "../unit/config_expect.h"
#include "telex/log.h"

static char *conf_get(rd_kafka_conf_t *conf, const char *name)
{
	static char v[1024];
	size_t n = sizeof(v);
	if (rd_kafka_conf_get(conf, name, v, &n) != RD_KAFKA_CONF_OK)
		return NULL;
	return v;
}

static char *brokers_one[] = {"kafka://k1:9092", "k2:9093", NULL};

static void common_init(struct kafka_common_config *c)
{
	memset(c, 0, sizeof(*c));
	c->brokers.v = brokers_one;
	c->brokers.n = 2;
}

static void test_conf_plain(void **state)
{
	(void)state;
	struct kafka_common_config c;
	common_init(&c);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512];
	assert_int_equal(
	    kafka_conf_apply(&c, conf, "outputs.kafka", err, sizeof(err)), 0);
	assert_string_equal(conf_get(conf, "bootstrap.servers"),
			    "k1:9092,k2:9093");
	assert_string_equal(conf_get(conf, "client.id"), "Telegraf");
	assert_string_equal(conf_get(conf, "security.protocol"), "plaintext");
	rd_kafka_conf_destroy(conf);
}

static void test_conf_tls_sasl(void **state)
{
	(void)state;
	struct kafka_common_config c;
	common_init(&c);
	c.client_id = "me";
	c.tls_ca = "/dev/null"; /* a file that can be read */
	c.tls_key_pwd = "keysecret";
	c.insecure_skip_verify = true;
	c.sasl_mechanism = "SCRAM-SHA-512";
	c.sasl_username = "u";
	c.sasl_password = "p";
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512];
	assert_int_equal(
	    kafka_conf_apply(&c, conf, "outputs.kafka", err, sizeof(err)), 0);
	assert_string_equal(conf_get(conf, "client.id"), "me");
	assert_string_equal(conf_get(conf, "security.protocol"), "sasl_ssl");
	assert_string_equal(conf_get(conf, "ssl.ca.location"), "/dev/null");
	assert_string_equal(
	    conf_get(conf, "enable.ssl.certificate.verification"), "false");
	assert_string_equal(conf_get(conf, "sasl.mechanisms"), "SCRAM-SHA-512");
	assert_string_equal(conf_get(conf, "sasl.username"), "u");
	rd_kafka_conf_destroy(conf);

	/* Only a user: PLAIN over plaintext, as Telegraf. */
	common_init(&c);
	c.sasl_username = "u";
	conf = rd_kafka_conf_new();
	assert_int_equal(kafka_conf_apply(&c, conf, "t", err, sizeof(err)), 0);
	assert_string_equal(conf_get(conf, "security.protocol"),
			    "sasl_plaintext");
	assert_string_equal(conf_get(conf, "sasl.mechanisms"), "PLAIN");
	rd_kafka_conf_destroy(conf);

	/* enable_tls alone. */
	common_init(&c);
	c.enable_tls = true;
	conf = rd_kafka_conf_new();
	assert_int_equal(kafka_conf_apply(&c, conf, "t", err, sizeof(err)), 0);
	assert_string_equal(conf_get(conf, "security.protocol"), "ssl");
	rd_kafka_conf_destroy(conf);
}

/* The shared options in a table of their own, as a plugin declares them. */
struct tk {
	struct kafka_common_config kafka;
};

static int tk_finalize(void *config, struct cfg_problem *p)
{
	return kafka_config_finalize(&((struct tk *)config)->kafka, p);
}

static const struct cfg_option tk_options[] = {
    KAFKA_CONNECT_OPTIONS(struct tk, kafka),
    KAFKA_SOCKS5_OPTION(struct tk, kafka, ""),
    KAFKA_TLS_OPTIONS(struct tk, kafka),
    KAFKA_SASL_OPTIONS(struct tk, kafka),
    KAFKA_SARAMA_OPTIONS,
    KAFKA_LIBRDKAFKA_OPTION(struct tk, kafka),
    {.name = NULL},
};

static const struct cfg_spec tk_spec = {.section = "outputs",
					.name = "kafka",
					.options = tk_options,
					.finalize = tk_finalize};

static const char *const tk_required[] = {"brokers = [\"b:1\"]", NULL};

/* The table: body, then brokers (required) unless body sets it. */
static void refused(const char *body, const char *want)
{
	struct tk c;
	config_expect_table_refused(&tk_spec, &c, sizeof(c), body, tk_required,
				    want);
}

/* What librdkafka cannot do, files it could not read, properties it
 * refuses, a keytab auth without a keytab: refused where the file says
 * so, never the value of a secret. */
static void test_checks_at_their_line(void **state)
{
	(void)state;
	refused(
	    "brokers = [\"kafka://\"]\n",
	    "test.conf:2: bad value for \"brokers\" in [[outputs.kafka]]: at "
	    "least one broker needed (host:port)");
	refused(
	    "\nsocks5_enabled = true\n",
	    "test.conf:3: bad value for \"socks5_enabled\" in "
	    "[[outputs.kafka]]: librdkafka has no SOCKS5 proxy support, so "
	    "telex cannot reach the brokers through one; let the host reach "
	    "them directly, or use Telegraf's native plugin");
	refused(
	    "tls_min_version = \"TLS13\"\n",
	    "test.conf:2: bad value for \"tls_min_version\" in "
	    "[[outputs.kafka]]: librdkafka has no setting for the lowest TLS "
	    "version and would accept TLS 1.2; require TLS 1.3 on the "
	    "brokers instead");
	static const char *const files[] = {"tls_ca", "tls_cert", "tls_key"};
	for (int i = 0; i < 3; i++) {
		char body[128], want[512];
		snprintf(body, sizeof(body),
			 "%s = \"/nonexistent/telex/file.pem\"\n", files[i]);
		snprintf(
		    want, sizeof(want),
		    "test.conf:2: bad value for \"%s\" in [[outputs.kafka]]: "
		    "cannot read \"/nonexistent/telex/file.pem\": No such "
		    "file or directory",
		    files[i]);
		refused(body, want);
	}
	refused("sasl_mechanism = \"GSSAPI\"\n"
		"sasl_gssapi_auth_type = \"KRB5_KEYTAB_AUTH\"\n",
		"test.conf:3: [[outputs.kafka]]: sasl_gssapi_auth_type = "
		"\"KRB5_KEYTAB_AUTH\" needs sasl_gssapi_key_tab_path");
	refused("sasl_gssapi_auth_type = \"KRB5_PASSWORD\"\n",
		"test.conf:2: bad value for \"sasl_gssapi_auth_type\" in "
		"[[outputs.kafka]]: \"KRB5_PASSWORD\" is not one of \"\", "
		"\"KRB5_USER_AUTH\", \"KRB5_KEYTAB_AUTH\"");
	refused(
	    "sasl_gssapi_kerberos_config_path = \"/it's\"\n",
	    "test.conf:2: bad value for \"sasl_gssapi_kerberos_config_path\" "
	    "in [[outputs.kafka]]: may not contain a single quote");
	/* The property at fault, at its own line; a secret never shown. */
	refused(
	    "brokers = [\"b:1\"]\n[outputs.kafka.librdkafka]\n"
	    "\"linger.ms\" = 5\n\"no.such.property\" = \"hunter2\"\n",
	    "test.conf:5: bad value for \"librdkafka\" in [[outputs.kafka]]: "
	    "property \"no.such.property\": No such configuration "
	    "property: \"no.such.property\"");
	/* A keytab auth without GSSAPI is not used: accepted. */
	const char *ok = "[[outputs.kafka]]\nbrokers = [\"b:1\"]\n"
			 "sasl_gssapi_auth_type = \"KRB5_KEYTAB_AUTH\"\n"
			 "tls_ca = \"/dev/null\"\n";
	struct tk c;
	struct telex_common common;
	config_expect_loaded(&tk_spec, &c, sizeof(c), ok, &common);
	cfg_free(&tk_spec, &c, &common);
}

/* A file librdkafka refuses when the client is created is explained by
 * the option that named it. */
static void test_conf_explain(void **state)
{
	(void)state;
	struct kafka_common_config c;
	common_init(&c);
	c.tls_ca = "/etc/telex/ca.pem";
	char why[256];
	kafka_conf_explain(&c, "ssl.ca.location failed: error:0588", why,
			   sizeof(why));
	assert_string_equal(why, " (tls_ca = \"/etc/telex/ca.pem\")");
	kafka_conf_explain(&c, "something else", why, sizeof(why));
	assert_string_equal(why, "");
}

static void test_conf_gssapi(void **state)
{
	(void)state;
	struct kafka_common_config c;
	common_init(&c);
	c.sasl_mechanism = "GSSAPI";
	c.sasl_username = "telex";
	c.sasl_gssapi_realm = "EXAMPLE.COM";
	c.sasl_gssapi_service_name = "kafka2";
	c.sasl_gssapi_auth_type = "KRB5_KEYTAB_AUTH";
	c.sasl_gssapi_key_tab_path = "/etc/telex.keytab";
	c.sasl_gssapi_kerberos_config_path = "/etc/krb5.conf";
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512];
	int rc = kafka_conf_apply(&c, conf, "t", err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_string_equal(conf_get(conf, "sasl.kerberos.principal"),
			    "telex@EXAMPLE.COM");
	assert_string_equal(conf_get(conf, "sasl.kerberos.service.name"),
			    "kafka2");
	assert_string_equal(conf_get(conf, "sasl.kerberos.keytab"),
			    "/etc/telex.keytab");
	assert_non_null(strstr(conf_get(conf, "sasl.kerberos.kinit.cmd"),
			       "KRB5_CONFIG='/etc/krb5.conf'"));
	rd_kafka_conf_destroy(conf);
}

static void test_conf_passthrough(void **state)
{
	(void)state;
	struct kafka_common_config c;
	char err[512];
	/* Pass-through: applied last (wins), errors name the table and the
	 * property but never the value, which may be a secret. */
	common_init(&c);
	char *keys[] = {"client.id", "linger.ms", "sasl.password"};
	char *vals[] = {"raw", "7", "s3cret"};
	c.librdkafka = (struct cfg_map){keys, vals, 3};
	c.client_id = "native";
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	assert_int_equal(kafka_conf_apply(&c, conf, "o", err, sizeof(err)), 0);
	assert_int_equal(
	    kafka_conf_passthrough(&c, conf, "o", err, sizeof(err)), 0);
	assert_string_equal(conf_get(conf, "client.id"), "raw");
	assert_int_equal(kafka_conf_get_int(conf, "linger.ms", -1), 7);
	assert_int_equal(kafka_conf_get_int(conf, "no.such", -5), -5);
	rd_kafka_conf_destroy(conf);

	char *bad_keys[] = {"no.such.property"};
	char *bad_vals[] = {"hunter2"};
	c.librdkafka = (struct cfg_map){bad_keys, bad_vals, 1};
	conf = rd_kafka_conf_new();
	assert_int_equal(
	    kafka_conf_passthrough(&c, conf, "outputs.kafka", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "[outputs.kafka.librdkafka]"));
	assert_non_null(strstr(err, "no.such.property"));
	assert_null(strstr(err, "hunter2"));
	rd_kafka_conf_destroy(conf);
}

static void test_stats_doc(void **state)
{
	(void)state;
	static const char doc[] =
	    "{\"msg_cnt\": 12, \"msg_size\": 3400, \"txmsgs\": 100,"
	    " \"tx_bytes\": 123456,"
	    " \"brokers\": {"
	    "  \":0/internal\": {\"source\": \"internal\", \"state\": \"UP\","
	    "    \"txretries\": 99, \"rtt\": {\"avg\": 99999, \"p99\": 99999}},"
	    "  \"a:1/1\": {\"source\": \"learned\", \"state\": \"UP\","
	    "    \"txretries\": 2, \"txerrs\": 1,"
	    "    \"rtt\": {\"avg\": 1500, \"p99\": 4000}},"
	    "  \"b:2/2\": {\"source\": \"learned\", \"state\": \"DOWN\","
	    "    \"txretries\": 3, \"rtt\": {\"avg\": 2500, \"p99\": 3000}}},"
	    " \"topics\": {\"t\": {\"partitions\": {"
	    "  \"0\": {\"consumer_lag\": 5}, \"1\": {\"consumer_lag\": -1},"
	    "  \"2\": {\"consumer_lag\": 7}, \"-1\": {\"consumer_lag\": 1000}"
	    "}}}}";
	struct kafka_stats s;
	char err[256];
	assert_int_equal(
	    kafka_stats_parse(doc, strlen(doc), &s, err, sizeof(err)), 0);
	assert_int_equal(s.msg_cnt, 12);
	assert_int_equal(s.msg_size, 3400);
	assert_int_equal(s.txmsgs, 100);
	assert_int_equal(s.tx_bytes, 123456);
	assert_int_equal(s.brokers, 2);
	assert_int_equal(s.brokers_up, 1);
	assert_int_equal(s.txretries, 5);
	assert_int_equal(s.txerrs, 1);
	assert_int_equal(s.rtt_avg_us, 2500);
	assert_int_equal(s.rtt_p99_us, 4000);
	assert_int_equal(s.consumer_lag, 12);
	char text[160];
	kafka_stats_brokers_text(&s, text, sizeof(text));
	assert_string_equal(text,
			    "2 brokers (1 up), rtt avg 2.5 ms p99 4.0 ms");

	assert_int_equal(kafka_stats_parse("[1,2]", 5, &s, err, sizeof(err)),
			 -1);
	assert_int_equal(kafka_stats_parse("{\"x\":", 5, &s, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "statistics"));
}

/* The client on a real loop: delivery reports, statistics and logs of a
 * producer talking to librdkafka's mock cluster arrive through the loop's
 * descriptor, on this thread. */
struct seen {
	int delivered, failed, stats;
	struct kafka_stats last;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	struct kafka_client *kc = opaque;
	struct seen *s = kc->owner;
	if (m->err)
		s->failed++;
	else
		s->delivered++;
}

static void on_stats(void *owner, const struct kafka_stats *st)
{
	struct seen *s = owner;
	s->stats++;
	s->last = *st;
}

static void test_client_on_loop(void **state)
{
	(void)state;
	int logp[2];
	assert_int_equal(pipe(logp), 0);
	log_set_fd(logp[1]);
	log_set_level(LOG_INFO);

	struct loop *l = loop_new();
	struct log_limiter lim = {0};
	struct kafka_client kc = {0};
	struct seen seen = {0};
	struct kafka_common_config c;
	common_init(&c);
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	assert_int_equal(kafka_conf_set(conf, "test.mock.num.brokers", "3", err,
					sizeof(err)),
			 0);
	assert_int_equal(kafka_conf_set(conf, "statistics.interval.ms", "100",
					err, sizeof(err)),
			 0);
	/* A property librdkafka warns about: its log line must come out
	 * through telex's logger. */
	assert_int_equal(
	    kafka_conf_set(conf, "fetch.wait.max.ms", "600", err, sizeof(err)),
	    0);
	assert_int_equal(
	    kafka_client_conf(&kc, conf, &c, &lim, err, sizeof(err)), 0);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	kc.owner = &seen;
	kc.on_stats = on_stats;
	assert_int_equal(kafka_client_start(&kc, RD_KAFKA_PRODUCER, conf, l,
					    err, sizeof(err)),
			 0);
	for (int i = 0; i < 50; i++) {
		char v[16];
		int n = snprintf(v, sizeof(v), "m%d", i);
		assert_int_equal(
		    rd_kafka_producev(kc.rk, RD_KAFKA_V_TOPIC("t"),
				      RD_KAFKA_V_VALUE(v, (size_t)n),
				      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				      RD_KAFKA_V_END),
		    0);
	}
	int64_t until = telex_monotonic_ns() + 20 * 1000000000LL;
	/* Until the statistics show the messages sent. */
	while ((seen.delivered < 50 || seen.last.txmsgs < 50) &&
	       telex_monotonic_ns() < until)
		loop_run_once(l, 100 * 1000000LL);
	assert_int_equal(seen.delivered, 50);
	assert_int_equal(seen.failed, 0);
	assert_true(seen.stats >= 1);
	assert_int_equal(seen.last.brokers, 3);
	assert_int_equal(seen.last.txmsgs, 50);
	assert_true(seen.last.tx_bytes > 50 * 3);
	kafka_client_close(&kc);
	loop_free(l);

	log_set_fd(2);
	close(logp[1]);
	char logs[65536];
	ssize_t n = read(logp[0], logs, sizeof(logs) - 1);
	close(logp[0]);
	assert_true(n > 0);
	logs[n] = '\0';
	/* The configuration warning, as a telex log line. */
	char *w = strstr(logs, "librdkafka: CONFWARN:");
	assert_non_null(w);
	assert_true(w - logs >= 3 && w[-1] == ' ' && w[-2] == '!');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conf_plain),
	    cmocka_unit_test(test_conf_tls_sasl),
	    cmocka_unit_test(test_checks_at_their_line),
	    cmocka_unit_test(test_conf_explain),
	    cmocka_unit_test(test_conf_gssapi),
	    cmocka_unit_test(test_conf_passthrough),
	    cmocka_unit_test(test_stats_doc),
	    cmocka_unit_test(test_client_on_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
