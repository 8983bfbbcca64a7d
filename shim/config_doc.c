/*
 * config_doc.c: the two documents made from an option declaration:
 * --sample-config (the table as Telegraf's sample.conf files show it) and
 * the OPTIONS section of the man page. Both come from the same table as
 * the parser, so they cannot drift from it; the sample is tested to parse
 * back to the defaults.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

#define DOC_WIDTH 78

static const char *doc_type_name(const struct cfg_option *o)
{
	switch (o->type) {
	case CFG_STRING:
		return "string";
	case CFG_BOOL:
		return "boolean";
	case CFG_INT:
		return "integer";
	case CFG_FLOAT:
		return "number";
	case CFG_DURATION:
		return "duration";
	case CFG_SIZE:
		return "size";
	case CFG_STRING_LIST:
		return "list of strings";
	case CFG_STRING_MAP:
		return "table of strings";
	case CFG_TABLE:
		return "table";
	case CFG_IGNORED:
		return "ignored";
	}
	return "value";
}

/* The value shown for an option without a default. */
static const char *doc_placeholder(const struct cfg_option *o)
{
	switch (o->type) {
	case CFG_BOOL:
		return "false";
	case CFG_INT:
	case CFG_SIZE:
		return "0";
	case CFG_FLOAT:
		return "0.0";
	case CFG_DURATION:
		return "\"0s\"";
	case CFG_STRING_LIST:
		return "[]";
	default:
		return "\"\"";
	}
}

static bool doc_is_table(const struct cfg_option *o)
{
	return o->type == CFG_TABLE || o->type == CFG_STRING_MAP;
}

static bool doc_hidden(const struct cfg_option *o)
{
	return o->type == CFG_IGNORED || (o->flags & CFG_DEPRECATED);
}

/* text as lines of at most `room` bytes after prefix, broken at spaces.
 * For roff (man): a line that would start with a dot or quote gets "\&"
 * (within its room), and a word longer than a line stays whole (a roff
 * escape holds no space, so none is cut); otherwise it is cut. */
static void doc_wrap_lines(struct buf *out, const char *prefix, size_t room,
			   bool man, const char *text)
{
	const char *p = text;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		bool guard = man && (*p == '.' || *p == '\'');
		size_t fit = room - (guard ? 2 : 0);
		size_t n = strlen(p);
		if (n > fit) {
			size_t cut = fit;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = man ? strcspn(p, " ") : fit;
			n = cut;
		}
		buf_printf(out, "%s%s%.*s\n", prefix, guard ? "\\&" : "",
			   (int)n, p);
		p += n;
	}
}

/* Help text wrapped at DOC_WIDTH, each line starting with prefix. */
static void doc_wrap(struct buf *out, const char *prefix, const char *text)
{
	size_t plen = strlen(prefix);
	doc_wrap_lines(out, prefix,
		       DOC_WIDTH > plen + 20 ? DOC_WIDTH - plen : 20, false,
		       text);
}

/* Entries of a map's default ({ a = "b" }) as "a = \"b\"" lines. */
static void doc_map_entries(struct buf *out, const char *prefix,
			    const char *def)
{
	struct buf b = BUF_INIT;
	if (buf_printf(&b, "v = %s\n", def) < 0)
		return;
	struct cfg_src src = {
	    .filename = "default", .orig = b.data, .orig_len = b.len};
	struct cfg_doc doc = {0};
	char err[256];
	if (cfg_env_expand(&src, false, err, sizeof(err)) == 0 &&
	    cfg_toml_parse(&doc, &src, NULL, err, sizeof(err)) == 0) {
		const struct cfg_kv *kv = cfg_toml_get(doc.root, "v");
		if (kv && kv->val->kind == CFG_TV_TABLE) {
			const struct cfg_table *t = kv->val->u.t;
			for (size_t i = 0; i < t->n; i++) {
				const struct cfg_value *v = t->kv[i].val;
				buf_printf(out, "%s%s = %.*s\n", prefix,
					   t->kv[i].key, (int)(v->end - v->pos),
					   src.text + v->pos);
			}
		}
	}
	cfg_toml_free(&doc);
	cfg_src_free(&src);
	buf_free(&b);
}

static void doc_secret_placeholder(char *buf, size_t n, const char *name)
{
	size_t k = 0;
	k += (size_t)snprintf(buf, n, "\"${");
	for (const char *p = name; *p && k + 4 < n; p++)
		buf[k++] = (char)toupper((unsigned char)*p);
	snprintf(buf + k, n - k, "}\"");
}

/* One scalar option line: "  # name = value" (commented unless required). */
static void doc_sample_scalar(struct buf *out, const char *indent,
			      const char *comment, const struct cfg_option *o)
{
	char secret[128];
	const char *value =
	    o->default_value ? o->default_value : doc_placeholder(o);
	if (o->flags & CFG_SECRET) {
		doc_secret_placeholder(secret, sizeof(secret), o->name);
		value = secret;
	}
	const char *c =
	    (o->flags & (CFG_REQUIRED | CFG_EXAMPLE)) ? "" : comment;
	buf_printf(out, "%s%s%s = %s\n", indent, c, o->name, value);
}

static void doc_sample_table(struct buf *out, const char *table,
			     const struct cfg_option *o)
{
	bool req = o->flags & CFG_REQUIRED;
	const char *c = req ? "" : "# ";
	buf_printf(out, "  %s[%s.%s]\n", c, table, o->name);
	char prefix[16];
	snprintf(prefix, sizeof(prefix), "  %s   ", req ? " " : "#");
	if (o->type == CFG_STRING_MAP) {
		if (o->default_value)
			doc_map_entries(out, prefix, o->default_value);
		return;
	}
	for (const struct cfg_option *s = o->sub; s && s->name; s++) {
		if (doc_hidden(s) || doc_is_table(s))
			continue;
		if (s->help && *s->help) {
			char hp[24];
			snprintf(hp, sizeof(hp), "%s## ", prefix);
			doc_wrap(out, hp, s->help);
		}
		doc_sample_scalar(out, prefix, "", s);
	}
}

void cfg_write_sample(const struct cfg_spec *spec, struct buf *out)
{
	char table[256];
	snprintf(table, sizeof(table), "%s.%s", spec->section, spec->name);
	buf_printf(out, "[[%s]]\n", table);
	bool first = true;
	/* Scalars first: after a [sub.table] header every key would belong
	 * to it once the lines are uncommented. */
	for (int pass = 0; pass < 2; pass++) {
		for (const struct cfg_option *o = spec->options; o && o->name;
		     o++) {
			if (doc_hidden(o) || doc_is_table(o) != (pass == 1))
				continue;
			if (!first)
				buf_putc(out, '\n');
			first = false;
			if (o->help && *o->help)
				doc_wrap(out, "  ## ", o->help);
			if (pass == 0)
				doc_sample_scalar(out, "  ", "# ", o);
			else
				doc_sample_table(out, table, o);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Man page */

/* Input lines of the page stay within this many bytes (mandoc -Tlint and
 * lintian warn past 80). */
#define DOC_MAN_WIDTH 78

/* Text safe for roff: backslashes, hyphens, and dots or quotes at the
 * start of a line. */
static void doc_roff(struct buf *out, const char *s)
{
	bool bol = true;
	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			buf_printf(out, "\\&");
		if (*s == '\\')
			buf_printf(out, "\\e");
		else if (*s == '-')
			buf_printf(out, "\\-");
		else
			buf_putc(out, *s);
		bol = *s == '\n';
	}
}

/* Roff text (markup already in place) as input lines of at most
 * DOC_MAN_WIDTH bytes. */
static void doc_man_wrap(struct buf *out, const char *text)
{
	doc_wrap_lines(out, "", DOC_MAN_WIDTH, true, text);
}

/* Plain text as wrapped roff. */
static void doc_man_text(struct buf *out, const char *text)
{
	struct buf e = BUF_INIT;
	for (const char *s = text; *s; s++) {
		if (*s == '\\')
			buf_printf(&e, "\\e");
		else if (*s == '-')
			buf_printf(&e, "\\-");
		else
			buf_putc(&e, *s);
	}
	buf_putc(&e, '\0');
	if (e.data)
		doc_man_wrap(out, e.data);
	buf_free(&e);
}

/* The option's tag line, name (type, details); details that would make it
 * too long go first in the paragraph instead. */
static void doc_man_tag(struct buf *out, const char *prefix,
			const struct cfg_option *o)
{
	struct buf tag = BUF_INIT, details = BUF_INIT;
	buf_printf(&tag, "\\fB");
	doc_roff(&tag, prefix);
	doc_roff(&tag, o->name);
	buf_printf(&tag, "\\fR (\\fI%s\\fR", doc_type_name(o));
	if (o->flags & CFG_REQUIRED)
		buf_printf(&details, ", required");
	if (o->default_value && !(o->flags & CFG_SECRET) &&
	    o->type != CFG_TABLE) {
		buf_printf(&details, (o->flags & CFG_EXAMPLE)
					 ? ", no default, the sample sets "
					 : ", default ");
		doc_roff(&details, o->default_value);
	}
	if (o->flags & CFG_SECRET)
		buf_printf(&details, ", secret: never logged");
	if (o->flags & CFG_DEPRECATED)
		buf_printf(&details, ", deprecated");
	if (o->type == CFG_IGNORED)
		buf_printf(&details, ", accepted and ignored");
	buf_putc(&details, '\0');
	const char *d = details.data ? details.data : "";
	bool fits = tag.len + strlen(d) + 1 <= DOC_MAN_WIDTH;
	buf_printf(out, ".TP\n%.*s%s)\n", (int)tag.len, tag.data,
		   fits ? d : "");
	if (!fits) {
		struct buf first = BUF_INIT;
		buf_printf(&first, "%c%s.", toupper((unsigned char)d[2]),
			   d + 3);
		buf_putc(&first, '\0');
		doc_man_wrap(out, first.data);
		buf_free(&first);
	}
	buf_free(&tag);
	buf_free(&details);
}

/* "One of: ..." for an option with choices. */
static void doc_man_choices(struct buf *out, const struct cfg_option *o)
{
	struct buf c = BUF_INIT;
	buf_printf(&c, "One of: ");
	for (const char *const *ch = o->choices; *ch; ch++) {
		buf_printf(&c, "%s\"", ch == o->choices ? "" : ", ");
		doc_roff(&c, *ch);
		buf_putc(&c, '"');
	}
	buf_printf(&c, ".");
	buf_putc(&c, '\0');
	buf_printf(out, ".br\n");
	doc_man_wrap(out, c.data);
	buf_free(&c);
}

/* "From MIN to MAX." for a number, a duration or a size with a range. */
static void doc_man_range(struct buf *out, const struct cfg_option *o)
{
	char lo[48], hi[48];
	if (o->type == CFG_DURATION) {
		cfg_format_duration(o->min, lo, sizeof(lo));
		cfg_format_duration(o->max, hi, sizeof(hi));
	} else {
		snprintf(lo, sizeof(lo), "%lld", (long long)o->min);
		snprintf(hi, sizeof(hi), "%lld", (long long)o->max);
	}
	buf_printf(out, ".br\nFrom ");
	doc_roff(out, lo);
	buf_printf(out, " to ");
	doc_roff(out, hi);
	buf_printf(out, ".\n");
}

static void doc_man_option(struct buf *out, const char *prefix,
			   const struct cfg_option *o)
{
	doc_man_tag(out, prefix, o);
	if (o->help && *o->help)
		doc_man_text(out, o->help);
	if (o->choices)
		doc_man_choices(out, o);
	if (o->min < o->max && (o->type == CFG_INT || o->type == CFG_DURATION ||
				o->type == CFG_SIZE))
		doc_man_range(out, o);
	if (o->type == CFG_TABLE) {
		char sub[256];
		snprintf(sub, sizeof(sub), "%s%s.", prefix, o->name);
		for (const struct cfg_option *s = o->sub; s && s->name; s++)
			doc_man_option(out, sub, s);
	}
}

void cfg_write_man(const struct cfg_spec *spec, struct buf *out)
{
	struct buf t = BUF_INIT;
	buf_printf(&t,
		   "The options of the \\fB[[%s.%s]]\\fR "
		   "table of the configuration file, as in Telegraf 1.25. "
		   "Options that Telegraf 1.25 does not have say \"(after "
		   "Telegraf 1.25)\" when later versions added them and "
		   "\"(telex)\" when they are telex's own. "
		   "Durations are written like \"10s\", \"1m30s\" or "
		   "\"500ms\" (a number is seconds); sizes like \"64KiB\" or "
		   "\"1MB\" (a number is bytes). $VAR and ${VAR} are replaced "
		   "from the environment.",
		   spec->section, spec->name);
	buf_putc(&t, '\0');
	buf_printf(out, ".SH OPTIONS\n");
	doc_man_wrap(out, t.data);
	buf_free(&t);
	for (const struct cfg_option *o = spec->options; o && o->name; o++)
		doc_man_option(out, "", o);
	bool input = strcmp(spec->section, "inputs") == 0;
	buf_printf(out,
		   ".SS Telegraf's common options\n"
		   "These work as in Telegraf, with its glob syntax.\n"
		   ".TP\n\\fBnamepass\\fR, \\fBnamedrop\\fR, "
		   "\\fBtagpass\\fR, \\fBtagdrop\\fR\n"
		   "Select metrics by name or tag value "
		   "(\\fB[%s.%s.tagpass]\\fR).\n"
		   ".TP\n\\fBfieldpass\\fR, \\fBfielddrop\\fR, "
		   "\\fBtaginclude\\fR, \\fBtagexclude\\fR\n"
		   "Keep or remove fields and tags. Telegraf 1.29 renamed "
		   "fieldpass and\nfielddrop to \\fBfieldinclude\\fR and "
		   "\\fBfieldexclude\\fR; both spellings work.\n"
		   ".TP\n\\fBname_override\\fR, \\fBname_prefix\\fR, "
		   "\\fBname_suffix\\fR\n"
		   "Rename metrics.\n",
		   spec->section, spec->name);
	if (input)
		buf_printf(out,
			   ".TP\n\\fB[inputs.%s.tags]\\fR\n"
			   "Add tags to every metric (existing tags win).\n",
			   spec->name);
	buf_printf(out, ".TP\n\\fBlog_level\\fR\n"
			"error, warn, info, debug or trace (Telegraf 1.32+; "
			"telex reads it from any\nversion's table).\n"
			".TP\n\\fBinterval\\fR, \\fBalias\\fR, "
			"\\fBflush_interval\\fR, ...\n"
			"Telegraf agent settings: accepted and ignored (set "
			"them on the execd plugin\nin telegraf.conf).\n");
}
