/*
 * kafka_common.h: what telex-kafka-output and telex-kafka-consumer share.
 *
 *  - The options every Telegraf Kafka plugin has (brokers, client_id, TLS,
 *    SASL, the Sarama-only knobs, the [*.librdkafka] pass-through), declared
 *    once as cfg_option entries a plugin splices into its table, and their
 *    mapping to librdkafka properties (kafka_conf.c), and their checks
 *    where the config is read (kafka_check.c).
 *  - The client glue (kafka_client.c): librdkafka's main queue wakes the
 *    shim's event loop through a pipe (no polling thread, no busy polling),
 *    and librdkafka's logs, errors and statistics are served on the loop's
 *    thread, logged through telex's logger with the right levels.
 *  - The statistics JSON, read with json-c (kafka_stats.c).
 */
#ifndef TELEX_KAFKA_COMMON_H
#define TELEX_KAFKA_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "telex/config.h"
#include "telex/log.h"
#include "telex/loop.h"

/* The options shared by the Kafka plugins; embedded in each plugin's
 * config struct. */
struct kafka_common_config {
	struct cfg_strv brokers;
	char *client_id;

	bool enable_tls;
	char *tls_ca, *tls_cert, *tls_key, *tls_key_pwd, *tls_server_name;
	char *tls_min_version, *tls_renegotiation_method;
	bool insecure_skip_verify;
	bool socks5_enabled; /* refused when true: librdkafka has no SOCKS5 */

	char *sasl_mechanism, *sasl_username, *sasl_password;
	char *sasl_access_token;
	struct cfg_map sasl_extensions;
	char *sasl_gssapi_service_name, *sasl_gssapi_auth_type;
	char *sasl_gssapi_kerberos_config_path, *sasl_gssapi_realm;
	char *sasl_gssapi_key_tab_path;

	struct cfg_map librdkafka; /* [*.librdkafka]: raw properties */
};

extern const char *const kafka_sasl_mechanisms[];
extern const char *const kafka_tls_versions[];
extern const char *const kafka_tls_renegotiation[];
extern const char *const kafka_gssapi_auth_types[];

/* ------------------------------------------------------------------ */
/* kafka_check.c: the options' own checks (cfg_option.check), run where
 * the file is read: 0, or -1 with p->why set. */

int kafka_check_brokers(const void *value, struct cfg_problem *p);
int kafka_check_socks5(const void *value, struct cfg_problem *p);
int kafka_check_tls_min_version(const void *value, struct cfg_problem *p);
int kafka_check_readable(const void *value, struct cfg_problem *p);
int kafka_check_kerberos_path(const void *value, struct cfg_problem *p);
int kafka_check_librdkafka(const void *value, struct cfg_problem *p);

/* What the shared options must satisfy together; for the plugins'
 * cfg_spec.finalize. 0, or -1 with p->why and p->key set. */
int kafka_config_finalize(const struct kafka_common_config *c,
			  struct cfg_problem *p);

/* cfg_option entries for struct kafka_common_config member M of the
 * plugin's config struct T. (Tables read better unformatted.) */
/* clang-format off */
#define KAFKA_OPT(T, M, field, ...)                                          \
	{.name = #field, .offset = offsetof(T, M.field), __VA_ARGS__}

#define KAFKA_CONNECT_OPTIONS(T, M)                                           \
	KAFKA_OPT(T, M, brokers, .type = CFG_STRING_LIST,                     \
		  .flags = CFG_REQUIRED,                                      \
		  .default_value = "[\"localhost:9092\"]",                    \
		  .check = kafka_check_brokers,                               \
		  .help = "bootstrap brokers, host:port"),                    \
	KAFKA_OPT(T, M, client_id, .type = CFG_STRING,                        \
		  .default_value = "\"Telegraf\"",                            \
		  .help = "client id sent to the brokers")

/* socks5_enabled: Telegraf 1.25 has it in outputs.kafka only; NOTE is the
 * version note the plugin's help starts with ("" or "(after ...) "). */
#define KAFKA_SOCKS5_OPTION(T, M, NOTE)                                      \
	KAFKA_OPT(T, M, socks5_enabled, .type = CFG_BOOL,                     \
		  .default_value = "false", .check = kafka_check_socks5,      \
		  .help = NOTE "true is refused: librdkafka has no SOCKS5 "   \
			       "proxy, so telex cannot connect through one "  \
			       "(socks5_address and the others are ignored)")

#define KAFKA_TLS_OPTIONS(T, M)                                               \
	KAFKA_OPT(T, M, enable_tls, .type = CFG_BOOL,                         \
		  .default_value = "false",                                   \
		  .help = "use TLS (also on when any tls_ option is set)"),   \
	KAFKA_OPT(T, M, tls_ca, .type = CFG_STRING,                           \
		  .default_value = "\"\"", .check = kafka_check_readable,     \
		  .help = "CA certificate file (ssl.ca.location)"),           \
	KAFKA_OPT(T, M, tls_cert, .type = CFG_STRING,                         \
		  .default_value = "\"\"", .check = kafka_check_readable,     \
		  .help = "client certificate (ssl.certificate.location)"),   \
	KAFKA_OPT(T, M, tls_key, .type = CFG_STRING,                          \
		  .default_value = "\"\"", .check = kafka_check_readable,     \
		  .help = "client key (ssl.key.location)"),                   \
	KAFKA_OPT(T, M, tls_key_pwd, .type = CFG_STRING,                      \
		  .flags = CFG_SECRET, .default_value = "\"\"",               \
		  .help = "password of the client key (ssl.key.password)"),   \
	KAFKA_OPT(T, M, tls_server_name, .type = CFG_STRING,                  \
		  .default_value = "\"\"",                                    \
		  .help = "accepted; librdkafka verifies the broker's own "   \
			  "host name"),                                       \
	KAFKA_OPT(T, M, tls_min_version, .type = CFG_STRING,                  \
		  .default_value = "\"\"", .choices = kafka_tls_versions,     \
		  .check = kafka_check_tls_min_version,                       \
		  .help = "lowest TLS version: librdkafka with OpenSSL 3 "     \
			  "never goes below TLS12; TLS10 and TLS11 warn, "   \
			  "TLS13 is refused (librdkafka cannot require it)"), \
	KAFKA_OPT(T, M, tls_renegotiation_method, .type = CFG_STRING,         \
		  .default_value = "\"\"",                                    \
		  .choices = kafka_tls_renegotiation,                         \
		  .help = "accepted with a warning: OpenSSL decides (secure " \
			  "renegotiation in TLS 1.2, none in TLS 1.3)"),      \
	KAFKA_OPT(T, M, insecure_skip_verify, .type = CFG_BOOL,               \
		  .default_value = "false",                                   \
		  .help = "use TLS but skip chain and host verification")

#define KAFKA_SASL_OPTIONS(T, M)                                              \
	KAFKA_OPT(T, M, sasl_mechanism, .type = CFG_STRING,                   \
		  .default_value = "\"\"", .choices = kafka_sasl_mechanisms,  \
		  .help = "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, GSSAPI or "   \
			  "OAUTHBEARER (PLAIN when only a user is set)"),     \
	KAFKA_OPT(T, M, sasl_username, .type = CFG_STRING,                    \
		  .default_value = "\"\"", .help = "SASL user"),              \
	KAFKA_OPT(T, M, sasl_password, .type = CFG_STRING,                    \
		  .flags = CFG_SECRET, .default_value = "\"\"",               \
		  .help = "SASL password (write $VAR to take it from the "    \
			  "environment)"),                                    \
	KAFKA_OPT(T, M, sasl_access_token, .type = CFG_STRING,                \
		  .flags = CFG_SECRET, .default_value = "\"\"",               \
		  .help = "OAUTHBEARER: the static token"),                   \
	KAFKA_OPT(T, M, sasl_extensions, .type = CFG_STRING_MAP,              \
		  .help = "OAUTHBEARER: extensions sent with the token"),     \
	KAFKA_OPT(T, M, sasl_gssapi_service_name, .type = CFG_STRING,         \
		  .default_value = "\"\"",                                    \
		  .help = "GSSAPI: Kerberos service name of the brokers"),    \
	KAFKA_OPT(T, M, sasl_gssapi_auth_type, .type = CFG_STRING,            \
		  .default_value = "\"KRB5_USER_AUTH\"",                      \
		  .choices = kafka_gssapi_auth_types,                         \
		  .help = "GSSAPI: KRB5_USER_AUTH (ticket cache) or "         \
			  "KRB5_KEYTAB_AUTH"),                                \
	KAFKA_OPT(T, M, sasl_gssapi_kerberos_config_path, .type = CFG_STRING, \
		  .default_value = "\"\"",                                    \
		  .check = kafka_check_kerberos_path,                         \
		  .help = "GSSAPI: krb5.conf (KRB5_CONFIG for kinit)"),       \
	KAFKA_OPT(T, M, sasl_gssapi_realm, .type = CFG_STRING,                \
		  .default_value = "\"\"",                                    \
		  .help = "GSSAPI: realm of the principal"),                  \
	KAFKA_OPT(T, M, sasl_gssapi_key_tab_path, .type = CFG_STRING,         \
		  .default_value = "\"\"", .help = "GSSAPI: keytab file")

/* Options of Sarama (the Go client Telegraf uses) that mean nothing to
 * librdkafka: accepted so that a native table loads unchanged, ignored
 * with one warning each. */
#define KAFKA_IGNORED(n, def, h)                                              \
	{.name = (n), .type = CFG_IGNORED, .default_value = (def), .help = (h)}

#define KAFKA_SARAMA_OPTIONS                                                  \
	KAFKA_IGNORED("version", "\"\"",                                      \
		      "ignored: librdkafka negotiates protocol versions"),    \
	KAFKA_IGNORED("sasl_version", "1",                                    \
		      "ignored: librdkafka picks the SASL handshake"),        \
	KAFKA_IGNORED("sasl_gssapi_disable_pafxfast", "false",                \
		      "ignored: a Sarama Kerberos setting"),                  \
	KAFKA_IGNORED("keep_alive_period", "\"15s\"",                         \
		      "ignored: TCP keep-alive is the OS default"),           \
	KAFKA_IGNORED("metadata_full", "false",                               \
		      "ignored: librdkafka fetches the metadata it needs"),   \
	KAFKA_IGNORED("metadata_retry_max", "0",                              \
		      "ignored: librdkafka retries metadata on its own"),     \
	KAFKA_IGNORED("metadata_retry_type", "\"constant\"",                  \
		      "ignored: see retry.backoff.ms in [*.librdkafka]"),     \
	KAFKA_IGNORED("metadata_retry_backoff", "\"250ms\"",                  \
		      "ignored: see retry.backoff.ms in [*.librdkafka]"),     \
	KAFKA_IGNORED("metadata_retry_max_duration", "\"0s\"",                \
		      "ignored: see retry.backoff.max.ms in [*.librdkafka]"), \
	KAFKA_IGNORED("socks5_address", "\"\"", "ignored"),                   \
	KAFKA_IGNORED("socks5_username", "\"\"", "ignored"),                  \
	KAFKA_IGNORED("socks5_password", "\"\"", "ignored")

#define KAFKA_LIBRDKAFKA_OPTION(T, M)                                         \
	KAFKA_OPT(T, M, librdkafka, .type = CFG_STRING_MAP,                   \
		  .flags = CFG_MAP_SCALARS, .check = kafka_check_librdkafka,  \
		  .help = "raw librdkafka properties (quote dotted names: "   \
			  "\"linger.ms\" = 10); they win over the options "   \
			  "above")

/* clang-format on */

/* ------------------------------------------------------------------ */
/* kafka_conf.c: options to librdkafka properties. */

/* Set one property; on failure err names it (and never echoes a value:
 * it may be a secret). 0 or -1. */
int kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
		   char *err, size_t errlen);

/*
 * Map the shared options onto conf: bootstrap.servers, client.id,
 * security.protocol, ssl.*, sasl.*. Options librdkafka cannot honour are
 * logged as warnings. `table` names the config table in messages
 * ("outputs.kafka"). 0, or -1 with err set (a config error).
 */
int kafka_conf_apply(const struct kafka_common_config *c, rd_kafka_conf_t *conf,
		     const char *table, char *err, size_t errlen);

/* Apply [table.librdkafka] last, so that it overrides the rest. */
int kafka_conf_passthrough(const struct kafka_common_config *c,
			   rd_kafka_conf_t *conf, const char *table, char *err,
			   size_t errlen);

/* For an error of librdkafka's about a TLS file property ("ssl.ca.location
 * failed: ..."), " (tls_ca = \"/path\")" into out, naming the option;
 * else "". */
void kafka_conf_explain(const struct kafka_common_config *c, const char *why,
			char *out, size_t n);

/* A property's current value as an integer (fallback when unreadable). */
int64_t kafka_conf_get_int(rd_kafka_conf_t *conf, const char *name,
			   int64_t fallback);

/* ------------------------------------------------------------------ */
/* kafka_stats.c: librdkafka's statistics JSON, summed over brokers. */

struct kafka_stats {
	int64_t msg_cnt;    /* messages in the producer queues */
	int64_t msg_size;   /* their bytes */
	int64_t txmsgs;	    /* messages sent to brokers, ever */
	int64_t tx_bytes;   /* bytes sent to brokers, ever (compressed) */
	int64_t txretries;  /* request retries, ever (all brokers) */
	int64_t txerrs;	    /* request errors, ever */
	int64_t rxmsgs;	    /* messages fetched, ever */
	int64_t rtt_avg_us; /* highest per-broker average RTT, us */
	int64_t rtt_p99_us; /* highest per-broker p99 RTT, us */
	int brokers, brokers_up;
	int64_t consumer_lag; /* sum over assigned partitions, -1 unknown */
};

/* Parse one statistics document. 0, or -1 with err set. */
int kafka_stats_parse(const char *json, size_t len, struct kafka_stats *s,
		      char *err, size_t errlen);

struct json_object;
/* A statistics document's top-level JSON object (the caller puts it with
 * json_object_put), or NULL with err set: too large, not JSON, or not an
 * object. */
struct json_object *kafka_stats_json(const char *json, size_t len, char *err,
				     size_t errlen);

/* ------------------------------------------------------------------ */
/* kafka_client.c: one librdkafka handle on the shim's loop. */

#define KAFKA_LOG_FACILITIES 24

struct kafka_client {
	rd_kafka_t *rk;
	rd_kafka_queue_t *mainq;
	struct loop *loop;
	int pipe_r, pipe_w;
	struct log_limiter *limiter;
	const struct kafka_common_config *cfg;

	void *owner; /* the plugin's state, for its callbacks */
	/* After every wake-up of the loop, once librdkafka's callbacks ran. */
	void (*on_served)(void *owner);
	/* Each statistics document (statistics.interval.ms). */
	void (*on_stats)(void *owner, const struct kafka_stats *s);
	/* The same document as librdkafka wrote it, before on_stats (for
	 * per-partition figures); valid during the call. May be NULL. */
	void (*on_stats_json)(void *owner, const char *json, size_t len);
	/* A fatal librdkafka error: the handle is unusable. */
	void (*on_fatal)(void *owner, const char *why);

	/* librdkafka's log facilities, kept so that rate-limited log
	 * reasons point at memory that lives as long as the limiter. */
	char facilities[KAFKA_LOG_FACILITIES][16];
	unsigned nfacilities;
	bool fatal;
	/* rd_kafka_destroy_flags() flags for kafka_client_close(), e.g.
	 * RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE when a consumer could not
	 * leave its group in time. 0: rd_kafka_destroy(). */
	int destroy_flags;
};

/*
 * Prepare conf for kc: opaque, log, error, statistics and (for
 * OAUTHBEARER with a static token) token callbacks; log.queue so that logs
 * are served on the loop's thread. Call after the options were applied
 * and before rd_kafka_new(). 0, or -1 with err set.
 */
int kafka_client_conf(struct kafka_client *kc, rd_kafka_conf_t *conf,
		      const struct kafka_common_config *cfg,
		      struct log_limiter *limiter, char *err, size_t errlen);

/*
 * Create the handle from conf (consumed, even on failure) and wake loop l
 * whenever librdkafka's main queue gets something to serve. 0, or -1 with
 * err set.
 */
int kafka_client_start(struct kafka_client *kc, rd_kafka_type_t type,
		       rd_kafka_conf_t *conf, struct loop *l, char *err,
		       size_t errlen);

/* Serve what librdkafka queued (delivery reports, logs, errors,
 * statistics), waiting at most timeout_ms (0: don't wait). */
void kafka_client_serve(struct kafka_client *kc, int timeout_ms);

/* Stop watching the loop and destroy the handle (after the plugin
 * flushed what it wanted delivered). */
void kafka_client_close(struct kafka_client *kc);

/* One line for a log: "3 brokers (3 up), rtt avg 1.2 ms p99 3.4 ms". */
void kafka_stats_brokers_text(const struct kafka_stats *s, char *out, size_t n);

#endif
