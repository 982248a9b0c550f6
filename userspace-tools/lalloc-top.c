// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-top: a slabtop-like live view of lalloc's caches.
 *
 * Reads the STATS ioctl of /dev/lalloc, or /proc/lalloc/ when the device
 * cannot be opened (it is root-only by default; /proc/lalloc is not). For
 * tests, --proc-dir reads the same two files from another directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <ncurses.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/lalloc.h>

#define MAX_CACHES 256

/* -d: seconds between samples. Below the minimum the view is a busy loop. */
#define DELAY_MIN 0.1
#define DELAY_MAX 3600.0

static const char *proc_dir = "/proc/lalloc";

struct snapshot {
	struct lalloc_stats g;
	struct lalloc_cache_stats c[MAX_CACHES];
	unsigned int n;
	double when;		/* seconds, monotonic */
	const char *source;
};

enum sort_key { SORT_ACTIVE, SORT_HELD, SORT_FRAG, SORT_RATE, SORT_SIZE };

static const char *const sort_names[] = {
	[SORT_ACTIVE] = "active", [SORT_HELD] = "held", [SORT_FRAG] = "frag",
	[SORT_RATE] = "rate", [SORT_SIZE] = "size",
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_ioctl(int fd, struct snapshot *s)
{
	memset(&s->g, 0, sizeof(s->g));
	s->g.caches = (uint64_t)(uintptr_t)s->c;
	s->g.cache_rec_size = sizeof(s->c[0]);
	s->g.cache_rec_count = MAX_CACHES;
	if (ioctl(fd, LALLOC_IOC_STATS, &s->g))
		return -errno;
	s->n = s->g.nr_caches < MAX_CACHES ? s->g.nr_caches : MAX_CACHES;
	s->source = "ioctl";
	return 0;
}

/* /proc/lalloc/stats: "name value" lines. */
static int read_proc_stats(struct lalloc_stats *g)
{
	static const struct { const char *name; size_t off; } fields[] = {
#define F(x) { #x, offsetof(struct lalloc_stats, x) }
		F(requested_bytes), F(reserved_bytes), F(held_bytes), F(slab_bytes),
		F(large_bytes), F(vmalloc_bytes), F(held_bytes_hwm), F(active_objs),
		F(allocs), F(frees), F(fast_allocs), F(slow_allocs), F(failures),
		F(invalid_layouts), F(errors_detected), F(fragmentation_permille),
		F(utilisation_permille), F(fast_hit_permille), F(open_files),
		F(device_bytes), F(shrinker_scans), F(shrinker_pages),
#undef F
	};
	char name[64];
	unsigned long long v;
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/stats", proc_dir);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	memset(g, 0, sizeof(*g));
	while (fscanf(f, "%63s %llu", name, &v) == 2)
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (!strcmp(name, fields[i].name))
				memcpy((char *)g + fields[i].off, &(uint64_t){ v }, 8);
	fclose(f);
	return 0;
}

/* /proc/lalloc/caches: a "#" header naming the columns, then rows. */
static int read_proc_caches(struct snapshot *s)
{
	static const struct { const char *name; size_t off; bool u32; } cols[] = {
#define C(x) { #x, offsetof(struct lalloc_cache_stats, x), false }
#define C32(x) { #x, offsetof(struct lalloc_cache_stats, x), true }
		{ "slot", offsetof(struct lalloc_cache_stats, slot_size), true },
		C32(align), C32(objs_per_slab), C32(order),
		C32(cpu_limit), C(active_objs), C(total_objs), C(slabs_full),
		C(slabs_partial), C(slabs_empty), C(pages), C(requested_bytes),
		C(reserved_bytes), C(held_bytes), C(allocs), C(frees),
		C(fast_allocs), C(slow_allocs), C(failures),
#undef C
#undef C32
	};
	int map[64];
	char line[2048], path[4096];
	FILE *f;
	int ncols = 0;

	snprintf(path, sizeof(path), "%s/caches", proc_dir);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	s->n = 0;
	while (fgets(line, sizeof(line), f)) {
		char *save, *tok = strtok_r(line, " \n", &save);
		int col = 0;

		if (tok && !strcmp(tok, "#")) {
			while ((tok = strtok_r(NULL, " \n", &save)) && ncols < 64) {
				map[ncols] = -1;
				for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
					if (!strcmp(tok, cols[i].name))
						map[ncols] = i;
				ncols++;
			}
			continue;
		}
		if (!tok || s->n >= MAX_CACHES)
			continue;
		memset(&s->c[s->n], 0, sizeof(s->c[0]));
		s->c[s->n].index = s->n;
		/* The first column is the name: skip it. */
		while ((tok = strtok_r(NULL, " \n", &save)) && ++col < ncols) {
			uint64_t v = strtoull(tok, NULL, 10);
			char *dst;

			if (map[col] < 0)
				continue;
			dst = (char *)&s->c[s->n] + cols[map[col]].off;
			if (cols[map[col]].u32)
				*(uint32_t *)dst = v;
			else
				*(uint64_t *)dst = v;
		}
		s->n++;
	}
	fclose(f);
	s->g.nr_caches = s->n;
	return 0;
}

static int take(int fd, struct snapshot *s)
{
	int ret;

	s->when = now();
	if (fd >= 0)
		return read_ioctl(fd, s);
	ret = read_proc_stats(&s->g);
	if (!ret)
		ret = read_proc_caches(s);
	s->source = proc_dir;
	return ret;
}

struct row {
	const struct lalloc_cache_stats *c;
	double rate;		/* allocs per second since the last sample */
	double frag;		/* reserved / requested */
};

static enum sort_key sort_key = SORT_ACTIVE;

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	double kx, ky;

	switch (sort_key) {
	case SORT_HELD:
		kx = x->c->held_bytes, ky = y->c->held_bytes;
		break;
	case SORT_FRAG:
		kx = x->frag, ky = y->frag;
		break;
	case SORT_RATE:
		kx = x->rate, ky = y->rate;
		break;
	case SORT_SIZE:
		kx = -(double)x->c->slot_size, ky = -(double)y->c->slot_size;
		break;
	default:
		kx = x->c->active_objs, ky = y->c->active_objs;
		break;
	}
	if (kx != ky)
		return kx < ky ? 1 : -1;
	return x->c->slot_size < y->c->slot_size ? -1 : 1;
}

static unsigned int make_rows(const struct snapshot *s, const struct snapshot *prev,
			      struct row *rows, bool all)
{
	unsigned int n = 0;
	double dt = prev ? s->when - prev->when : 0;

	for (unsigned int i = 0; i < s->n; i++) {
		const struct lalloc_cache_stats *c = &s->c[i];
		struct row *r = &rows[n];

		if (!all && !c->pages && !c->active_objs && !c->allocs)
			continue;
		r->c = c;
		r->frag = c->requested_bytes ? (double)c->reserved_bytes / c->requested_bytes : 0;
		r->rate = 0;
		if (prev && dt > 0 && i < prev->n && c->allocs >= prev->c[i].allocs)
			r->rate = (c->allocs - prev->c[i].allocs) / dt;
		n++;
	}
	qsort(rows, n, sizeof(rows[0]), cmp_rows);
	return n;
}

static void human(char *buf, size_t len, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f%s" : "%.0f%s", v, units[u]);
}

/* 78 columns, so a row fits an 80-column terminal. */
#define HEADER_FMT "%-12s %7s %7s %4s %3s %9s %9s %5s %6s %7s\n"
#define ROW_FMT    "%-12s %7" PRIu64 " %7" PRIu64 " %4u %3u %9s %9s %5.3f %5.1f%% %7.0f\n"

static void format_header(char *out, size_t len, const struct snapshot *s)
{
	char req[16], res[16], held[16], hwm[16];
	const struct lalloc_stats *g = &s->g;

	human(req, sizeof(req), g->requested_bytes);
	human(res, sizeof(res), g->reserved_bytes);
	human(held, sizeof(held), g->held_bytes);
	human(hwm, sizeof(hwm), g->held_bytes_hwm);
	snprintf(out, len,
		 " lalloc: %" PRIu64 " live blocks, requested %s, reserved %s\n"
		 " held %s (peak %s)  frag %.3f  slab use %.1f%%  fast-path %.1f%%\n"
		 " allocs %" PRIu64 "  frees %" PRIu64 "  failures %" PRIu64 "  errors %" PRIu64
		 "  open files %" PRIu64 "  [%s, by %s]\n",
		 (uint64_t)g->active_objs, req, res, held, hwm,
		 g->fragmentation_permille / 1000.0, g->utilisation_permille / 10.0,
		 g->fast_hit_permille / 10.0, (uint64_t)g->allocs, (uint64_t)g->frees,
		 (uint64_t)g->failures, (uint64_t)g->errors_detected,
		 (uint64_t)g->open_files, s->source, sort_names[sort_key]);
}

static void format_row(char *out, size_t len, const struct row *r)
{
	const struct lalloc_cache_stats *c = r->c;
	char name[24], held[16], req[16];

	snprintf(name, sizeof(name), "lalloc-%u", c->slot_size);
	human(held, sizeof(held), c->held_bytes);
	human(req, sizeof(req), c->requested_bytes);
	snprintf(out, len, ROW_FMT, name, (uint64_t)c->active_objs, (uint64_t)c->total_objs,
		 c->objs_per_slab, 1U << c->order, req, held, r->frag,
		 c->total_objs ? 100.0 * c->active_objs / c->total_objs : 0.0, r->rate);
}

static void print_once(const struct snapshot *s, const struct snapshot *prev, bool all)
{
	static struct row rows[MAX_CACHES];
	char buf[1024];
	unsigned int n = make_rows(s, prev, rows, all);

	format_header(buf, sizeof(buf), s);
	fputs(buf, stdout);
	printf(HEADER_FMT, "CACHE", "ACTIVE", "OBJS", "PER", "PG", "REQUESTED",
	       "HELD", "FRAG", "USE", "ALLOC/S");
	for (unsigned int i = 0; i < n; i++) {
		format_row(buf, sizeof(buf), &rows[i]);
		fputs(buf, stdout);
	}
}

static void print_json(const struct snapshot *s, const struct snapshot *prev)
{
	static struct row rows[MAX_CACHES];
	const struct lalloc_stats *g = &s->g;
	unsigned int n = make_rows(s, prev, rows, true);

	printf("{\"source\":\"%s\",\"global\":{", s->source);
	printf("\"active_objs\":%" PRIu64 ",\"requested_bytes\":%" PRIu64
	       ",\"reserved_bytes\":%" PRIu64 ",\"held_bytes\":%" PRIu64
	       ",\"held_bytes_hwm\":%" PRIu64 ",\"slab_bytes\":%" PRIu64
	       ",\"large_bytes\":%" PRIu64 ",\"vmalloc_bytes\":%" PRIu64
	       ",\"allocs\":%" PRIu64 ",\"frees\":%" PRIu64 ",\"failures\":%" PRIu64
	       ",\"errors_detected\":%" PRIu64 ",\"fragmentation\":%.3f"
	       ",\"utilisation\":%.3f,\"fast_hit_rate\":%.3f,\"open_files\":%" PRIu64 "},",
	       (uint64_t)g->active_objs, (uint64_t)g->requested_bytes,
	       (uint64_t)g->reserved_bytes, (uint64_t)g->held_bytes,
	       (uint64_t)g->held_bytes_hwm, (uint64_t)g->slab_bytes,
	       (uint64_t)g->large_bytes, (uint64_t)g->vmalloc_bytes, (uint64_t)g->allocs,
	       (uint64_t)g->frees, (uint64_t)g->failures, (uint64_t)g->errors_detected,
	       g->fragmentation_permille / 1000.0, g->utilisation_permille / 1000.0,
	       g->fast_hit_permille / 1000.0, (uint64_t)g->open_files);
	printf("\"caches\":[");
	for (unsigned int i = 0; i < n; i++) {
		const struct lalloc_cache_stats *c = rows[i].c;

		printf("%s{\"name\":\"lalloc-%u\",\"slot_size\":%u,\"align\":%u,"
		       "\"objs_per_slab\":%u,\"order\":%u,\"active_objs\":%" PRIu64
		       ",\"total_objs\":%" PRIu64 ",\"pages\":%" PRIu64
		       ",\"requested_bytes\":%" PRIu64 ",\"reserved_bytes\":%" PRIu64
		       ",\"held_bytes\":%" PRIu64 ",\"allocs\":%" PRIu64 ",\"frees\":%" PRIu64
		       ",\"fragmentation\":%.3f,\"alloc_rate\":%.1f}",
		       i ? "," : "", c->slot_size, c->slot_size, c->align, c->objs_per_slab,
		       c->order, (uint64_t)c->active_objs, (uint64_t)c->total_objs,
		       (uint64_t)c->pages, (uint64_t)c->requested_bytes,
		       (uint64_t)c->reserved_bytes, (uint64_t)c->held_bytes,
		       (uint64_t)c->allocs, (uint64_t)c->frees, rows[i].frag, rows[i].rate);
	}
	printf("]}\n");
}

/* One line of text at row y, clipped to the terminal's width. */
static void put_line(int y, const char *text, size_t len)
{
	mvaddnstr(y, 0, text, len < (size_t)COLS ? (int)len : COLS);
}

static const char footer[] = " a:active h:held f:frag r:rate s:size  z:all caches  q:quit";

/*
 * The whole screen for one sample. The footer keeps the last line; the
 * header, the column titles and the rows take what is above it, in that
 * order, so on a short terminal rows go first, then header lines. The
 * footer is drawn first: nothing after it may reach its line.
 */
static void draw(const struct snapshot *cur, const struct snapshot *prev, bool all)
{
	static struct row rows[MAX_CACHES];
	char buf[1024];
	int last = LINES - 1, y = 0;
	unsigned int n = make_rows(cur, prev, rows, all);
	const char *line = buf;

	erase();
	if (last < 0 || COLS <= 0) {
		refresh();
		return;
	}
	put_line(last, footer, strlen(footer));
	format_header(buf, sizeof(buf), cur);
	while (*line && y < last) {
		const char *nl = strchrnul(line, '\n');

		put_line(y++, line, nl - line);
		line = *nl ? nl + 1 : nl;
	}
	/* A blank line under the header when there is room for it. */
	if (LINES > 10)
		y++;
	if (y < last) {
		snprintf(buf, sizeof(buf), HEADER_FMT, "CACHE", "ACTIVE", "OBJS", "PER",
			 "PG", "REQUESTED", "HELD", "FRAG", "USE", "ALLOC/S");
		attron(A_REVERSE);
		put_line(y++, buf, strcspn(buf, "\n"));
		attroff(A_REVERSE);
	}
	for (unsigned int i = 0; i < n && y < last; i++) {
		format_row(buf, sizeof(buf), &rows[i]);
		put_line(y++, buf, strcspn(buf, "\n"));
	}
	refresh();
}

/*
 * Samples every @delay seconds; keys and resizes redraw the last sample in
 * between and never move the next one.
 */
static int run_curses(int fd, double delay, bool all)
{
	static struct snapshot snaps[2];
	struct snapshot *cur = &snaps[0], *prev = NULL;
	double next = 0;

	if (!initscr()) {
		fprintf(stderr, "lalloc-top: cannot start the terminal UI (try -o)\n");
		return 1;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	for (;;) {
		double left = next - now();
		int ch;

		if (left <= 0) {
			if (next) {
				prev = cur;
				cur = cur == &snaps[0] ? &snaps[1] : &snaps[0];
			}
			if (take(fd, cur)) {
				endwin();
				fprintf(stderr, "lalloc-top: lalloc stopped answering (unloaded?)\n");
				return 1;
			}
			/* Late (a stopped process): the next sample a full delay on. */
			next = next && next + delay > cur->when ? next + delay : cur->when + delay;
			draw(cur, prev, all);
			continue;
		}
		/* Round up: waking early would only come back here. */
		timeout((int)(left * 1000) + 1);
		ch = getch();
		switch (ch) {
		case ERR:
			continue;
		case 'q':
		case 'Q':
			endwin();
			return 0;
		case 'a': sort_key = SORT_ACTIVE; break;
		case 'h': sort_key = SORT_HELD; break;
		case 'f': sort_key = SORT_FRAG; break;
		case 'r': sort_key = SORT_RATE; break;
		case 's': sort_key = SORT_SIZE; break;
		case 'z': all = !all; break;
		case KEY_RESIZE: break;	/* ncurses has the new LINES and COLS */
		default: continue;
		}
		draw(cur, prev, all);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lalloc-top [-d SECONDS] [-s KEY] [-o] [--json] [-a] [--proc]\n"
		"A live view of lalloc's slab caches, like slabtop.\n\n"
		"  -d, --delay SECONDS  refresh interval, 0.1 to 3600 (default 1)\n"
		"  -s, --sort KEY       active (default), held, frag, rate or size\n"
		"  -o, --once           print one plain-text table and exit\n"
		"  -j, --json           print one JSON document and exit\n"
		"  -a, --all            show caches that were never used too\n"
		"  -p, --proc           read /proc/lalloc instead of the device\n"
		"      --proc-dir DIR   read DIR/stats and DIR/caches instead (for tests)\n"
		"      --version        the version\n"
		"  -h, --help           this text\n\n"
		"Rates need two samples: with -o or --json, one is taken DELAY apart.\n"
		"Keys while running: a h f r s sort, z all caches, q quit.\n");
}

/*
 * Seconds for -d: the whole argument a finite number in range. strtod
 * alone takes "1abc" as 1 and "nan", which no range check can refuse.
 */
static int parse_seconds(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end || errno || !isfinite(v) || v < DELAY_MIN || v > DELAY_MAX)
		return -1;
	*out = v;
	return 0;
}

static void sleep_for(double seconds)
{
	struct timespec ts = {
		.tv_sec = (time_t)seconds,
		.tv_nsec = (long)((seconds - (time_t)seconds) * 1e9),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	enum { OPT_PROC_DIR = 256 };
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "sort", required_argument, NULL, 's' },
		{ "once", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "proc", no_argument, NULL, 'p' },
		{ "proc-dir", required_argument, NULL, OPT_PROC_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	static struct snapshot a, b;
	bool once = false, json = false, all = false, proc = false;
	char stats_path[4096];
	double delay = 1;
	int c, ret, fd = -1;

	while ((c = getopt_long(argc, argv, "d:s:ojaph", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_seconds(optarg, &delay)) {
				fprintf(stderr, "lalloc-top: -d takes seconds from %g to %g, not '%s'\n",
					DELAY_MIN, DELAY_MAX, optarg);
				return 2;
			}
			break;
		case 's': {
			unsigned int k;

			for (k = 0; k < sizeof(sort_names) / sizeof(sort_names[0]); k++)
				if (!strcmp(optarg, sort_names[k]))
					break;
			if (k == sizeof(sort_names) / sizeof(sort_names[0])) {
				fprintf(stderr, "lalloc-top: unknown sort key '%s'\n", optarg);
				return 2;
			}
			sort_key = k;
			break;
		}
		case 'o': once = true; break;
		case 'j': json = true; break;
		case 'a': all = true; break;
		case 'p': proc = true; break;
		case OPT_PROC_DIR:
			if (!*optarg) {
				fprintf(stderr, "lalloc-top: --proc-dir takes a directory\n");
				return 2;
			}
			proc_dir = optarg;
			proc = true;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': puts("lalloc-top " LALLOC_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lalloc-top: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}

	snprintf(stats_path, sizeof(stats_path), "%s/stats", proc_dir);
	if (access(stats_path, R_OK)) {
		fprintf(stderr, "lalloc-top: lalloc is not loaded (no %s)\n", stats_path);
		return 1;
	}
	if (!proc)
		fd = open(LALLOC_DEVICE, O_RDONLY | O_CLOEXEC);
	if (!once && !json)
		return run_curses(fd, delay, all);

	ret = take(fd, &a);
	if (ret) {
		fprintf(stderr, "lalloc-top: cannot read lalloc's statistics: %s\n",
			strerror(-ret));
		return 1;
	}
	sleep_for(delay);
	if (take(fd, &b)) {
		fprintf(stderr, "lalloc-top: lalloc stopped answering\n");
		return 1;
	}
	if (json)
		print_json(&b, &a);
	else
		print_once(&b, &a, all);
	return 0;
}
