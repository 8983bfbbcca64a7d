/*
 * kafka_check.c: what the shared Kafka options must satisfy beyond their
 * declaration, checked where the config is read so that every refusal
 * names the file and the line (cfg_option.check, and kafka_config_finalize
 * for the plugins' finalize hooks). What librdkafka cannot do is refused
 * when it would weaken the connection (a SOCKS5 proxy the operator relies
 * on, a TLS 1.3 floor); kafka_conf.c warns about the rest when it maps the
 * options.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kafka_common.h"

static bool kafka_check_set(const char *s)
{
	return s && *s;
}

int kafka_check_brokers(const void *value, struct cfg_problem *p)
{
	const struct cfg_strv *v = value;
	for (size_t i = 0; i < v->n; i++) {
		/* Sarama accepts "kafka://host:port" style URLs too. */
		const char *scheme = strstr(v->v[i], "://");
		if (*(scheme ? scheme + 3 : v->v[i]))
			return 0;
	}
	return cfg_refuse(p, "at least one broker needed (host:port)");
}

int kafka_check_socks5(const void *value, struct cfg_problem *p)
{
	if (!*(const bool *)value)
		return 0;
	return cfg_refuse(p, "librdkafka has no SOCKS5 proxy support, so telex "
			     "cannot reach the brokers through one; let the "
			     "host reach them directly, or use Telegraf's "
			     "native plugin");
}

int kafka_check_tls_min_version(const void *value, struct cfg_problem *p)
{
	const char *v = *(char *const *)value;
	if (!kafka_check_set(v) || strcmp(v, "TLS13") != 0)
		return 0;
	return cfg_refuse(p, "librdkafka has no setting for the lowest TLS "
			     "version and would accept TLS 1.2; require TLS "
			     "1.3 on the brokers instead");
}

/* librdkafka reads the files when the client is created, and its message
 * then names neither the option nor the file. */
int kafka_check_readable(const void *value, struct cfg_problem *p)
{
	const char *path = *(char *const *)value;
	if (!kafka_check_set(path) || access(path, R_OK) == 0)
		return 0;
	return cfg_refuse(p, "cannot read \"%.400s\": %s", path,
			  strerror(errno));
}

/* librdkafka runs kinit through /bin/sh with the path single-quoted. */
int kafka_check_kerberos_path(const void *value, struct cfg_problem *p)
{
	const char *path = *(char *const *)value;
	if (!kafka_check_set(path) || !strchr(path, '\''))
		return 0;
	return cfg_refuse(p, "may not contain a single quote");
}

/* Each property as librdkafka itself validates it, on a scratch handle.
 * librdkafka's message names the property; a value it quotes is one it
 * refused, never a secret (those take any text). */
int kafka_check_librdkafka(const void *value, struct cfg_problem *p)
{
	const struct cfg_map *m = value;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	int rc = 0;
	for (size_t i = 0; i < m->n && rc == 0; i++) {
		char why[512];
		/* Setting it loads the plugins: that waits for the client's
		 * own config, which reports its errors too. */
		if (strcmp(m->keys[i], "plugin.library.paths") == 0)
			continue;
		if (rd_kafka_conf_set(conf, m->keys[i], m->values[i], why,
				      sizeof(why)) == RD_KAFKA_CONF_OK)
			continue;
		p->item = i + 1;
		rc = cfg_refuse(p, "property \"%s\": %.300s", m->keys[i], why);
	}
	rd_kafka_conf_destroy(conf);
	return rc;
}

int kafka_config_finalize(const struct kafka_common_config *c,
			  struct cfg_problem *p)
{
	if (kafka_check_set(c->sasl_mechanism) &&
	    strcmp(c->sasl_mechanism, "GSSAPI") == 0 &&
	    kafka_check_set(c->sasl_gssapi_auth_type) &&
	    strcmp(c->sasl_gssapi_auth_type, "KRB5_KEYTAB_AUTH") == 0 &&
	    !kafka_check_set(c->sasl_gssapi_key_tab_path)) {
		p->key = "sasl_gssapi_auth_type";
		return cfg_refuse(p, "sasl_gssapi_auth_type = "
				     "\"KRB5_KEYTAB_AUTH\" needs "
				     "sasl_gssapi_key_tab_path");
	}
	return 0;
}
