// SPDX-License-Identifier: GPL-2.0
/*
 * The session page (html.h).  Charts are inline SVG from svg.c; every table is rendered
 * generically from its JSON array and its "_notes", so a column or a note added to the report
 * shows up here without a change.  A table's numbers are rounded as the text report rounds that
 * column (the table's "_decimals": the column precision of out/table.h, through
 * table_format_f64), with the JSON's value in the cell's title, so the page reads like the text
 * and loses nothing of the file.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "out/table.h"
#include "report/doc.h"
#include "report/html.h"
#include "report/schema.h"
#include "report/svg.h"
#include "sys/util.h"

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2430;"
	"background:#f6f7f9}"
	"main{max-width:1280px;margin:0 auto;padding:18px 28px 60px}"
	"h1{font-size:22px;margin:8px 0 2px}h2{font-size:18px;margin:30px 0 8px;padding-top:10px;"
	"border-top:1px solid #d8dce3}h3{font-size:15px;margin:18px 0 6px}"
	"h4{font-size:13px;margin:12px 0 4px;color:#3b4656}"
	".sub{color:#5b6576;margin:0 0 10px}.card{background:#fff;border:1px solid #dde1e7;"
	"border-radius:6px;padding:12px 14px;margin:10px 0;overflow-x:auto}"
	"table{border-collapse:collapse;font-size:12.5px;margin:4px 0}"
	"th,td{padding:3px 8px;border-bottom:1px solid #e6e9ee;text-align:right;white-space:nowrap}"
	"th{background:#eef1f5;font-weight:600;position:sticky;top:0}"
	"td.s,th.s{text-align:left}td.na{color:#98a1ae}"
	"ul.notes{margin:4px 0 8px;padding-left:18px;color:#5b4a12;font-size:12.5px}"
	"ul.notes li{margin:1px 0}.empty{color:#7a8494;font-style:italic}"
	".chart{display:block;margin:6px 0}.chart .grid{stroke:#e9ecf0}.chart .axis{stroke:#58616e}"
	".chart .tick{font-size:11px;fill:#4a5361}.chart .alabel{font-size:12px;fill:#2b3340}"
	".chart .legend{font-size:12px;fill:#2b3340}.chart .inbar{font-size:10.5px;fill:#fff}"
	".chart .total{font-size:11.5px;font-weight:600;fill:#1d2430}"
	".chart .val{font-size:10px;fill:#2b3340}"
	".chart .blabel{font-size:11px;fill:#2b3340}.chart .bnote{font-size:10.5px;fill:#6b7483}"
	".chart .group{font-size:12.5px;font-weight:600;fill:#1d2430}.chart .mark{font-size:10.5px}"
	"#vp-errors{background:#fde8e8;border:1px solid #e0a0a0;padding:8px 12px}"
	".kv td:first-child{text-align:left;color:#4a5361}"
	"details{margin:8px 0}summary{cursor:pointer;font-weight:600}"
	".flex{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}"
	"#fg{position:relative;width:100%;font:11px monospace;overflow:hidden;margin-top:8px}"
	".fr{position:absolute;height:16px;overflow:hidden;white-space:nowrap;cursor:pointer;"
	"padding-left:2px;box-sizing:border-box;border-radius:2px}.fr.hit{background:#e040fb!important}"
	".fgbar{display:flex;gap:10px;align-items:center;flex-wrap:wrap}"
	"nav a{color:#2f6db5;text-decoration:none}code{background:#eef1f5;padding:0 3px;border-radius:3px}";

/*
 * Recorded first, before anything can fail: script errors and any request the policy blocked
 * land in the page (and in data-vp-errors, which the tests read from the DOM).
 */
static const char js_errors[] =
	"(function(){var n=0;function rec(m){n++;document.documentElement.setAttribute("
	"'data-vp-errors',n);var e=document.getElementById('vp-errors');if(!e)return;e.hidden=false;"
	"var li=document.createElement('li');li.textContent=m;e.querySelector('ul').appendChild(li);}"
	"window.vpRec=rec;window.addEventListener('error',function(e){rec('script error: '+e.message)"
	"});window.addEventListener('unhandledrejection',function(e){rec('script error: '+e.reason)});"
	"document.addEventListener('securitypolicyviolation',function(e){rec('blocked request: '+"
	"e.blockedURI+' ('+e.violatedDirective+')')});})();";

/* The flame graph: an icicle of the folded stacks of one step and owner, click to zoom, search. */
static const char js_flame[] =
	"(function(){var el=document.getElementById('vp-stacks');if(!el)return;"
	"var data=JSON.parse(el.textContent),sel=document.getElementById('fg-select'),"
	"q=document.getElementById('fg-search'),box=document.getElementById('fg'),"
	"info=document.getElementById('fg-info'),groups=[];"
	"data.forEach(function(st){var by={};(st.folded||[]).forEach(function(r){"
	"var k=r.entity+' / '+r.role;if(!by[k]){by[k]={name:'step '+st.step+' ('+st.target+'): '+k,"
	"root:{n:'all',v:0,c:{},p:null}};groups.push(by[k]);}var node=by[k].root;node.v+=r.count;"
	"(r.context!=null?[r.context]:[]).concat(String(r.stack).split(';')).forEach(function(f){if(!node.c[f])"
	"node.c[f]={n:f,v:0,c:{},p:node};node=node.c[f];node.v+=r.count;});});});"
	"groups.forEach(function(g,i){var o=document.createElement('option');o.value=i;"
	"o.textContent=g.name+' \\u2014 '+g.root.v+' samples';sel.appendChild(o);});"
	"var cur=0,zoom=null;function col(s){var h=0;for(var i=0;i<s.length;i++)h=(h*31+"
	"s.charCodeAt(i))>>>0;if(/^(softirq|hardirq|idle|task)/.test(s))return 'hsl(210,45%,'+"
	"(70+h%15)+'%)';return 'hsl('+(10+h%45)+','+(70+h%25)+'%,'+(58+h%14)+'%)';}"
	"function matched(n,s){if(n.n.indexOf(s)>=0)return n.v;var t=0;for(var k in n.c)"
	"t+=matched(n.c[k],s);return t;}"
	"function draw(){box.textContent='';var g=groups[cur];if(!g)return;var z=zoom||g.root,"
	"W=box.clientWidth||1100,s=q.value,md=0;function walk(n,x,d,w){if(w<1)return;"
	"md=Math.max(md,d);var e=document.createElement('div');e.className='fr'+(s&&n.n.indexOf(s)"
	">=0?' hit':'');e.style.left=x+'px';e.style.width=Math.max(w-1,1)+'px';e.style.top=(d*17)+"
	"'px';e.style.background=col(n.n);e.textContent=w>30?n.n:'';e.title=n.n+'\\n'+n.v+"
	"' samples, '+(100*n.v/g.root.v).toFixed(2)+'% of this owner';e.onclick=function(){"
	"zoom=n;draw();};box.appendChild(e);var cx=x;Object.keys(n.c).sort().forEach(function(k)"
	"{var c=n.c[k],cw=w*c.v/n.v;walk(c,cx,d+1,cw);cx+=cw;});}walk(z,0,0,W);"
	"box.style.height=((md+1)*17+4)+'px';var path=[],p=z;while(p){path.unshift(p.n);p=p.p;}"
	"info.textContent='zoom: '+path.join(' ; ')+(s?'  \\u2014  \"'+s+'\" matches '+"
	"(100*matched(z,s)/g.root.v).toFixed(2)+'% of samples':'');}"
	"sel.onchange=function(){cur=+sel.value;zoom=null;draw();};q.oninput=draw;"
	"document.getElementById('fg-reset').onclick=function(){zoom=null;draw();};draw();})();";

void html_begin(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\" data-vp-errors=\"0\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      f);
	html_escape(f, title);
	fprintf(f, "</title>\n<style>%s</style>\n<script>%s</script>\n</head>\n<body>\n<main>\n",
		css, js_errors);
	fputs("<div id=\"vp-errors\" hidden><b>This page has errors:</b><ul></ul></div>\n", f);
}

void html_end(FILE *f)
{
	fprintf(f,
		"</main>\n<script>%s\ndocument.documentElement.setAttribute('data-vp-ready','1');"
		"</script>\n</body>\n</html>\n",
		js_flame);
}

/*
 * A number of a table column with prec decimals (its "_decimals", out/table.h): rounded as the
 * text report rounds it, the exact value (as the JSON has it) on hover.  prec < 0: a number no
 * table column describes, as the JSON has it.
 */
static void number_cell(FILE *f, double v, int prec)
{
	char buf[64];

	if (prec < 0) {
		fprintf(f, "<td>%.10g", v);
		return;
	}
	table_format_f64(buf, sizeof(buf), v, prec);
	fprintf(f, "<td title=\"%.10g\">%s", v, buf);
}

/* The decimals of column key in a table's "_decimals", or -1. */
static int col_decimals(const json_t *decimals, const char *key)
{
	const json_t *d = json_object_get(decimals, key);

	return json_is_integer(d) && json_integer_value(d) >= 0 && json_integer_value(d) <= 17 ?
		       (int)json_integer_value(d) :
		       -1;
}

/* A JSON value in a cell: numbers by number_cell, null as "—" (see legend). */
static void cell(FILE *f, const json_t *v, int prec)
{
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		fputs("<td class=\"s\">", f);
		html_escape(f, json_string_value(v));
		break;
	case JSON_INTEGER:
		/* a double with no fraction is written as an integer: 25 in a column of 2 decimals
		 * reads 25.00, as in the text */
		if (prec >= 0)
			number_cell(f, (double)json_integer_value(v), prec);
		else
			fprintf(f, "<td>%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		number_cell(f, json_real_value(v), prec);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		fprintf(f, "<td class=\"s\">%s", json_is_true(v) ? "true" : "false");
		break;
	case JSON_NULL:
		fputs("<td class=\"na\" title=\"null in the JSON: not available (the notes say why) "
		      "or does not apply to this row\">\u2014",
		      f);
		break;
	default:
		s = json_dumps(v, JSON_COMPACT);
		fputs("<td class=\"s\">", f);
		html_escape(f, s ? s : "");
		free(s);
	}
	fputs("</td>", f);
}

static void notes(FILE *f, const json_t *arr)
{
	const json_t *n;
	size_t i;

	if (!json_array_size(arr))
		return;
	fputs("<ul class=\"notes\">", f);
	json_array_foreach(arr, i, n)
	{
		fputs("<li>", f);
		html_escape(f, json_is_string(n) ? json_string_value(n) : "(not a string)");
		fputs("</li>", f);
	}
	fputs("</ul>\n", f);
}

void html_table(FILE *f, const char *title, const json_t *rows, const json_t *nts,
		const json_t *decimals)
{
	const char *cols[64];
	int ncols = 0;
	const json_t *r, *v;
	const char *k;
	size_t i;

	if (title) {
		fputs("<h4>", f);
		html_escape(f, title);
		fputs("</h4>\n", f);
	}
	/* columns: every key of every row, in order of first appearance */
	json_array_foreach(rows, i, r)
	{
		json_object_foreach((json_t *)r, k, v)
		{
			int c = 0;

			while (c < ncols && strcmp(cols[c], k))
				c++;
			if (c == ncols && ncols < (int)ARRAY_SIZE(cols))
				cols[ncols++] = k;
		}
	}
	if (!json_array_size(rows)) {
		fputs("<div class=\"empty\">no rows</div>\n", f);
	} else {
		fputs("<table><thead><tr>", f);
		for (int c = 0; c < ncols; c++) {
			fputs("<th class=\"s\">", f);
			html_escape(f, cols[c]);
			fputs("</th>", f);
		}
		fputs("</tr></thead><tbody>\n", f);
		json_array_foreach(rows, i, r)
		{
			fputs("<tr>", f);
			for (int c = 0; c < ncols; c++) {
				v = json_object_get(r, cols[c]);
				if (v)
					cell(f, v, col_decimals(decimals, cols[c]));
				else
					fputs("<td></td>", f);
			}
			fputs("</tr>\n", f);
		}
		fputs("</tbody></table>\n", f);
	}
	notes(f, nts);
}

void html_table_of(FILE *f, const char *title, const json_t *obj, const char *table)
{
	html_table(f, title, doc_arr(obj, table), doc_notes(obj, table), doc_decimals(obj, table));
}

static bool is_table(const json_t *v)
{
	return json_is_array(v) && (!json_array_size(v) || json_is_object(json_array_get(v, 0)));
}

static bool all_objects(const json_t *obj)
{
	const char *k;
	json_t *v;

	if (!json_object_size(obj))
		return false;
	json_object_foreach((json_t *)obj, k, v) if (!json_is_object(v)) return false;
	return true;
}

/* Whether member k of obj is "<table>_decimals" of a table beside it (an array of objects, or an
 * object of objects such as the load's latency). */
static bool decimals_of_table(const json_t *obj, const char *k)
{
	static const char sfx[] = SK_DECIMALS_SUFFIX;
	size_t kl = strlen(k), sl = sizeof(sfx) - 1;
	char base[256];

	if (kl <= sl || kl - sl >= sizeof(base) || strcmp(k + kl - sl, sfx))
		return false;
	snprintf(base, sizeof(base), "%.*s", (int)(kl - sl), k);
	return is_table(json_object_get(obj, base)) || all_objects(json_object_get(obj, base));
}

/*
 * Every member of obj: scalars in one key/value table, arrays of objects as tables with their
 * "_notes" and "_decimals", objects of objects (latency) as a table with a row per member, other
 * objects in turn.
 * skip: members shown elsewhere (charts) or too large for a table (the histogram).
 */
static void html_members(FILE *f, const json_t *obj, const char *const *skip)
{
	const char *k;
	json_t *v;
	bool kv = false;
	char nk[256], dk[256];

	json_object_foreach((json_t *)obj, k, v)
	{
		bool skipped = false;

		for (int i = 0; skip && skip[i]; i++)
			skipped |= !strcmp(k, skip[i]);
		if (skipped || json_is_object(v) || json_is_array(v))
			continue;
		if (!kv)
			fputs("<table class=\"kv\">", f);
		kv = true;
		fputs("<tr><td>", f);
		html_escape(f, k);
		fputs("</td>", f);
		cell(f, v, -1);
		fputs("</tr>\n", f);
	}
	if (kv)
		fputs("</table>\n", f);
	json_object_foreach((json_t *)obj, k, v)
	{
		bool skipped = false;
		size_t kl = strlen(k);

		for (int i = 0; skip && skip[i]; i++)
			skipped |= !strcmp(k, skip[i]);
		if (skipped)
			continue;
		snprintf(nk, sizeof(nk), "%s" SK_NOTES_SUFFIX, k);
		snprintf(dk, sizeof(dk), "%s" SK_DECIMALS_SUFFIX, k);
		if (json_is_object(v) && decimals_of_table(obj, k)) {
			continue; /* how its table rounds: used there */
		} else if (json_is_array(v) && kl > 6 && !strcmp(k + kl - 6, "_notes")) {
			/* notes go with their table; those of a member that is not one stand alone */
			char base[256];

			snprintf(base, sizeof(base), "%.*s", (int)(kl - 6), k);
			if (!is_table(json_object_get(obj, base)) && json_array_size(v)) {
				fputs("<h4>", f);
				html_escape(f, base);
				fputs(" notes</h4>", f);
				notes(f, v);
			}
		} else if (is_table(v)) {
			html_table(f, k, v, json_object_get(obj, nk), json_object_get(obj, dk));
		} else if (json_is_array(v)) {
			fputs("<h4>", f);
			html_escape(f, k);
			fputs("</h4><table class=\"kv\"><tr><td>values</td>", f);
			cell(f, v, -1);
			fputs("</tr></table>\n", f);
		} else if (json_is_object(v) && all_objects(v)) {
			const char *rk;
			json_t *rv, *rows = json_array();

			json_object_foreach(v, rk, rv)
			{
				json_t *row = json_pack("{ss}", "name", rk);

				json_object_update(row, rv);
				json_array_append_new(rows, row);
			}
			html_table(f, k, rows, json_object_get(obj, nk), json_object_get(obj, dk));
			json_decref(rows);
		} else if (json_is_object(v)) {
			fputs("<h4>", f);
			html_escape(f, k);
			fputs("</h4>\n<div style=\"margin-left:14px\">", f);
			html_members(f, v, skip);
			fputs("</div>\n", f);
		}
	}
}

/* --- the charts ------------------------------------------------------------------------- */

enum {
	S_LOADGEN,
	S_OWN,
	S_EMUL,
	S_IO,
	S_VHOST,
	S_KVM,
	S_EXITS,
	S_RUNTIME,
	S_PATH,
	S_BRIDGE,
	S_DISK,
	S_UNKNOWN,
	S_N
};
static const char *const verdict_names[S_N] = {
	"LOADGEN",
	"OWN",
	"VIRT emulation",
	"VIRT io",
	"VIRT vhost",
	"VIRT KVM threads",
	"VIRT exit handling",
	"VIRT runtime helpers",
	"PATH tap/veth",
	"PATH bridge",
	"DISK",
	"UNKNOWN role",
};
static const char *const verdict_colors[S_N] = {
	"#8a8f98", "#2f6db5", "#d1495b", "#ef8a3c", "#c86fb8", "#7e57c2",
	"#5d4037", "#8d6e63", "#2e9e5b", "#9ad29d", "#3a7ca5", "#c0b83a",
};
/* the JSON member each segment is: comparison row for LOADGEN/OWN, overhead row for the parts */
static const char *const verdict_keys[S_N] = {
	SK(loadgen_us), SK(own_us),	SK(emul_us), SK(io_us),	    SK(vhost_us), SK(kvm_us),
	SK(exits_us),	SK(runtime_us), SK(path_us), SK(bridge_us), SK(disk_us),  SK(unknown_us),
};

static double num_or_nan(const json_t *o, const char *k)
{
	double v;

	return doc_num(o, k, &v) ? v : NAN;
}

/* data-step="..." data-target="...", escaped; malloc'd (a label may be long), NULL on ENOMEM. */
static char *data_attrs(const char *step, const char *target)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	fputs("data-step=\"", m);
	html_escape(m, step);
	fputs("\" data-target=\"", m);
	html_escape(m, target);
	fputc('"', m);
	if (fclose(m)) {
		free(buf);
		return NULL;
	}
	return buf;
}

struct bars_buf {
	struct svg_bar b[256];
	char *data[256], note[256][96];
	int n;
};

/* One bar per comparison row: (step, target) in the order of the steps. */
static int collect_rows(const json_t *root, struct bars_buf *bb, const json_t **rows)
{
	const json_t *r;
	size_t i;

	for (int k = 0; k < bb->n; k++)
		free(bb->data[k]);
	bb->n = 0;
	json_array_foreach(doc_arr(root, SK(comparison)), i, r)
	{
		const char *s = doc_str(r, SK(step)), *t = doc_str(r, SK(target));
		struct svg_bar *b;

		if (!s || !t || bb->n >= (int)ARRAY_SIZE(bb->b))
			continue;
		b = &bb->b[bb->n];
		memset(b, 0, sizeof(*b));
		b->group = s;
		b->label = t;
		bb->data[bb->n] = data_attrs(s, t);
		b->data = bb->data[bb->n];
		for (int k = 0; k < SVG_MAX_SERIES; k++)
			b->v[k] = NAN;
		rows[bb->n++] = r;
	}
	return bb->n;
}

/* A verdict segment's decimals: its column's, in the comparison or the step's overhead table. */
static int verdict_decimals(const json_t *root, const struct svg_bar *b, int s)
{
	const json_t *st;

	if (s == S_LOADGEN || s == S_OWN)
		return col_decimals(doc_decimals(root, SK(comparison)), verdict_keys[s]);
	st = doc_find_step(root, b->group, b->label);
	return col_decimals(doc_decimals(doc_get(st, SK(cpu)), SK(overhead)), verdict_keys[s]);
}

/* Every segment of the verdict as a number: the small ones have no room for a label. */
static void verdict_table(FILE *f, const json_t *root, const struct bars_buf *bb)
{
	fputs("<table><thead><tr><th class=\"s\">\u00b5s per request</th>", f);
	for (int i = 0; i < bb->n; i++) {
		fputs("<th>", f);
		html_escape(f, bb->b[i].group);
		fputs(" ", f);
		html_escape(f, bb->b[i].label);
		fputs("</th>", f);
	}
	fputs("</tr></thead><tbody>\n", f);
	for (int s = 0; s < S_N; s++) {
		bool any = false;

		for (int i = 0; i < bb->n; i++)
			any |= isfinite(bb->b[i].v[s]);
		if (!any)
			continue;
		fprintf(f, "<tr><td class=\"s\"><span style=\"color:%s\">\u25a0</span> %s</td>",
			verdict_colors[s], verdict_names[s]);
		for (int i = 0; i < bb->n; i++) {
			if (isfinite(bb->b[i].v[s])) {
				number_cell(f, bb->b[i].v[s], verdict_decimals(root, &bb->b[i], s));
				fputs("</td>", f);
			} else
				fputs("<td class=\"na\">\u2014</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void chart_verdict(FILE *f, const json_t *root, struct bars_buf *bb)
{
	const json_t *rows[256];
	int n = collect_rows(root, bb, rows);
	struct svg_bars c = {
		.title = "CPU per request",
		.yunit = "CPU \u00b5s per request",
		.nseries = S_N,
		.names = verdict_names,
		.colors = verdict_colors,
		.keys = verdict_keys,
		.stacked = true,
		.nbars = n,
		.bars = bb->b,
	};

	for (int i = 0; i < n; i++) {
		const json_t *st = doc_find_step(root, bb->b[i].group, bb->b[i].label);
		const json_t *ov = doc_overhead_row(st);
		double other = num_or_nan(rows[i], SK(other_us));

		bb->b[i].v[S_LOADGEN] = num_or_nan(rows[i], SK(loadgen_us));
		bb->b[i].v[S_OWN] = num_or_nan(rows[i], SK(own_us));
		for (int s = S_EMUL; s < S_N; s++)
			bb->b[i].v[s] = num_or_nan(ov, verdict_keys[s]);
		/* without the step's overhead row the parts are unknown: not drawn, said so */
		snprintf(bb->note[i], sizeof(bb->note[0]), "%s%s", ov ? "" : "VIRT, PATH n/a; ",
			 isfinite(other) ? "+ OTHER " : "OTHER n/a");
		if (isfinite(other))
			snprintf(bb->note[i] + strlen(bb->note[i]),
				 sizeof(bb->note[0]) - strlen(bb->note[i]), "%.1f \u00b5s", other);
		bb->b[i].note = bb->note[i];
	}
	if (!n) {
		fputs("<p class=\"empty\">no comparison rows: no step completed</p>\n", f);
		return;
	}
	fputs("<div class=\"flex\"><div>", f);
	svg_bar_chart(f, &c);
	fputs("</div><div>", f);
	verdict_table(f, root, bb);
	fputs("</div></div>\n", f);
}

static void chart_host(FILE *f, const json_t *root, struct bars_buf *bb)
{
	static const char *const names[] = { "host busy %", "target %", "load generator %" };
	static const char *const colors[] = { "#9aa3b0", "#2f6db5", "#8a5a2b" };
	static const char *const keys[] = { SK(host_busy_pct), SK(target_pct), SK(loadgen_pct) };
	const json_t *rows[256];
	int n = collect_rows(root, bb, rows);
	struct svg_bars c = { .yunit = "% of the host (all CPUs)",
			      .nseries = 3,
			      .names = names,
			      .colors = colors,
			      .keys = keys,
			      .nbars = n,
			      .bars = bb->b };

	for (int i = 0; i < n; i++)
		for (int s = 0; s < 3; s++)
			bb->b[i].v[s] = num_or_nan(rows[i], keys[s]);
	if (n)
		svg_bar_chart(f, &c);
}

static void chart_throughput(FILE *f, const json_t *root, struct bars_buf *bb)
{
	static const char *const names[] = { "requests per second (measured window)" };
	static const char *const colors[] = { "#2e9e5b" };
	static const char *const keys[] = { SK(req_per_s) };
	const json_t *rows[256];
	int n = collect_rows(root, bb, rows);
	struct svg_bars c = { .yunit = "requests / s",
			      .nseries = 1,
			      .names = names,
			      .colors = colors,
			      .keys = keys,
			      .stacked = true,
			      .nbars = n,
			      .bars = bb->b };

	for (int i = 0; i < n; i++) {
		double e = num_or_nan(rows[i], SK(errors));

		bb->b[i].v[0] = num_or_nan(rows[i], SK(req_per_s));
		if (isfinite(e))
			snprintf(bb->note[i], sizeof(bb->note[0]), "errors %.0f", e);
		else
			snprintf(bb->note[i], sizeof(bb->note[0]), "errors n/a");
		bb->b[i].note = bb->note[i];
	}
	if (n)
		svg_bar_chart(f, &c);
}

static const char *const target_colors[] = { "#2f6db5", "#d1495b", "#2e9e5b",
					     "#ef8a3c", "#7e57c2", "#8d6e63" };

/* Percentile curves of every target at one step label: corrected solid, uncorrected dashed. */
static void chart_latency(FILE *f, const json_t *root, const char *label)
{
	static const char *const pk[] = { SK(p50_us), SK(p90_us), SK(p99_us), SK(p99_9_us),
					  SK(max_us) };
	static const char *const pl[] = { "p50", "p90", "p99", "p99.9", "max" };
	static const double px[] = { 0, 1, 2, 3, 4 };
	double y[16][5];
	char names[16][160];
	struct svg_series s[16];
	const json_t *st, *dec = NULL;
	json_t *lat_rows = json_array();
	size_t i;
	int ns = 0, nt = 0;

	json_array_foreach(doc_arr(root, SK(steps)), i, st)
	{
		const char *l = doc_str(st, SK(label));
		const json_t *lat = doc_get(doc_get(st, SK(load)), SK(latency));

		if (!l || strcmp(l, label) || !lat || ns + 2 > 16)
			continue;
		if (!dec)
			dec = doc_decimals(doc_get(st, SK(load)), SK(latency));
		for (int kind = 0; kind < 2; kind++) {
			const char *kn = kind ? SK(uncorrected) : SK(corrected);
			const json_t *h = doc_get(lat, kn);
			json_t *row;

			if (!h)
				continue;
			for (int p = 0; p < 5; p++)
				y[ns][p] = num_or_nan(h, pk[p]) / 1e3;
			snprintf(names[ns], sizeof(names[0]), "%s %s", doc_step_target(st), kn);
			s[ns] = (struct svg_series){ .name = names[ns],
						     .color = target_colors[nt % 6],
						     .dashed = kind,
						     .n = 5,
						     .x = px,
						     .y = y[ns] };
			ns++;
			row = json_pack("{ssss}", "target", doc_step_target(st), "latency", kn);
			json_object_update(row, (json_t *)h);
			json_array_append_new(lat_rows, row);
		}
		nt++;
	}
	if (ns) {
		struct svg_lines c = { .xlabel = "percentile",
				       .ylabel = "response time (ms)",
				       .w = 560,
				       .h = 300,
				       .nxt = 5,
				       .xt = px,
				       .xt_label = pl,
				       .nseries = ns,
				       .s = s };

		fputs("<h3>step ", f);
		html_escape(f, label);
		fputs("</h3><div class=\"flex\"><div>", f);
		svg_line_chart(f, &c);
		fputs("</div><div>", f);
		html_table(f, NULL, lat_rows, NULL, dec);
		fputs("<p class=\"sub\">\u00b5s; corrected: from the intended send time (coordinated "
		      "omission); uncorrected: from the actual send.</p></div></div>\n",
		      f);
	}
	json_decref(lat_rows);
}

/* The per-interval timeline of the whole session: CPU by category, req/s and p99 on one axis. */
#define TL_MAX 4096
static void chart_timeline(FILE *f, const json_t *root)
{
	double nominal = 1;
	static const char *const cat_colors[DCAT_N] = { "#8a8f98", "#2f6db5", "#d1495b", "#c0b83a",
							"#b8bec8" };
	static double cx[TL_MAX], cy[DCAT_N][TL_MAX], lx[TL_MAX], lrps[TL_MAX], lp99[TL_MAX];
	struct svg_mark marks[256];
	char mlabel[256][160];
	int n = 0, nl = 0, nm = 0;
	double cpus = 0;
	const json_t *st;
	size_t i;

	doc_num(json_array_get(doc_arr(root, SK(accounting_mode)), 0), SK(cpus), &cpus);
	doc_num(root, SK(interval_s), &nominal);
	json_array_foreach(doc_arr(root, SK(steps)), i, st)
	{
		const char *target = doc_step_target(st), *label = doc_str(st, SK(label));
		const json_t *p, *lt;
		double t0, off = NAN, lost;
		size_t k;

		if (doc_num(st, SK(t_start_s), &t0) && nm < 250) {
			snprintf(mlabel[nm], sizeof(mlabel[0]), "%s %s", label ? label : "?",
				 strchr(target, ':') ? strchr(target, ':') + 1 : target);
			marks[nm] = (struct svg_mark){ t0, mlabel[nm], "#6b7483" };
			nm++;
		}
		if (doc_true(st, SK(target_lost)) && doc_num(st, SK(target_lost_at_s), &lost) &&
		    nm < 250)
			marks[nm++] = (struct svg_mark){ lost, "target lost", "#c62828" };
		json_array_foreach(doc_arr(st, SK(timeline)), k, p)
		{
			double t, iv, mono, sum[DCAT_N] = { 0 };
			const json_t *e;
			size_t j;

			if (n >= TL_MAX || !doc_num(p, SK(t_s), &t) ||
			    !doc_num(p, SK(interval_s), &iv))
				continue;
			if (doc_num(p, SK(mono_ns), &mono))
				off = t - mono / 1e9;
			if (iv < nominal / 2) /* the stub a step ends with: too short to plot */
				continue;
			json_array_foreach(doc_arr(p, SK(entities)), j, e)
			{
				const char *en = doc_str(e, SK(entity)), *ro = doc_str(e, SK(role));
				double b;

				if (en && ro && doc_num(e, SK(busy_ns), &b))
					sum[doc_category(en, ro, target)] += b;
			}
			cx[n] = t;
			for (int c = 0; c < DCAT_N; c++)
				cy[c][n] = cpus > 0 && iv > 0 ? sum[c] / (iv * cpus * 1e9) * 100 :
								NAN;
			n++;
		}
		/* the load timeline's seconds placed on the session clock through mono_ns */
		json_array_foreach(doc_arr(doc_get(st, SK(load)), SK(timeline)), k, lt)
		{
			double mono, r, p99;

			if (nl >= TL_MAX || !isfinite(off) || !doc_num(lt, SK(mono_ns), &mono) ||
			    !doc_whole_second(st, lt))
				continue;
			lx[nl] = mono / 1e9 + off + 0.5;
			lrps[nl] = doc_num(lt, SK(requests), &r) ? r : NAN;
			lp99[nl] = doc_num(lt, SK(p99_us), &p99) ? p99 / 1e3 : NAN;
			nl++;
		}
		/* a gap between steps */
		if (n < TL_MAX) {
			cx[n] = NAN;
			for (int c = 0; c < DCAT_N; c++)
				cy[c][n] = NAN;
			n++;
		}
		if (nl < TL_MAX) {
			lx[nl] = NAN, lrps[nl] = NAN, lp99[nl] = NAN;
			nl++;
		}
	}
	{
		struct svg_series s[DCAT_N];
		struct svg_series r = {
			"requests completed per second", "#2e9e5b", false, nl, lx, lrps
		};
		struct svg_series q = { "p99 of the responses completed in that second (corrected)",
					"#ef8a3c",
					false,
					nl,
					lx,
					lp99 };
		struct svg_lines c = { .xlabel = "seconds since the session started",
				       .ylabel = "% of the host (all CPUs)",
				       .w = 1200,
				       .h = 300,
				       .nseries = DCAT_N,
				       .s = s,
				       .nmarks = nm,
				       .marks = marks,
				       .xmin0 = true };

		/* one time axis for the three charts */
		c.xlo = 0;
		c.xhi = -INFINITY;
		for (int k = 0; k < n; k++)
			c.xhi = isfinite(cx[k]) ? fmax(c.xhi, cx[k]) : c.xhi;
		for (int k = 0; k < nl; k++)
			c.xhi = isfinite(lx[k]) ? fmax(c.xhi, lx[k]) : c.xhi;
		for (int k = 0; k < nm; k++)
			c.xhi = fmax(c.xhi, marks[k].x);
		for (int k = 0; k < DCAT_N; k++)
			s[k] = (struct svg_series){
				doc_cat_name[k], cat_colors[k], false, n, cx, cy[k]
			};
		svg_line_chart(f, &c);
		c.ylabel = "requests / s";
		c.nseries = 1;
		c.s = &r;
		c.h = 240;
		svg_line_chart(f, &c);
		c.ylabel = "p99 response time (ms)";
		c.s = &q;
		svg_line_chart(f, &c);
	}
}

/*
 * A step's KVM exit profile (stacks.exit_folded: "[guest] f;[exit] R;host", no context) as one
 * more group of the same flame graph, or the reason it has none.
 */
static void exit_profile(FILE *f, json_t *all, const json_t *st, const json_t *stk)
{
	const json_t *xf = doc_arr(stk, "exit_folded");
	char step[256];

	fputs("<p class=\"sub\">step ", f);
	html_escape(f, doc_str(st, "label"));
	fputs(" (", f);
	html_escape(f, doc_step_target(st));
	if (!json_array_size(xf)) {
		fputs("): KVM exit profile not available: ", f);
		html_escape(f, doc_str(stk, "exit_reason") ? doc_str(stk, "exit_reason") :
							     "recorded by a virtprof without it");
		fputs("</p>\n", f);
		return;
	}
	fputs("): KVM exit profile (guest function, exit reason, host stack)", f);
	{
		double n;

		if (doc_num(stk, "exit_samples", &n))
			fprintf(f, ", %.10g samples inside exits", n);
	}
	fputs("</p>\n", f);
	snprintf(step, sizeof(step), "%s, KVM exit profile",
		 doc_str(st, "label") ? doc_str(st, "label") : "?");
	json_array_append_new(all, json_pack("{s:s,s:s,s:O}", "step", step, "target",
					     doc_step_target(st), "folded", xf));
}

/* Flame graphs from steps[].stacks (stack sampling); the data goes in as JSON for the script. */
static void section_stacks(FILE *f, const json_t *root)
{
	const json_t *st;
	json_t *all = json_array();
	char *s;
	size_t i;

	json_array_foreach(doc_arr(root, "steps"), i, st)
	{
		json_t *stk = doc_get(st, "stacks");

		if (!json_is_object(stk) || !doc_arr(stk, "folded"))
			continue;
		json_array_append_new(
			all, json_pack("{s:s,s:s,s:O}", "step",
				       doc_str(st, "label") ? doc_str(st, "label") : "?", "target",
				       doc_step_target(st), "folded", doc_arr(stk, "folded")));
		fputs("<p class=\"sub\">step ", f);
		html_escape(f, doc_str(st, "label"));
		fputs(" (", f);
		html_escape(f, doc_step_target(st));
		fputs("): ", f);
		{
			double hz, n, lost;

			if (doc_num(stk, "freq_hz", &hz))
				fprintf(f, "%.10g Hz, ", hz);
			if (doc_num(stk, "samples", &n))
				fprintf(f, "%.10g samples, ", n);
			if (doc_num(stk, "lost", &lost))
				fprintf(f, "%.10g lost", lost);
		}
		fputs("</p>\n", f);
		exit_profile(f, all, st, stk);
	}
	if (!json_array_size(all)) {
		fputs("<p class=\"empty\">not available: session recorded without --stacks (the KVM "
		      "exit profile too)</p>\n",
		      f);
		json_decref(all);
		return;
	}
	fputs("<div class=\"card\"><div class=\"fgbar\"><label>owner <select id=\"fg-select\">"
	      "</select></label><label>search <input id=\"fg-search\" placeholder=\"function name\">"
	      "</label><button id=\"fg-reset\">reset zoom</button></div>"
	      "<div id=\"fg-info\" class=\"sub\"></div><div id=\"fg\"></div>"
	      "<p class=\"sub\">Icicle: the root at the top, callees below; width = samples. Click a "
	      "frame to zoom; the first level is the context (task, softirq, hardirq, idle), or in a "
	      "KVM exit profile the guest function, then the exit reason, then the host's stack.</p>"
	      "</div>\n<script type=\"application/json\" id=\"vp-stacks\">",
	      f);
	s = json_dumps(all, JSON_COMPACT);
	/* inside <script>, "</" would end the element: '<' only occurs in strings, escape it */
	for (const char *p = s ? s : "[]"; *p; p++)
		if (*p == '<')
			fputs("\\u003c", f);
		else
			fputc(*p, f);
	fputs("</script>\n", f);
	free(s);
	json_decref(all);
}

/* A step's part (cpu, io, load) under its heading: its members, or why the step has none. */
static void step_part(FILE *f, const json_t *st, const char *key, const char *heading,
		      const char *const *skip, const char *absent)
{
	const json_t *part = doc_get(st, key);

	fprintf(f, "<h3>%s</h3>\n", heading);
	if (json_is_object(part))
		html_members(f, part, skip);
	else
		fprintf(f, "<p class=\"empty\">not available: %s</p>", absent);
}

static void section_steps(FILE *f, const json_t *root)
{
	static const char *const skip[] = { SK(timeline), SK(histogram), SK(load), SK(cpu),
					    SK(io),	  SK(stacks),	 NULL };
	static const char *const skip_load[] = { SK(timeline), SK(histogram), NULL };
	const json_t *st;
	size_t i;

	json_array_foreach(doc_arr(root, SK(steps)), i, st)
	{
		fputs("<details><summary>step ", f);
		html_escape(f, doc_str(st, SK(label)));
		fputs(" \u2014 ", f);
		html_escape(f, doc_step_target(st));
		if (doc_true(st, SK(skipped)))
			fputs(" (skipped)", f);
		if (doc_true(st, SK(target_lost)))
			fputs(" (target lost)", f);
		if (doc_true(st, SK(interrupted)))
			fputs(" (interrupted)", f);
		fputs("</summary><div class=\"card\">\n", f);
		html_members(f, st, skip);
		step_part(f, st, SK(cpu), "CPU over the measured window", NULL,
			  "no CPU figures for this step");
		step_part(f, st, SK(io), "I/O: network devices and paths, block, KVM", NULL,
			  "the I/O programs were not loaded");
		step_part(f, st, SK(load), "Load generator", skip_load, "no load result");
		fputs("</div></details>\n", f);
	}
}

void html_session(FILE *f, const json_t *root, const char *source)
{
	static struct bars_buf bb; /* large; the page is rendered once per process */
	static const char *const top_skip[] = { SK(steps),   SK(comparison),   SK(accounting_mode),
						SK(targets), SK(bpf_programs), NULL };
	const char *cmd = doc_str(root, SK(command)), *tb = doc_str(root, SK(testbed));
	const json_t *st;
	const char *labels[256];
	int nlabels = 0;
	char title[512];
	size_t i;

	snprintf(title, sizeof(title), "virtprof %s%s%s \u2014 %s", cmd ? cmd : "session",
		 tb ? " --testbed " : "", tb ? tb : "", source);
	html_begin(f, title);
	fputs("<h1>", f);
	html_escape(f, title);
	fputs("</h1>\n<p class=\"sub\">schema ", f);
	html_escape(f, doc_str(root, SK(schema)));
	fputs(" \u00b7 every figure on this page is a number of the session's JSON; "
	      "\u2014 in a table is null there (not available: the notes say why, or does not "
	      "apply).</p>\n",
	      f);
	{
		const json_t *mode = json_array_get(doc_arr(root, SK(accounting_mode)), 0);
		double cpus, iv;

		fputs("<p class=\"sub\">", f);
		html_escape(f, doc_str(mode, SK(kernel)));
		if (doc_num(mode, SK(cpus), &cpus))
			fprintf(f, " \u00b7 %.0f CPUs", cpus);
		if (doc_num(root, SK(interval_s), &iv))
			fprintf(f, " \u00b7 interval %.10g s", iv);
		fprintf(f, " \u00b7 %zu steps</p>\n", json_array_size(doc_arr(root, SK(steps))));
	}
	fputs("<nav class=\"sub\"><a href=\"#verdict\">verdict</a> \u00b7 <a href=\"#host\">host "
	      "CPU, throughput</a> \u00b7 <a href=\"#latency\">latency</a> \u00b7 <a "
	      "href=\"#timeline\">timeline</a> \u00b7 <a href=\"#flame\">flame graphs</a> \u00b7 <a "
	      "href=\"#session\">accounting mode, targets</a> \u00b7 <a href=\"#bpf\">BPF cost</a> "
	      "\u00b7 <a href=\"#steps\">steps in detail</a></nav>\n",
	      f);
	fputs("<h2 id=\"verdict\">Verdict: CPU per request by owner</h2>\n<p class=\"sub\">Per step and target, "
	      "CPU \u00b5s per completed request in the measured window (warm-up excluded), split "
	      "into the load generator, the target's own work, each part of its virtualization and "
	      "its kernel network path.  OTHER (everything else on the host in that window) is "
	      "printed under each bar.  Under KVM, OWN is the vCPUs' guest time and their exit "
	      "handling is a part of VIRT (<code>exits_us</code>).</p>\n<div class=\"card\">",
	      f);
	chart_verdict(f, root, &bb);
	html_table_of(f, SK(comparison), root, SK(comparison));
	fputs("</div>\n<h2 id=\"host\">Host CPU, throughput and errors</h2>\n<div class=\"flex\">"
	      "<div class=\"card\">",
	      f);
	chart_host(f, root, &bb);
	fputs("</div><div class=\"card\">", f);
	chart_throughput(f, root, &bb);
	for (int k = 0; k < bb.n; k++)
		free(bb.data[k]);
	bb.n = 0;
	fputs("</div></div>\n<h2 id=\"latency\">Latency percentiles</h2>\n<div class=\"card\">", f);
	json_array_foreach(doc_arr(root, SK(steps)), i, st)
	{
		const char *l = doc_str(st, SK(label));
		int k = 0;

		while (l && k < nlabels && strcmp(labels[k], l))
			k++;
		if (l && k == nlabels && nlabels < 256) {
			labels[nlabels++] = l;
			chart_latency(f, root, l);
		}
	}
	fputs("</div>\n<h2 id=\"timeline\">Timeline</h2>\n<p class=\"sub\">One point per interval (CPU) and per "
	      "second (load); dashed lines mark where each step starts, red ones where a target "
	      "was lost.  PATH is not on this chart: the per-device network split exists per step, "
	      "not per interval, so network softirq time stays in the thread it interrupted here.  "
	      "OWN and VIRT are the step's target; other targets count as OTHER.  Left out: the "
	      "interval shorter than half --interval that closes each step, and the last second of "
	      "load its end cut short (both are in the JSON).</p>\n"
	      "<div class=\"card\">",
	      f);
	chart_timeline(f, root);
	fputs("</div>\n<h2 id=\"flame\">Flame graphs</h2>\n", f);
	section_stacks(f, root);
	fputs("<h2 id=\"session\">Accounting mode and targets</h2>\n<div class=\"card\">", f);
	html_table_of(f, "accounting mode", root, SK(accounting_mode));
	html_table_of(f, SK(targets), root, SK(targets));
	html_members(f, root, top_skip);
	fputs("</div>\n", f);
	fputs("<h2 id=\"bpf\">BPF programs (cost of the profiler itself)</h2>\n<div class=\"card\">",
	      f);
	html_table_of(f, NULL, root, SK(bpf_programs));
	fputs("</div>\n<h2 id=\"steps\">Steps in detail</h2>\n<p class=\"sub\">Every table of each step: CPU by "
	      "owner, softirq, breakdown, overhead, network paths, drops, network devices, block "
	      "I/O, KVM exits, the load generator's totals, latency and errors, with their notes."
	      "</p>\n",
	      f);
	section_steps(f, root);
	html_end(f);
}

int html_write_session(const json_t *root, const char *source, const char *path)
{
	struct atomic_file *af = atomic_file_open(path);

	if (!af)
		return -errno;
	html_session(atomic_file_stream(af), root, source);
	return atomic_file_commit(af);
}
