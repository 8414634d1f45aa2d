// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load/command.h"
#include "session/exits.h"
#include "session/options.h"
#include "stack/sampler.h"
#include "sys/util.h"
#include "virtprof.h"

void session_cli_init(struct session_cli *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_ns = NSEC_PER_SEC;
	load_plan_init(&c->plan);
}

struct capture_opts session_capture_opts(const struct session_cli *c, bool io)
{
	return (struct capture_opts){
		.vms = (const char **)c->vms,
		.ctrs = (const char **)c->ctrs,
		.nvm = c->nvm,
		.nctr = c->nctr,
		.which = c->light ? CAPTURE_LIGHT : io ? CAPTURE_ALL : CAPTURE_NO_IO,
		.max_threads = c->max_threads,
		.max_targets = c->max_targets,
	};
}

int session_cli_opt(struct session_cli *c, int opt, const char *arg)
{
	char msg[256];

	if (opt >= LOAD_OPT_BASE && opt < LOAD_OPT_END) {
		if (load_plan_parse_opt(&c->plan, opt, arg, msg, sizeof(msg))) {
			vp_err("%s", msg);
			return -EINVAL;
		}
		return 0;
	}
	switch (opt) {
	case SESS_OPT_VM:
	case SESS_OPT_CTR:
		if ((opt == SESS_OPT_VM ? c->nvm : c->nctr) >= SESSION_MAX_NAMED) {
			vp_err("too many targets named (at most %d of each kind)",
			       SESSION_MAX_NAMED);
			return -EINVAL;
		}
		if (opt == SESS_OPT_VM)
			c->vms[c->nvm++] = arg;
		else
			c->ctrs[c->nctr++] = arg;
		return 0;
	case SESS_OPT_GUEST_SYMBOLS:
		c->guest_symbols = true;
		return exits_guest_symbols_add(arg);
	case SESS_OPT_LIGHT:
		c->light = true;
		return 0;
	case SESS_OPT_INTERVAL:
		if (parse_duration_ns(arg, &c->interval_ns) ||
		    c->interval_ns < 100 * NSEC_PER_MSEC) {
			vp_err("--interval %s: a duration of at least 100ms, with a unit", arg);
			return -EINVAL;
		}
		return 0;
	case SESS_OPT_MAX_THREADS: {
		uint64_t n;

		if (parse_u64(arg, VP_MAX_THREADS_MIN, VP_MAX_THREADS_MAX, &n)) {
			vp_err("--max-threads %s: a number from %d to %d", arg, VP_MAX_THREADS_MIN,
			       VP_MAX_THREADS_MAX);
			return -EINVAL;
		}
		c->max_threads = (uint32_t)n;
		return 0;
	}
	case SESS_OPT_MAX_TARGETS: {
		uint64_t n;

		if (parse_u64(arg, 1, TARGETS_MAX_LIMIT, &n)) {
			vp_err("--max-targets %s: a number from 1 to %d", arg, TARGETS_MAX_LIMIT);
			return -EINVAL;
		}
		c->max_targets = (int)n;
		return 0;
	}
	case SESS_OPT_JSON:
		c->json = arg;
		return 0;
	case SESS_OPT_CSV:
		c->csv = arg;
		return 0;
	case SESS_OPT_HTML:
		c->html = arg;
		return 0;
	case SESS_OPT_STACKS:
		if (!c->stack_hz)
			c->stack_hz = STACK_DEFAULT_HZ;
		return 0;
	case SESS_OPT_FREQ: {
		uint64_t hz;

		if (parse_u64(arg, 1, STACK_MAX_HZ, &hz)) {
			vp_err("--freq %s: samples per second per CPU, 1-%d", arg, STACK_MAX_HZ);
			return -EINVAL;
		}
		c->stack_hz = (unsigned int)hz;
		return 0;
	}
	case SESS_OPT_LOAD_CMD:
		if (load_cmd_check(arg, msg, sizeof(msg))) {
			vp_err("%s", msg);
			return -EINVAL;
		}
		c->load_cmd = arg;
		return 0;
	case SESS_OPT_REQUESTS_FROM:
		if (reqcount_parse_spec(arg, &c->rc, msg, sizeof(msg))) {
			vp_err("%s", msg);
			return -EINVAL;
		}
		c->have_rc = true;
		return 0;
	case SESS_OPT_FOLDED:
	case SESS_OPT_PPROF:
	case SESS_OPT_EXIT_FOLDED:
	case SESS_OPT_EXIT_PPROF:
		*(opt == SESS_OPT_FOLDED      ? &c->folded :
		  opt == SESS_OPT_PPROF	      ? &c->pprof :
		  opt == SESS_OPT_EXIT_FOLDED ? &c->exit_folded :
						&c->exit_pprof) = arg;
		if (!c->stack_hz)
			c->stack_hz = STACK_DEFAULT_HZ;
		return 0;
	}
	return 1;
}

int session_check_sources(struct session_cli *c, bool builtin)
{
	const struct load_plan *p = &c->plan;
	const char *opt = NULL;

	if (builtin)
		return 0;
	if (p->set_users)
		opt = "--users";
	else if (p->set_ramp)
		opt = "--ramp-up";
	else if (p->set_loops)
		opt = "--loops";
	else if (p->set_think)
		opt = "--think";
	else if (p->warmup_ns)
		opt = "--warmup";
	else if (p->timeout_ns)
		opt = "--timeout";
	else if (p->rate > 0)
		opt = "--rate";
	else if (p->set_inflight)
		opt = "--max-inflight";
	else if (p->new_conn)
		opt = "--new-conn";
	else if (p->workers)
		opt = "--workers";
	else if (p->engine != LOAD_ENGINE_AUTO)
		opt = "--engine";
	else if (p->netns && !c->load_cmd)
		opt = "--netns";
	else if (p->set_cpus && !c->load_cmd)
		opt = "--loadgen-cpus";
	if (opt) {
		vp_err("%s: an option of virtprof's own load generator, %s", opt,
		       c->load_cmd ? "not of --load-cmd (give it to your tool)" :
				     "and there is none without --url");
		return -EINVAL;
	}
	if (!p->set_duration)
		c->plan.duration_ns = LOAD_DEFAULT_DURATION_NS; /* --requests-from alone */
	return 0;
}

/* Check before any probe or packet that an output location can be written (docs/security.md). */
static int check_out(const char *opt, const char *path, bool dir)
{
	int err = vp_out_check(path, dir);

	if (err) {
		vp_err("%s %s: %s %s", opt, path,
		       dir ? "not a folder to write in:" : "cannot be written:",
		       vp_file_error(err));
		return -EINVAL;
	}
	return 0;
}

int session_check_outputs(const char *json, const char *csv, const char *html)
{
	if ((json && check_out("--json", json, false)) ||
	    (html && check_out("--html", html, false)) || (csv && check_out("--csv", csv, true)))
		return -EINVAL;
	return 0;
}

int session_check_light(const struct session_cli *c)
{
	if (!c->light)
		return 0;
	if (c->stack_hz) {
		vp_err("--light and --stacks (--freq, --folded, --pprof, --exit-*) conflict: light mode samples "
		       "no stacks");
		return -EINVAL;
	}
	if (c->guest_symbols) {
		vp_err("--light and --guest-symbols conflict: light mode does not trace KVM exits");
		return -EINVAL;
	}
	return 0;
}

int session_check_stack_outputs(const struct session_cli *c)
{
	if ((c->pprof && check_out("--pprof", c->pprof, false)) ||
	    (c->exit_folded && check_out("--exit-folded", c->exit_folded, false)) ||
	    (c->exit_pprof && check_out("--exit-pprof", c->exit_pprof, false)))
		return -EINVAL;
	if (c->folded) {
		/* mkdir never follows a link at the name: an existing one is judged by check_out */
		if (mkdir(c->folded, 0755) && errno != EEXIST) {
			vp_err("--folded %s: cannot make the directory (%s)", c->folded,
			       strerror(errno));
			return -EINVAL;
		}
		if (check_out("--folded", c->folded, true))
			return -EINVAL;
	}
	return 0;
}

int session_cmd_expand(const char *tmpl, const char *url, uint64_t users, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = tmpl; *p; p++) {
		char users_s[24];
		const char *put = NULL;
		size_t skip = 0;

		if (!strncmp(p, "{url}", 5)) {
			put = url ? url : "";
			skip = 4;
		} else if (!strncmp(p, "{users}", 7)) {
			snprintf(users_s, sizeof(users_s), "%llu", (unsigned long long)users);
			put = users_s;
			skip = 6;
		}
		if (put) {
			size_t l = strlen(put);

			if (n + l >= len)
				return -E2BIG;
			memcpy(out + n, put, l);
			n += l;
			p += skip;
		} else {
			if (n + 1 >= len)
				return -E2BIG;
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return 0;
}
