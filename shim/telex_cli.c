/*
 * telex_cli.c: parsing the shared command line (see telex_cli.h).
 */
#include "telex_cli.h"

#include <stdio.h>
#include <string.h>

#include "telex/shim.h"

enum telex_cli_kind { CLI_BOOL, CLI_VALUE };

struct telex_cli_option {
	const char *name;
	enum telex_cli_kind kind;
	size_t offset; /* of the bool or the const char * in telex_cli */
};

#define CLI_BOOL_OPT(n, field)                                                 \
	{                                                                      \
		n, CLI_BOOL, offsetof(struct telex_cli, field)                 \
	}
#define CLI_VALUE_OPT(n, field)                                                \
	{                                                                      \
		n, CLI_VALUE, offsetof(struct telex_cli, field)                \
	}

static const struct telex_cli_option telex_cli_options[] = {
    CLI_VALUE_OPT("config", config_path),
    CLI_VALUE_OPT("poll_interval", poll_interval),
    CLI_VALUE_OPT("flush_timeout", flush_timeout),
    CLI_BOOL_OPT("poll_interval_disabled", poll_interval_disabled),
    CLI_BOOL_OPT("once", once),
    CLI_BOOL_OPT("sample-config", sample_config),
    CLI_BOOL_OPT("version", version),
    CLI_BOOL_OPT("help", help),
    CLI_BOOL_OPT("h", help),
    CLI_BOOL_OPT("debug", debug),
    CLI_BOOL_OPT("man-options", man_options),
};

static const struct telex_cli_option *telex_cli_find(const char *name,
						     size_t len)
{
	for (size_t i = 0;
	     i < sizeof(telex_cli_options) / sizeof(telex_cli_options[0]);
	     i++) {
		const char *n = telex_cli_options[i].name;
		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return &telex_cli_options[i];
	}
	return NULL;
}

/* Go's strconv.ParseBool spellings. */
static int telex_cli_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1",	  "t",	  "T",
					  "true", "TRUE", "True"};
	static const char *const no[] = {"0",	  "f",	   "F",
					 "false", "FALSE", "False"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int telex_cli_parse(struct telex_cli *c, int argc, char *const *argv, char *err,
		    size_t errlen)
{
	memset(c, 0, sizeof(*c));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (arg[0] != '-' || arg[1] == '\0') {
			snprintf(err, errlen,
				 "unexpected argument \"%s\" (options start "
				 "with '-')",
				 arg);
			return -1;
		}
		const char *name = arg + 1;
		if (*name == '-')
			name++;
		if (*name == '\0') { /* "--": nothing may follow */
			if (i + 1 < argc) {
				snprintf(err, errlen,
					 "unexpected argument \"%s\"",
					 argv[i + 1]);
				return -1;
			}
			break;
		}
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct telex_cli_option *o = telex_cli_find(name, len);
		if (!o) {
			snprintf(err, errlen, "unknown option \"%.*s\"",
				 (int)(name - arg + len), arg);
			return -1;
		}
		char *field = (char *)c + o->offset;
		if (o->kind == CLI_BOOL) {
			bool v = true;
			if (eq && telex_cli_bool(eq + 1, &v) < 0) {
				snprintf(err, errlen,
					 "option \"%.*s\" takes true or false, "
					 "not \"%s\"",
					 (int)(eq - arg), arg, eq + 1);
				return -1;
			}
			*(bool *)field = v;
			continue;
		}
		const char *value;
		if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			snprintf(err, errlen, "option \"%s\" needs a value",
				 arg);
			return -1;
		}
		if (*value == '\0') {
			snprintf(err, errlen,
				 "option \"%.*s\" needs a non-empty value",
				 (int)(name - arg + len), arg);
			return -1;
		}
		*(const char **)field = value;
	}
	return 0;
}

/* --help stays within 80 columns, like the man pages. */
#define CLI_WIDTH 79
#define CLI_DESC_COL 27

/* text word-wrapped at CLI_WIDTH: the first line starts at column `first`
 * (already written), the others are indented to `indent`. */
static void cli_wrap(struct buf *out, size_t first, size_t indent,
		     const char *text)
{
	size_t col = first;
	const char *p = text;
	bool start = true;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		if (!start && col + 1 + n > CLI_WIDTH) {
			buf_printf(out, "\n%*s", (int)indent, "");
			col = indent;
			start = true;
		}
		buf_printf(out, "%s%.*s", start ? "" : " ", (int)n, p);
		col += n + (start ? 0 : 1);
		start = false;
		p += n;
	}
	buf_putc(out, '\n');
}

static void cli_option(struct buf *out, const char *flag, const char *desc)
{
	size_t len = strlen(flag) + 2;
	buf_printf(out, "  %s", flag);
	if (len + 1 > CLI_DESC_COL) {
		buf_printf(out, "\n%*s", CLI_DESC_COL, "");
		len = CLI_DESC_COL;
	}
	buf_printf(out, "%*s", (int)(CLI_DESC_COL - len), "");
	cli_wrap(out, CLI_DESC_COL, CLI_DESC_COL, desc);
}

void telex_cli_usage(const struct telex_plugin *p, struct buf *out)
{
	bool input = p->kind != TELEX_OUTPUT;
	char text[512];
	buf_printf(out, "Usage: %s [-config FILE] [options]\n", p->program);
	if (p->summary)
		cli_wrap(out, 0, 0, p->summary);
	buf_printf(out,
		   "\nRuns under Telegraf's %s.execd plugin, or as a plain "
		   "pipe.\n\nOptions (one or two dashes; -name=value works "
		   "too):\n",
		   input ? "inputs" : "outputs");
	snprintf(text, sizeof(text),
		 "read [[%s.%s]] from FILE (default: built-in defaults)",
		 p->config.section ? p->config.section : "?",
		 p->config.name ? p->config.name : "?");
	cli_option(out, "-config FILE", text);
	if (p->kind == TELEX_INPUT) {
		cli_option(out, "-poll_interval DUR",
			   "also gather every DUR (default: gather only when "
			   "asked: a line on stdin, SIGHUP, SIGUSR1 or "
			   "SIGUSR2)");
		cli_option(out, "-poll_interval_disabled",
			   "no ticker (the default; accepted for Go shim "
			   "command lines)");
		cli_option(out, "--once", "gather once, write, exit");
	}
	for (size_t i = 0; p->usage_extra && p->usage_extra[i].flag; i++)
		cli_option(out, p->usage_extra[i].flag, p->usage_extra[i].text);
	snprintf(text, sizeof(text),
		 "at end of input, time left to %s (default 4s)",
		 input ? "write what is queued" : "deliver what was read");
	cli_option(out, "-flush_timeout DUR", text);
	cli_option(out, "--sample-config",
		   "print the config table with every option at its default");
	cli_option(out, "--debug", "log at debug level (overrides log_level)");
	cli_option(out, "--version", "print the version");
	cli_option(out, "--help", "this text");
	buf_printf(out, "\nEOF on stdin, SIGTERM or SIGINT: finish, write "
			"everything, exit.\n"
			"Exit status: 0 done, 1 runtime failure, 2 usage or "
			"config error.\n");
}
