/*
 * test_kafka_output.c: telex-kafka-output's pieces without a cluster:
 * header templates (compile errors, values), Go's float text, the record
 * of a metric (topic, key, timestamp, value), the producer properties a
 * config becomes, and the topic handle cache.
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

#include "../../plugins/kafka_output/kout.h"
#include "../unit/config_expect.h"
#include "kout_test_config.h"

static void test_float_go(void **state)
{
	(void)state;
	/* What Go's fmt.Sprint prints for these float64 values. */
	static const struct {
		double v;
		const char *go;
	} cases[] = {
	    {1.5, "1.5"},
	    {100, "100"},
	    {123456.5, "123456.5"},
	    {999999, "999999"},
	    {1e6, "1e+06"},
	    {1234567, "1.234567e+06"},
	    {0.0001, "0.0001"},
	    {0.00001, "1e-05"},
	    {-2.5e10, "-2.5e+10"},
	    {3.141592653589793, "3.141592653589793"},
	    {0.1, "0.1"},
	    {1e21, "1e+21"},
	    {1.7976931348623157e308, "1.7976931348623157e+308"},
	    {5e-324, "5e-324"},
	    {0, "0"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[40];
		size_t n = kout_format_float_go(cases[i].v, out);
		assert_string_equal(out, cases[i].go);
		assert_int_equal(n, strlen(cases[i].go));
	}
}

static int compile(struct kout_headers *hs, const char *name, const char *tmpl,
		   char *err, size_t errlen)
{
	char *keys[] = {(char *)name};
	char *vals[] = {(char *)tmpl};
	struct cfg_map m = {keys, vals, 1};
	return kout_headers_compile(hs, &m, NULL, err, errlen);
}

static void test_headers_errors(void **state)
{
	(void)state;
	static const char *bad[] = {
	    "{{ .Tags }}",
	    "{{ .Tag }}",
	    "{{ .Tag host }}",
	    "{{ .Field \"x }}",
	    "{{ .Name .X }}",
	    "{{ printf \"%s\" }}",
	    "{{ .Name",
	    "x }}",
	    "{{ .Tag \"\" }}",
	    "{{/* c */}}",
	    "{{ .Tag \"a\" \"b\" }}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kout_headers hs;
		char err[512];
		assert_int_equal(compile(&hs, "h", bad[i], err, sizeof(err)),
				 -1);
		assert_non_null(strstr(err, "header \"h\""));
		kout_headers_free(&hs);
	}
}

static void eval_one(const char *tmpl, const char *line, const char *want)
{
	struct kout_headers hs;
	char err[512];
	assert_int_equal(compile(&hs, "h", tmpl, err, sizeof(err)), 0);
	struct lp_metric m;
	lp_metric_init(&m);
	struct lp_error lerr;
	assert_int_equal(lp_parse_line(line, strlen(line), 1, &m, &lerr), 0);
	struct buf out = BUF_INIT;
	size_t ends[64];
	assert_int_equal(kout_headers_eval(&hs, &m, &out, ends), 0);
	assert_int_equal(ends[0], out.len);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.data, want, out.len);
	buf_free(&out);
	lp_metric_free(&m);
	kout_headers_free(&hs);
}

static void test_headers_values(void **state)
{
	(void)state;
	const char *line = "c\\ pu,host=a\\,b,zone=z1 f=1e6,i=-3i,u=7u,"
			   "b=true,s=\"q\\\"x\" 1";
	eval_one("{{ .Name }}", line, "c pu");
	eval_one("{{.Name}}", line, "c pu");
	eval_one("host={{ .Tag \"host\" }}!", line, "host=a,b!");
	eval_one("{{ .Tag `zone` }}", line, "z1");
	eval_one("[{{ .Tag \"none\" }}]", line, "[]");
	eval_one("{{ .Field \"f\" }} {{ .Field \"i\" }} {{ .Field \"u\" }} "
		 "{{ .Field \"b\" }} {{ .Field \"s\" }}",
		 line, "1e+06 -3 7 true q\"x");
	eval_one("a  {{- .Name -}}  b", line, "ac pub");
	eval_one("no action", line, "no action");

	/* metric_name_header is one more {{ .Name }} header. */
	struct kout_headers hs;
	struct cfg_map none = {0};
	char err[256];
	assert_int_equal(
	    kout_headers_compile(&hs, &none, "measurement", err, sizeof(err)),
	    0);
	assert_int_equal(hs.n, 1);
	assert_string_equal(hs.h[0].name, "measurement");
	assert_int_equal(hs.h[0].parts[0].kind, KOUT_NAME);
	kout_headers_free(&hs);
}

struct routed {
	struct kout_config cfg;
	struct kout_headers hs;
	struct kout_router r;
	struct kout_record rec;
};

static void route(struct routed *x, const char *line)
{
	char err[256];
	kout_router_init(&x->r, &x->cfg, &x->hs);
	assert_int_equal(
	    kout_route(&x->r, line, strlen(line), 1, &x->rec, err, sizeof(err)),
	    0);
}

static void assert_slice(const char *p, size_t n, const char *want)
{
	assert_non_null(p);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
}

/* The record's value: the line's own bytes with the '\n' still to add,
 * or a complete re-serialised value. */
static void assert_value(const struct kout_record *rec, const char *want)
{
	size_t n = strlen(want);
	assert_int_equal(rec->value_len, n);
	assert_int_equal(want[n - 1], '\n');
	if (rec->newline_missing)
		n--;
	assert_memory_equal(rec->value, want, n);
}

static void test_route_fast_path(void **state)
{
	(void)state;
	struct routed x = {0};
	kout_test_config(&x.cfg, "telegraf");
	route(&x, "cpu,host=a usage=1 1700000000123456789");
	/* Not parsed: the bytes as given, the time from the last word. */
	assert_int_equal(x.r.mode, KOUT_BYTES);
	assert_slice(x.rec.topic, x.rec.topic_len, "telegraf");
	assert_null(x.rec.key);
	assert_value(&x.rec, "cpu,host=a usage=1 1700000000123456789\n");
	assert_int_equal(x.rec.timestamp_ms, 1700000000123);
	kout_router_free(&x.r);

	/* No timestamp, a negative one, a string that ends in digits. */
	static const char *no_time[] = {"cpu usage=1", "cpu usage=1 -5",
					"cpu s=\"a 123\"", "cpu v=12"};
	for (size_t i = 0; i < 4; i++) {
		route(&x, no_time[i]);
		assert_int_equal(x.rec.timestamp_ms, 0);
		kout_router_free(&x.r);
	}

	/* What is left of a "\r\n" after the time (found by fuzzing). */
	route(&x, "cpu usage=1 7000000 \r");
	assert_int_equal(x.rec.timestamp_ms, 7);
	kout_router_free(&x.r);

	/* producer_timestamp = "now": 0 asks librdkafka for the time. */
	x.cfg.producer_timestamp = "now";
	route(&x, "cpu usage=1 1700000000123456789");
	assert_int_equal(x.rec.timestamp_ms, 0);
	kout_router_free(&x.r);

	x.cfg.producer_timestamp = "metric";
	x.cfg.routing_key = "fixed";
	route(&x, "cpu usage=1 5000000");
	assert_int_equal(x.r.mode, KOUT_BYTES);
	assert_slice(x.rec.key, x.rec.key_len, "fixed");
	assert_int_equal(x.rec.timestamp_ms, 5);
	kout_router_free(&x.r);
}

static void test_route_topics_keys(void **state)
{
	(void)state;
	struct routed x = {0};
	kout_test_config(&x.cfg, "telegraf");
	x.cfg.topic_tag = "dest";
	x.cfg.routing_tag = "host";
	x.cfg.routing_key = "fallback";
	route(&x, "cpu,dest=a\\ b,host=h\\=1 usage=1 2000000");
	/* Escapes in the series key: read with the parser's rules, and
	 * still only the series key. */
	assert_int_equal(x.r.mode, KOUT_SCAN);
	assert_false(x.r.parsed);
	assert_slice(x.rec.topic, x.rec.topic_len, "a b");
	assert_slice(x.rec.key, x.rec.key_len, "h=1");
	assert_value(&x.rec, "cpu,dest=a\\ b,host=h\\=1 usage=1 2000000\n");
	assert_int_equal(x.rec.timestamp_ms, 2);
	assert_slice(x.rec.name.ptr, x.rec.name.len, "cpu");
	kout_router_free(&x.r);

	/* Scanned, not parsed: a longer key sharing the prefix is not the
	 * tag; of two tags of one key the last wins (line protocol). */
	route(&x, "cpu,hostname=x,dest=d1,host=h1,host=h2 usage=1 2000000");
	assert_false(x.r.parsed);
	assert_slice(x.rec.topic, x.rec.topic_len, "d1");
	assert_slice(x.rec.key, x.rec.key_len, "h2");
	assert_slice(x.rec.name.ptr, x.rec.name.len, "cpu");
	assert_int_equal(x.rec.timestamp_ms, 2);
	kout_router_free(&x.r);

	/* Missing tags: the topic option and routing_key. */
	route(&x, "cpu usage=1");
	assert_slice(x.rec.topic, x.rec.topic_len, "telegraf");
	assert_slice(x.rec.key, x.rec.key_len, "fallback");
	kout_router_free(&x.r);

	/* exclude_topic_tag re-serialises without the tag; the key can no
	 * longer come from it (Telegraf removes it first). */
	x.cfg.exclude_topic_tag = true;
	x.cfg.routing_tag = "dest";
	route(&x, "cpu,host=h,dest=d usage=1.50,n=2i 3000000");
	assert_slice(x.rec.topic, x.rec.topic_len, "d");
	assert_slice(x.rec.key, x.rec.key_len, "fallback");
	assert_false(x.rec.newline_missing);
	assert_value(&x.rec, "cpu,host=h usage=1.5,n=2i 3000000\n");
	kout_router_free(&x.r);

	/* Suffixes. */
	x.cfg.exclude_topic_tag = false;
	x.cfg.topic_tag = "";
	x.cfg.topic_suffix.method = "measurement";
	x.cfg.topic_suffix.separator = "-";
	route(&x, "c\\,x,host=h v=1");
	assert_slice(x.rec.topic, x.rec.topic_len, "telegraf-c,x");
	kout_router_free(&x.r);
	route(&x, "mem,host=h v=1");
	assert_false(x.r.parsed);
	assert_slice(x.rec.topic, x.rec.topic_len, "telegraf-mem");
	kout_router_free(&x.r);
	char *keys[] = {"a", "missing", "b", NULL};
	x.cfg.topic_suffix.method = "tags";
	x.cfg.topic_suffix.keys = (struct cfg_strv){keys, 3, true};
	route(&x, "m,b=2,a=1 v=1");
	assert_slice(x.rec.topic, x.rec.topic_len, "telegraf-1-2");
	kout_router_free(&x.r);

	/* random: a new UUIDv4 per record. */
	x.cfg.topic_suffix.method = "";
	x.cfg.routing_tag = "";
	x.cfg.routing_key = "random";
	route(&x, "m v=1");
	char first[37];
	assert_int_equal(x.rec.key_len, 36);
	memcpy(first, x.rec.key, 36);
	first[36] = '\0';
	char err[64];
	assert_int_equal(
	    kout_route(&x.r, "m v=1", 5, 2, &x.rec, err, sizeof(err)), 0);
	assert_memory_not_equal(first, x.rec.key, 36);
	assert_int_equal(first[14], '4');
	assert_non_null(strchr("89ab", first[19]));
	kout_router_free(&x.r);
}

static void test_route_json(void **state)
{
	(void)state;
	struct routed x = {0};
	kout_test_config(&x.cfg, "telegraf");
	x.cfg.data_format = "json";
	route(&x, "cpu,host=a usage=1.5,n=3i 1700000000999999999");
	assert_value(&x.rec,
		     "{\"fields\":{\"n\":3,\"usage\":1.5},\"name\":\"cpu\","
		     "\"tags\":{\"host\":\"a\"},\"timestamp\":1700000000}\n");
	assert_int_equal(x.rec.timestamp_ms, 1700000000999);
	kout_router_free(&x.r);
}

static const char *conf_get(rd_kafka_conf_t *conf, const char *name)
{
	static char v[256];
	size_t n = sizeof(v);
	if (rd_kafka_conf_get(conf, name, v, &n) != RD_KAFKA_CONF_OK)
		return "";
	return v;
}

static char *brokers[] = {"b:9092", NULL};

static void test_conf_properties(void **state)
{
	(void)state;
	struct kout_config c;
	kout_test_config(&c, "telegraf");
	c.kafka.brokers = (struct cfg_strv){brokers, 1, true};
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	assert_int_equal(kout_conf(&c, conf, err, sizeof(err)), 0);
	assert_string_equal(conf_get(conf, "acks"), "-1");
	assert_string_equal(conf_get(conf, "compression.codec"), "none");
	assert_string_equal(conf_get(conf, "enable.idempotence"), "false");
	assert_string_equal(conf_get(conf, "message.send.max.retries"), "3");
	assert_string_equal(conf_get(conf, "partitioner"), "fnv1a_random");
	assert_string_equal(conf_get(conf, "statistics.interval.ms"), "60000");
	assert_string_equal(conf_get(conf, "message.max.bytes"), "1065536");
	rd_kafka_conf_destroy(conf);

	c.required_acks = 1;
	c.compression_codec = 4;
	c.max_retry = 0;
	c.max_message_bytes = 100;
	c.stats_interval = 0;
	char *keys[] = {"acks", "linger.ms"};
	char *vals[] = {"0", "1"};
	c.kafka.librdkafka = (struct cfg_map){keys, vals, 2};
	conf = rd_kafka_conf_new();
	assert_int_equal(kout_conf(&c, conf, err, sizeof(err)), 0);
	/* The pass-through wins over the native option. */
	assert_string_equal(conf_get(conf, "acks"), "0");
	assert_string_equal(conf_get(conf, "compression.codec"), "zstd");
	assert_string_equal(conf_get(conf, "message.send.max.retries"), "0");
	assert_string_equal(conf_get(conf, "message.max.bytes"), "1000000");
	assert_string_equal(conf_get(conf, "statistics.interval.ms"), "0");
	assert_string_equal(conf_get(conf, "linger.ms"), "1");
	rd_kafka_conf_destroy(conf);

	kout_test_config(&c, "telegraf");
	c.idempotent_writes = true;
	c.kafka.brokers = (struct cfg_strv){brokers, 1, true};
	conf = rd_kafka_conf_new();
	assert_int_equal(kout_conf(&c, conf, err, sizeof(err)), 0);
	assert_string_equal(conf_get(conf, "enable.idempotence"), "true");
	rd_kafka_conf_destroy(conf);
}

static const struct cfg_spec kout_spec = {.section = "outputs",
					  .name = "kafka",
					  .options = kout_options,
					  .finalize = kout_config_finalize};

static const char *const kout_required[] = {"brokers = [\"b:1\"]",
					    "topic = \"t\"", NULL};

/* The table: body, then the required brokers and topic unless body sets
 * them. */
static void refused(const char *body, const char *want)
{
	struct kout_config c;
	config_expect_table_refused(&kout_spec, &c, sizeof(c), body,
				    kout_required, want);
}

/* What the table must satisfy beyond its declaration, refused where the
 * file says it: rules across options at the line of the one that breaks
 * them, values at their own (a header's template at its own). */
static void test_check(void **state)
{
	(void)state;
	refused("required_acks = 1\nidempotent_writes = true\n",
		"test.conf:3: [[outputs.kafka]]: idempotent_writes needs "
		"required_acks = -1");
	refused("metrics_per_record = 2\ndata_format = \"json\"\n",
		"test.conf:2: [[outputs.kafka]]: metrics_per_record > 1 needs "
		"data_format = \"influx\"");
	refused(
	    "topic = \"a b\"\n",
	    "test.conf:2: bad value for \"topic\" in [[outputs.kafka]]: topic "
	    "\"a b\": byte 2 (0x20) is not allowed in Kafka topic names");
	refused("topic = \"\"\n", "test.conf:2: bad value for \"topic\" in "
				  "[[outputs.kafka]]: empty topic name");
	refused("json_timestamp_units = \"0s\"\n",
		"test.conf:2: bad value for \"json_timestamp_units\"");
	refused("data_format = \"carbon2\"\n",
		"test.conf:2: bad value for \"data_format\"");
	refused("brokers = [\"b:1\"]\ntopic = \"t\"\n"
		"[outputs.kafka.topic_suffix]\nmethod = \"host\"\n",
		"test.conf:5: bad value for \"topic_suffix.method\"");
	refused("brokers = [\"b:1\"]\ntopic = \"t\"\n[outputs.kafka.headers]\n"
		"a = \"{{ .Name }}\"\nb = \"{{ .Time }}\"\n",
		"test.conf:6: bad value for \"headers\" in [[outputs.kafka]]: "
		"header \"b\": unsupported template action \"{{.Time}}\"");
	refused(
	    "spool_dir = \"/dev/null/spool\"\n",
	    "test.conf:2: bad value for \"spool_dir\" in [[outputs.kafka]]: "
	    "\"/dev/null/spool\": cannot create it: Not a directory");
	refused(
	    "spool_dir = \"/dev/null\"\n",
	    "test.conf:2: bad value for \"spool_dir\" in [[outputs.kafka]]: "
	    "\"/dev/null\" is not a directory");
	refused(
	    "spool_dir = \"/nonexistent/telex/spool\"\n",
	    "test.conf:2: bad value for \"spool_dir\" in [[outputs.kafka]]: "
	    "\"/nonexistent/telex/spool\": cannot create it: No such file "
	    "or directory");
	refused(
	    "spool_dir = \"/nonexistent/telex/spool/\"\n",
	    "test.conf:2: bad value for \"spool_dir\" in [[outputs.kafka]]: "
	    "\"/nonexistent/telex/spool/\": cannot create it: No such file "
	    "or directory");
	/* A directory still to be made, its name with a trailing slash:
	 * its parent is where it will be created. */
	char dir[] = "/tmp/telex-spool-check.XXXXXX", text[256];
	assert_non_null(mkdtemp(dir));
	snprintf(text, sizeof(text),
		 "[[outputs.kafka]]\nbrokers = [\"b:1\"]\ntopic = \"t\"\n"
		 "spool_dir = \"%s/spool/\"\n",
		 dir);
	struct kout_config c;
	struct telex_common common;
	config_expect_loaded(&kout_spec, &c, sizeof(c), text, &common);
	cfg_free(&kout_spec, &c, &common);
	rmdir(dir);
	/* The shared options' checks run in this table too. */
	refused("socks5_enabled = true\n",
		"test.conf:2: bad value for \"socks5_enabled\"");
	refused("sasl_mechanism = \"GSSAPI\"\n"
		"sasl_gssapi_auth_type = \"KRB5_KEYTAB_AUTH\"\n",
		"test.conf:3: [[outputs.kafka]]: sasl_gssapi_auth_type");
}

static void test_topic_cache(void **state)
{
	(void)state;
	char err[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	assert_int_equal(kafka_conf_set(conf, "bootstrap.servers",
					"127.0.0.1:1", err, sizeof(err)),
			 0);
	rd_kafka_t *rk =
	    rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	assert_non_null(rk);
	struct kout_topics ts = {.max = 100};
	rd_kafka_topic_t *first[100];
	const char *reason;
	for (int i = 0; i < 100; i++) {
		char name[16];
		int n = snprintf(name, sizeof(name), "topic-%d", i);
		first[i] = kout_topic_get(&ts, rk, name, (size_t)n, &reason,
					  err, sizeof(err));
		assert_non_null(first[i]);
		assert_string_equal(rd_kafka_topic_name(first[i]), name);
	}
	for (int i = 99; i >= 0; i--) {
		char name[16];
		int n = snprintf(name, sizeof(name), "topic-%d", i);
		assert_ptr_equal(kout_topic_get(&ts, rk, name, (size_t)n,
						&reason, err, sizeof(err)),
				 first[i]);
	}
	assert_int_equal(ts.n, 100);
	/* max_topics: the 101st is refused, known ones still served. */
	assert_null(
	    kout_topic_get(&ts, rk, "one-more", 8, &reason, err, sizeof(err)));
	assert_string_equal(reason, "too many topics");
	assert_non_null(strstr(err, "max_topics is 100"));
	assert_ptr_equal(
	    kout_topic_get(&ts, rk, "topic-7", 7, &reason, err, sizeof(err)),
	    first[7]);
	/* Kafka's name rules, the reason first and the name cut short. */
	assert_null(kout_topic_get(&ts, rk, "", 0, &reason, err, sizeof(err)));
	assert_string_equal(reason, "invalid topic");
	static char huge[1 << 20];
	memset(huge, 'a', sizeof(huge));
	assert_null(kout_topic_get(&ts, rk, huge, sizeof(huge), &reason, err,
				   sizeof(err)));
	assert_non_null(strstr(err, "1048576 bytes is longer than Kafka "
				    "allows (249)"));
	assert_true(strlen(err) < 200);
	assert_null(
	    kout_topic_get(&ts, rk, "a b", 3, &reason, err, sizeof(err)));
	assert_non_null(strstr(err, "byte 2 (0x20)"));
	assert_null(
	    kout_topic_get(&ts, rk, "..", 2, &reason, err, sizeof(err)));
	assert_int_equal(ts.n, 100);
	kout_topics_free(&ts);
	rd_kafka_destroy(rk);
}

static void test_line_name(void **state)
{
	(void)state;
	struct lp_slice s = kout_line_name("  c\\ pu\\,x,host=a v=1", 22);
	assert_int_equal(s.len, 8);
	assert_memory_equal(s.ptr, "c\\ pu\\,x", 8);
	s = kout_line_name("mem v=1", 7);
	assert_int_equal(s.len, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_float_go),
	    cmocka_unit_test(test_headers_errors),
	    cmocka_unit_test(test_headers_values),
	    cmocka_unit_test(test_route_fast_path),
	    cmocka_unit_test(test_route_topics_keys),
	    cmocka_unit_test(test_route_json),
	    cmocka_unit_test(test_conf_properties),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_topic_cache),
	    cmocka_unit_test(test_line_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
