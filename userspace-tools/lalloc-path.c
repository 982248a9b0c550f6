// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-path: one Vec workload down every layer. Push N elements of a
 * layout into a growable array under a growth strategy, shrink_to_fit, then
 * truncate/shrink cycles; run that sequence of reallocations
 *   - through glibc in a traced child (moves, heap or mmap'ed chunk, the
 *     brk/mmap/munmap/mremap/madvise calls, page faults): path_glibc.c
 *   - through /dev/lalloc on lalloc and on kmalloc (class, moves, origin,
 *     pages from the page allocator): path_kernel.c
 * and print the path as a layered trace, a summary, JSON, dot or plot data
 * (path_output.c). The growth math is path_growth.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/lalloc.h>

#include "path.h"

#define PROG "lalloc-path"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--elem SIZE[:ALIGN]] [--count N] [--growth rawvec|+1|FACTOR]\n"
		"       [--cycles K] [--mallopt KNOB=N,...] [--user-only|--kernel-only]\n"
		"       [--quiet] [--json] [--dot FILE] [--plot-data DIR]\n"
		"Push N elements into a growable array, shrink_to_fit, then K truncate-to-half\n"
		"and shrink_to_fit cycles, and show every reallocation on its way down:\n"
		"glibc (moved or in place, heap or mmap, the system calls, page faults) and\n"
		"/dev/lalloc on lalloc and kmalloc (class, origin, pages).\n\n"
		"  -e, --elem SIZE[:ALIGN]  element layout (default 24:8; ALIGN defaults to the\n"
		"                           largest power of two dividing SIZE, at most 8)\n"
		"  -n, --count N            elements pushed (default 100000)\n"
		"  -g, --growth G           rawvec (Rust's RawVec, default), +1, or a factor > 1\n"
		"  -c, --cycles K           truncate/shrink cycles after shrink_to_fit (default 2)\n"
		"  -m, --mallopt LIST       glibc knobs: mmap_threshold, trim_threshold, top_pad,\n"
		"                           mmap_max (e.g. mmap_threshold=65536,trim_threshold=0)\n"
		"  -u, --user-only          only the userspace half\n"
		"  -k, --kernel-only        only the kernel half (exit 3 without /dev/lalloc)\n"
		"  -q, --quiet              the summary table only\n"
		"  -j, --json               one JSON document instead of text\n"
		"  -d, --dot FILE           write the path as a Graphviz graph\n"
		"  -p, --plot-data DIR      data files and a gnuplot script: rawvec, +1, 1.5\n"
		"  -h, --help               this text\n"
		"  -V, --version            the version\n");
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see --help)\n");
	return 2;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

static bool parse_elem(const char *s, uint64_t *size, uint64_t *align)
{
	char buf[64], *colon;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (colon)
		*colon = 0;
	if (!parse_u64(buf, size) || !*size || *size > (1ULL << 30))
		return false;
	if (colon) {
		if (!parse_u64(colon + 1, align))
			return false;
	} else {
		*align = 1;
		while (*align < 8 && !(*size % (*align * 2)))
			*align *= 2;
	}
	return *align && !(*align & (*align - 1)) && *align <= 4096 && !(*size % *align);
}

/* The kernel half on one backend; a note instead when there is no device. */
static int run_kernel(struct path_result *r, bool kernel_only)
{
	int ret = kern_run(r->plan, LALLOC_BACKEND_LALLOC, &r->lalloc);

	if (ret == -ENOENT || ret == -ENXIO || ret == -ENODEV || ret == -EACCES || ret == -EPERM) {
		static char note[128];

		snprintf(note, sizeof(note), LALLOC_DEVICE ": %s: kernel half skipped",
			 strerror(-ret));
		r->kernel_note = note;
		if (kernel_only) {
			fprintf(stderr, PROG ": %s (is lalloc loaded?)\n", note);
			return 3;
		}
		return 0;
	}
	if (ret)
		return 1;
	/*
	 * kmalloc failing where lalloc did not (past its largest block) is a
	 * result: its columns stop there.
	 */
	ret = kern_run(r->plan, LALLOC_BACKEND_KMALLOC, &r->kmalloc);
	return ret < 0 || (ret && !r->kmalloc.nr_done) ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "elem", required_argument, NULL, 'e' },
		{ "count", required_argument, NULL, 'n' },
		{ "growth", required_argument, NULL, 'g' },
		{ "cycles", required_argument, NULL, 'c' },
		{ "mallopt", required_argument, NULL, 'm' },
		{ "user-only", no_argument, NULL, 'u' },
		{ "kernel-only", no_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "dot", required_argument, NULL, 'd' },
		{ "plot-data", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	struct mallopt_knobs knobs = { -1, -1, -1, -1 };
	struct growth growth = { .kind = GROWTH_RAWVEC };
	uint64_t elem = 24, align = 8, count = 100000, cycles = 2;
	bool user = true, kernel = true, quiet = false, json = false;
	const char *dot = NULL, *plot = NULL;
	struct path_result res = { 0 };
	struct plan plan;
	int c, ret = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":e:n:g:c:m:ukqjd:p:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (!parse_elem(optarg, &elem, &align))
				return bad("--elem '%s': SIZE[:ALIGN], a non-zero multiple of a power-of-two alignment", optarg);
			break;
		case 'n':
			if (!parse_u64(optarg, &count))
				return bad("--count '%s': not a number", optarg);
			break;
		case 'g':
			if (growth_parse(optarg, &growth))
				return bad("--growth '%s': rawvec, +1 or a factor between 1 and 16", optarg);
			break;
		case 'c':
			if (!parse_u64(optarg, &cycles) || cycles > 64)
				return bad("--cycles '%s': a number up to 64", optarg);
			break;
		case 'm':
			if (mallopt_parse(optarg, &knobs))
				return bad("--mallopt '%s': KNOB=N[,KNOB=N] with mmap_threshold, trim_threshold, top_pad, mmap_max", optarg);
			break;
		case 'u': kernel = false; break;
		case 'k': user = false; break;
		case 'q': quiet = true; break;
		case 'j': json = true; break;
		case 'd': dot = optarg; break;
		case 'p': plot = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf(PROG " " LALLOC_VERSION "\n"); return 0;
		case ':': return bad("option '%s' needs an argument", argv[optind - 1]);
		default: return bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	if (!user && !kernel)
		return bad("%s: --user-only and --kernel-only exclude each other", "options");
	if (plan_build(&plan, &growth, elem, align, count, (uint32_t)cycles)) {
		fprintf(stderr, PROG ": %llu elements of %llu bytes: too large\n",
			(unsigned long long)count, (unsigned long long)elem);
		return 2;
	}
	res.plan = &plan;
	res.knobs = knobs;
	/* The userspace half first: its child must inherit an untouched heap. */
	if (user && glibc_run(&plan, &knobs, &res.glibc))
		return 1;
	if (plot) {
		static const char *const names[] = { "rawvec", "+1", "1.5" };
		static struct plan plans[3];
		static struct path_result runs[3];
		const struct path_result *rp[3];

		for (int i = 0; i < 3; i++) {
			struct growth g;

			growth_parse(names[i], &g);
			if (plan_build(&plans[i], &g, elem, align, count, (uint32_t)cycles) ||
			    glibc_run(&plans[i], &knobs, &runs[i].glibc))
				return 1;
			runs[i].plan = &plans[i];
			rp[i] = &runs[i];
		}
		if (out_plot(rp, 3, plot))
			return 1;
	}
	if (kernel) {
		ret = run_kernel(&res, !user);
		if (ret)
			return ret;
	}
	if (dot && out_dot(&res, dot))
		return 1;
	if (json) {
		out_json(&res);
	} else {
		if (!quiet)
			out_trace(&res);
		out_summary(&res);
	}
	return fflush(stdout) ? 1 : 0;
}
