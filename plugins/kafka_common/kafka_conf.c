/*
 * kafka_conf.c: the options Telegraf's Kafka plugins share, mapped onto
 * librdkafka properties. Telegraf enables TLS when any TLS option is set
 * and SASL when a user or a mechanism is; the same rules apply here, so a
 * native table means the same connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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

/* The files are read when the client is created, where librdkafka's
 * message names neither the option nor the file: check them here. */
static int kafka_conf_tls(const struct kafka_common_config *c,
			  rd_kafka_conf_t *conf, const char *table, char *err,
			  size_t errlen)
{
	for (size_t i = 0; i < KAFKA_TLS_NOPTIONS; i++) {
		const struct kafka_tls_option *o = &kafka_tls_options[i];
		const char *v = kafka_tls_value(c, o);
		if (!kafka_set(v))
			continue;
		if (o->file && access(v, R_OK) < 0) {
			snprintf(err, errlen,
				 "[%s] %s: cannot read \"%.400s\": %s", table,
				 o->option, v, strerror(errno));
			return -1;
		}
		if (kafka_conf_set(conf, o->prop, v, err, errlen))
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

/* What librdkafka cannot do is refused when it would weaken the
 * connection (a TLS 1.3 floor, a SOCKS5 proxy the operator relies on) and
 * warned about when the result is as strict or stricter. */
static int kafka_conf_unsupported(const struct kafka_common_config *c,
				  const char *table, char *err, size_t errlen)
{
	if (c->socks5_enabled) {
		snprintf(err, errlen,
			 "[%s] socks5_enabled = true: librdkafka has no SOCKS5 "
			 "proxy support, so telex cannot reach the brokers "
			 "through one; let the host reach them directly, or "
			 "use Telegraf's native plugin",
			 table);
		return -1;
	}
	const char *v = c->tls_min_version;
	if (kafka_set(v) && strcmp(v, "TLS13") == 0) {
		snprintf(err, errlen,
			 "[%s] tls_min_version = \"TLS13\": librdkafka has no "
			 "setting for the lowest TLS version and would accept "
			 "TLS 1.2; require TLS 1.3 on the brokers instead",
			 table);
		return -1;
	}
	if (kafka_set(v) && strcmp(v, "TLS12") != 0)
		log_warn("[%s] tls_min_version = \"%s\": librdkafka with "
			 "OpenSSL 3 negotiates TLS 1.2 or later only; a broker "
			 "limited to TLS 1.0 or 1.1 will not connect",
			 table, v);
	if (kafka_set(c->tls_renegotiation_method))
		log_warn("[%s] tls_renegotiation_method is ignored: OpenSSL "
			 "decides (secure renegotiation in TLS 1.2, none in "
			 "TLS 1.3)",
			 table);
	return 0;
}

/* librdkafka runs kinit through /bin/sh: the krb5.conf path goes into the
 * command, single-quoted. */
static int kafka_conf_kinit(const struct kafka_common_config *c,
			    rd_kafka_conf_t *conf, const char *table, char *err,
			    size_t errlen)
{
	const char *path = c->sasl_gssapi_kerberos_config_path;
	if (strchr(path, '\'')) {
		snprintf(err, errlen,
			 "[%s] sasl_gssapi_kerberos_config_path may not "
			 "contain a single quote",
			 table);
		return -1;
	}
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
	if (keytab) {
		if (!kafka_set(c->sasl_gssapi_key_tab_path)) {
			snprintf(err, errlen,
				 "[%s] sasl_gssapi_auth_type = "
				 "\"KRB5_KEYTAB_AUTH\" needs "
				 "sasl_gssapi_key_tab_path",
				 table);
			return -1;
		}
		if (kafka_conf_set(conf, "sasl.kerberos.keytab",
				   c->sasl_gssapi_key_tab_path, err, errlen))
			return -1;
		if (kafka_set(c->sasl_gssapi_kerberos_config_path) &&
		    kafka_conf_kinit(c, conf, table, err, errlen))
			return -1;
	} else {
		if (kafka_set(c->sasl_gssapi_auth_type) &&
		    strcmp(c->sasl_gssapi_auth_type, "KRB5_USER_AUTH") != 0) {
			snprintf(
			    err, errlen,
			    "[%s] sasl_gssapi_auth_type: \"%s\" is neither "
			    "KRB5_USER_AUTH nor KRB5_KEYTAB_AUTH",
			    table, c->sasl_gssapi_auth_type);
			return -1;
		}
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
			      rd_kafka_conf_t *conf, const char *table,
			      char *err, size_t errlen)
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
	if (!list.len) {
		snprintf(err, errlen,
			 "[%s] brokers: at least one broker needed", table);
		return -1;
	}
	buf_putc(&list, '\0');
	int rc =
	    kafka_conf_set(conf, "bootstrap.servers", list.data, err, errlen);
	buf_free(&list);
	return rc;
}

int kafka_conf_apply(const struct kafka_common_config *c, rd_kafka_conf_t *conf,
		     const char *table, char *err, size_t errlen)
{
	if (kafka_conf_unsupported(c, table, err, errlen) ||
	    kafka_conf_brokers(c, conf, table, err, errlen))
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
