/*
 * kafka_conf.c: the options Telegraf's Kafka plugins share, mapped onto
 * librdkafka properties. Telegraf enables TLS when any TLS option is set
 * and SASL when a user or a mechanism is; the same rules apply here, so a
 * native table means the same connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_common.h"
#include "telex/buf.h"

const char *const kafka_sasl_mechanisms[] = {
    "",	  "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI", "OAUTHBEARER",
    NULL,
};

const char *const kafka_tls_versions[] = {"",	   "TLS10", "TLS11",
					  "TLS12", "TLS13", NULL};

const char *const kafka_tls_renegotiation[] = {"", "never", "once", "freely",
					       NULL};

const char *const kafka_gssapi_auth_types[] = {"", "KRB5_USER_AUTH",
					       "KRB5_KEYTAB_AUTH", NULL};

static bool kafka_set(const char *s)
{
	return s && *s;
}

int kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
		   char *err, size_t errlen)
{
	char why[512];
	if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) ==
	    RD_KAFKA_CONF_OK)
		return 0;
	snprintf(err, errlen, "librdkafka property \"%s\": %.300s", name, why);
	return -1;
}

int64_t kafka_conf_get_int(rd_kafka_conf_t *conf, const char *name,
			   int64_t fallback)
{
	char v[64];
	size_t n = sizeof(v);
	if (rd_kafka_conf_get(conf, name, v, &n) != RD_KAFKA_CONF_OK)
		return fallback;
	char *end;
	long long x = strtoll(v, &end, 10);
	return end == v ? fallback : (int64_t)x;
}

static const struct kafka_tls_option {
	const char *prop, *option;
	size_t off;
	bool file;
} kafka_tls_options[] = {
    {"ssl.ca.location", "tls_ca", offsetof(struct kafka_common_config, tls_ca),
     true},
    {"ssl.certificate.location", "tls_cert",
     offsetof(struct kafka_common_config, tls_cert), true},
    {"ssl.key.location", "tls_key",
     offsetof(struct kafka_common_config, tls_key), true},
    {"ssl.key.password", "tls_key_pwd",
     offsetof(struct kafka_common_config, tls_key_pwd), false},
};
#define KAFKA_TLS_NOPTIONS                                                     \
	(sizeof(kafka_tls_options) / sizeof(kafka_tls_options[0]))

static const char *kafka_tls_value(const struct kafka_common_config *c,
				   const struct kafka_tls_option *o)
{
	return *(char *const *)((const char *)c + o->off);
}

void kafka_conf_explain(const struct kafka_common_config *c, const char *why,
			char *out, size_t n)
{
	out[0] = '\0';
	for (size_t i = 0; c && i < KAFKA_TLS_NOPTIONS; i++) {
		const struct kafka_tls_option *o = &kafka_tls_options[i];
		const char *v = kafka_tls_value(c, o);
		if (o->file && kafka_set(v) &&
		    strncmp(why, o->prop, strlen(o->prop)) == 0) {
			snprintf(out, n, " (%s = \"%.400s\")", o->option, v);
			return;
		}
	}
}

/* The files were found readable when the config was read
 * (kafka_check_readable). */
static int kafka_conf_tls(const struct kafka_common_config *c,
			  rd_kafka_conf_t *conf, const char *table, char *err,
			  size_t errlen)
{
	for (size_t i = 0; i < KAFKA_TLS_NOPTIONS; i++) {
		const struct kafka_tls_option *o = &kafka_tls_options[i];
		const char *v = kafka_tls_value(c, o);
		if (kafka_set(v) &&
		    kafka_conf_set(conf, o->prop, v, err, errlen))
			return -1;
	}
	if (c->insecure_skip_verify &&
	    (kafka_conf_set(conf, "enable.ssl.certificate.verification",
			    "false", err, errlen) ||
	     kafka_conf_set(conf, "ssl.endpoint.identification.algorithm",
			    "none", err, errlen)))
		return -1;
	if (kafka_set(c->tls_server_name))
		log_warn("[%s] tls_server_name is ignored: librdkafka checks "
			 "the certificate against the broker's own host name",
			 table);
	return 0;
}

/* What librdkafka cannot do but was accepted (kafka_check.c refuses the
 * rest): a warning each. */
static void kafka_conf_unsupported(const struct kafka_common_config *c,
				   const char *table)
{
	const char *v = c->tls_min_version;
	if (kafka_set(v) && strcmp(v, "TLS12") != 0 && strcmp(v, "TLS13") != 0)
		log_warn("[%s] tls_min_version = \"%s\": librdkafka with "
			 "OpenSSL 3 negotiates TLS 1.2 or later only; a broker "
			 "limited to TLS 1.0 or 1.1 will not connect",
			 table, v);
	if (kafka_set(c->tls_renegotiation_method))
		log_warn("[%s] tls_renegotiation_method is ignored: OpenSSL "
			 "decides (secure renegotiation in TLS 1.2, none in "
			 "TLS 1.3)",
			 table);
}

/* librdkafka runs kinit through /bin/sh: the krb5.conf path goes into the
 * command, single-quoted (kafka_check_kerberos_path refused a quote). */
static int kafka_conf_kinit(const struct kafka_common_config *c,
			    rd_kafka_conf_t *conf, char *err, size_t errlen)
{
	const char *path = c->sasl_gssapi_kerberos_config_path;
	struct buf cmd = BUF_INIT;
	int rc = buf_printf(&cmd,
			    "export KRB5_CONFIG='%s'; "
			    "kinit -R -t \"%%{sasl.kerberos.keytab}\" -k "
			    "%%{sasl.kerberos.principal} || "
			    "kinit -t \"%%{sasl.kerberos.keytab}\" -k "
			    "%%{sasl.kerberos.principal}",
			    path);
	if (rc == 0)
		rc = kafka_conf_set(conf, "sasl.kerberos.kinit.cmd", cmd.data,
				    err, errlen);
	else
		snprintf(err, errlen, "out of memory");
	buf_free(&cmd);
	return rc;
}

static int kafka_conf_gssapi(const struct kafka_common_config *c,
			     rd_kafka_conf_t *conf, const char *table,
			     char *err, size_t errlen)
{
	if (kafka_set(c->sasl_gssapi_service_name) &&
	    kafka_conf_set(conf, "sasl.kerberos.service.name",
			   c->sasl_gssapi_service_name, err, errlen))
		return -1;
	if (kafka_set(c->sasl_username)) {
		char principal[512];
		if (kafka_set(c->sasl_gssapi_realm) &&
		    !strchr(c->sasl_username, '@'))
			snprintf(principal, sizeof(principal), "%s@%s",
				 c->sasl_username, c->sasl_gssapi_realm);
		else
			snprintf(principal, sizeof(principal), "%s",
				 c->sasl_username);
		if (kafka_conf_set(conf, "sasl.kerberos.principal", principal,
				   err, errlen))
			return -1;
	}
	bool keytab = kafka_set(c->sasl_gssapi_auth_type) &&
		      strcmp(c->sasl_gssapi_auth_type, "KRB5_KEYTAB_AUTH") == 0;
	/* kafka_config_finalize made sure a keytab goes with keytab auth. */
	if (keytab) {
		if (kafka_conf_set(conf, "sasl.kerberos.keytab",
				   c->sasl_gssapi_key_tab_path, err, errlen))
			return -1;
		if (kafka_set(c->sasl_gssapi_kerberos_config_path) &&
		    kafka_conf_kinit(c, conf, err, errlen))
			return -1;
	} else {
		/* A Kerberos password cannot be handed to librdkafka: it
		 * uses the ticket cache that kinit filled. */
		if (kafka_set(c->sasl_password))
			log_warn("[%s] GSSAPI with KRB5_USER_AUTH uses the "
				 "Kerberos ticket cache; sasl_password is "
				 "ignored (run kinit, or use a keytab)",
				 table);
		if (kafka_conf_set(conf,
				   "sasl.kerberos.min.time.before.relogin", "0",
				   err, errlen))
			return -1;
	}
	return 0;
}

static int kafka_conf_sasl(const struct kafka_common_config *c,
			   rd_kafka_conf_t *conf, const char *table, char *err,
			   size_t errlen)
{
	const char *mech =
	    kafka_set(c->sasl_mechanism) ? c->sasl_mechanism : "PLAIN";
	if (kafka_conf_set(conf, "sasl.mechanisms", mech, err, errlen))
		return -1;
	if (strcmp(mech, "GSSAPI") == 0)
		return kafka_conf_gssapi(c, conf, table, err, errlen);
	if (strcmp(mech, "OAUTHBEARER") == 0) {
		/* The token callback (kafka_client.c) hands over a static
		 * sasl_access_token; without one, librdkafka's own OAUTHBEARER
		 * properties in [*.librdkafka] apply. */
		return 0;
	}
	if (kafka_set(c->sasl_username) &&
	    kafka_conf_set(conf, "sasl.username", c->sasl_username, err,
			   errlen))
		return -1;
	if (kafka_set(c->sasl_password) &&
	    kafka_conf_set(conf, "sasl.password", c->sasl_password, err,
			   errlen))
		return -1;
	return 0;
}

static int kafka_conf_brokers(const struct kafka_common_config *c,
			      rd_kafka_conf_t *conf, char *err, size_t errlen)
{
	struct buf list = BUF_INIT;
	for (size_t i = 0; i < c->brokers.n; i++) {
		/* Sarama accepts "kafka://host:port" style URLs too. */
		const char *b = c->brokers.v[i];
		const char *scheme = strstr(b, "://");
		if (scheme)
			b = scheme + 3;
		if (!*b)
			continue;
		if ((list.len && buf_putc(&list, ',')) ||
		    buf_append(&list, b, strlen(b))) {
			buf_free(&list);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	/* kafka_check_brokers made sure of one. */
	buf_putc(&list, '\0');
	int rc =
	    kafka_conf_set(conf, "bootstrap.servers", list.data, err, errlen);
	buf_free(&list);
	return rc;
}

int kafka_conf_apply(const struct kafka_common_config *c, rd_kafka_conf_t *conf,
		     const char *table, char *err, size_t errlen)
{
	kafka_conf_unsupported(c, table);
	if (kafka_conf_brokers(c, conf, err, errlen))
		return -1;
	if (kafka_conf_set(conf, "client.id",
			   kafka_set(c->client_id) ? c->client_id : "Telegraf",
			   err, errlen))
		return -1;
	bool tls = c->enable_tls || kafka_set(c->tls_ca) ||
		   kafka_set(c->tls_cert) || kafka_set(c->tls_key) ||
		   kafka_set(c->tls_key_pwd) || kafka_set(c->tls_server_name) ||
		   c->insecure_skip_verify;
	bool sasl = kafka_set(c->sasl_username) || kafka_set(c->sasl_mechanism);
	const char *proto = tls ? (sasl ? "sasl_ssl" : "ssl")
				: (sasl ? "sasl_plaintext" : "plaintext");
	if (kafka_conf_set(conf, "security.protocol", proto, err, errlen))
		return -1;
	if (tls && kafka_conf_tls(c, conf, table, err, errlen))
		return -1;
	if (sasl && kafka_conf_sasl(c, conf, table, err, errlen))
		return -1;
	if (!sasl &&
	    (kafka_set(c->sasl_password) || kafka_set(c->sasl_access_token)))
		log_warn("[%s] SASL is off (no sasl_username or "
			 "sasl_mechanism): the SASL secret is not used",
			 table);
	return 0;
}

int kafka_conf_passthrough(const struct kafka_common_config *c,
			   rd_kafka_conf_t *conf, const char *table, char *err,
			   size_t errlen)
{
	const struct cfg_map *m = &c->librdkafka;
	for (size_t i = 0; i < m->n; i++) {
		char why[512];
		if (kafka_conf_set(conf, m->keys[i], m->values[i], why,
				   sizeof(why))) {
			snprintf(err, errlen, "[%s.librdkafka] %.400s", table,
				 why);
			return -1;
		}
	}
	return 0;
}
