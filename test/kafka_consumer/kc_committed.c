/*
 * kc-committed: print a consumer group's committed offsets, for tests
 * (kcat cannot show them).
 *
 *   kc-committed BOOTSTRAP GROUP TOPIC...
 *
 * One line per partition: "TOPIC PARTITION OFFSET", OFFSET -1 when the
 * group has committed nothing there. It asks the group coordinator
 * (OffsetFetch) without joining the group. Exit 0, or 1 with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#define KC_TIMEOUT_MS 10000

static int kc_add_partitions(rd_kafka_t *rk, const char *topic,
			     rd_kafka_topic_partition_list_t *l)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t err =
	    rd_kafka_metadata(rk, 0, rkt, &md, KC_TIMEOUT_MS);
	rd_kafka_topic_destroy(rkt);
	if (err) {
		fprintf(stderr, "kc-committed: metadata of %s: %s\n", topic,
			rd_kafka_err2str(err));
		return -1;
	}
	int rc = -1;
	if (md->topic_cnt == 1 && !md->topics[0].err) {
		for (int i = 0; i < md->topics[0].partition_cnt; i++)
			rd_kafka_topic_partition_list_add(
			    l, topic, md->topics[0].partitions[i].id);
		rc = 0;
	} else {
		fprintf(stderr, "kc-committed: no topic %s\n", topic);
	}
	rd_kafka_metadata_destroy(md);
	return rc;
}

int main(int argc, char **argv)
{
	char err[512];
	if (argc < 4) {
		fprintf(stderr,
			"usage: kc-committed BOOTSTRAP GROUP TOPIC...\n");
		return 2;
	}
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err,
			      sizeof(err)) ||
	    rd_kafka_conf_set(conf, "group.id", argv[2], err, sizeof(err)) ||
	    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err))) {
		fprintf(stderr, "kc-committed: %s\n", err);
		return 1;
	}
	rd_kafka_t *rk =
	    rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "kc-committed: %s\n", err);
		return 1;
	}
	rd_kafka_topic_partition_list_t *l =
	    rd_kafka_topic_partition_list_new(8);
	int rc = 0;
	for (int i = 3; i < argc && rc == 0; i++)
		rc = kc_add_partitions(rk, argv[i], l);
	if (rc == 0) {
		rd_kafka_resp_err_t e =
		    rd_kafka_committed(rk, l, KC_TIMEOUT_MS);
		if (e) {
			fprintf(stderr, "kc-committed: %s\n",
				rd_kafka_err2str(e));
			rc = -1;
		}
	}
	for (int i = 0; rc == 0 && i < l->cnt; i++) {
		const rd_kafka_topic_partition_t *p = &l->elems[i];
		printf("%s %d %lld\n", p->topic, (int)p->partition,
		       (long long)(p->offset < 0 ? -1 : p->offset));
	}
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(rk);
	return rc ? 1 : 0;
}
