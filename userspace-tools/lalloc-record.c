// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-record: record the heap calls of a dynamically linked program as a
 * lalloc trace (Documentation/trace-format.rst), through the LD_PRELOAD
 * library liblalloc-record.so; or check a trace (--check, .gz too).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "tracecheck.h"

static const char *prog = "lalloc-record";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s -o FILE [--lib PATH] [--] PROGRAM [ARGS...]\n"
		"       %s --check FILE\n"
		"Records the malloc/calloc/realloc/free/posix_memalign/aligned_alloc/\n"
		"memalign/valloc/pvalloc/reallocarray calls of a dynamically linked\n"
		"PROGRAM as a lalloc trace in FILE; other processes it starts that load\n"
		"the library record to FILE.PID. Exits with PROGRAM's status.\n"
		"  -o, --output FILE  the trace (replaced, and FILE.PID files of an earlier run)\n"
		"  --lib PATH         the preload library (default: liblalloc-record.so\n"
		"                     next to this program)\n"
		"  --check FILE       validate a trace (plain or gzip): ops by kind, peak\n"
		"                     live bytes; exit 1 if inconsistent\n"
		"  -h, --help, --version\n",
		prog, prog);
}

static void bad(const char *msg, const char *arg)
{
	fprintf(stderr, "%s: %s%s%s (--help for usage)\n", prog, msg,
		arg ? ": " : "", arg ? arg : "");
	exit(2);
}

/* Checks FILE (gzip or plain). 0 consistent, 1 not, 2 unreadable. */
static int check_file(const char *path, struct trace_check *t, bool quiet)
{
	static char line[1 << 16];
	gzFile gz = gzopen(path, "rb");
	bool ok = true;

	trace_check_init(t);
	if (!gz) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno ? errno : ENOMEM));
		return 2;
	}
	while (ok && gzgets(gz, line, sizeof(line))) {
		size_t len = strlen(line);

		if (len && line[len - 1] == '\n') {
			line[--len] = 0;
		} else if (len == sizeof(line) - 1) {
			/* a long line: only comments may be that long */
			int c;

			while ((c = gzgetc(gz)) != -1 && c != '\n')
				;
			if (line[0] != '#' || t->lines == 0) {
				t->lines++;
				trace_fail(t, "line too long");
				ok = false;
				break;
			}
		}
		ok = trace_check_line(t, line);
	}
	if (ok) {
		int err;
		const char *msg = gzerror(gz, &err);

		if (err != Z_OK && err != Z_BUF_ERROR) {
			fprintf(stderr, "%s: %s: %s\n", prog, path, msg);
			gzclose(gz);
			trace_check_release(t);
			return 2;
		}
		ok = trace_check_end(t);
	}
	gzclose(gz);
	trace_check_release(t);
	if (!ok && !quiet)
		fprintf(stderr, "%s: %s: %s\n", prog, path, t->error);
	return ok ? 0 : 1;
}

static int do_check(const char *path)
{
	struct trace_check t;
	int r = check_file(path, &t, false);

	if (r == 2)
		return 2;
	printf("%s: %s: %" PRIu64 " ops (a %" PRIu64 ", r %" PRIu64 ", f %" PRIu64
	       "), peak live %" PRIu64 " bytes in %" PRIu64 " blocks, %" PRIu64
	       " live at end\n",
	       r ? "inconsistent" : "ok", path, t.n_alloc + t.n_resize + t.n_free,
	       t.n_alloc, t.n_resize, t.n_free, t.peak_bytes, t.peak_blocks,
	       t.live_blocks);
	return r;
}

/* Is NAME (in FILE's directory) FILE.PID or FILE.PID.N? */
static bool is_child_trace(const char *name, const char *base)
{
	size_t bl = strlen(base);
	const char *s;
	int parts = 0;

	if (strncmp(name, base, bl) || name[bl] != '.')
		return false;
	for (s = name + bl; *s == '.' && parts < 2; parts++) {
		if (*++s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return !*s;
}

/*
 * Calls fn on every FILE.PID[.N] next to FILE; returns how many there were.
 */
static int child_traces(const char *file, void (*fn)(const char *path, void *arg),
			void *arg)
{
	char *d = strdup(file), *b = strdup(file);
	const char *dir = dirname(d), *base = basename(b);
	DIR *dp = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (dp && (de = readdir(dp))) {
		char path[PATH_MAX];

		if (!is_child_trace(de->d_name, base))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n++;
		if (fn)
			fn(path, arg);
	}
	if (dp)
		closedir(dp);
	free(d);
	free(b);
	return n;
}

static void remove_trace(const char *path, void *arg)
{
	(void)arg;
	unlink(path);
}

static void find_lib(char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		bad("cannot find my own executable (use --lib)", strerror(errno));
	self[n] = 0;
	snprintf(out, cap, "%s/liblalloc-record.so", dirname(self));
}

int main(int argc, char **argv)
{
	enum { OPT_LIB = 256, OPT_CHECK, OPT_VERSION };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "lib", required_argument, NULL, OPT_LIB },
		{ "check", required_argument, NULL, OPT_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{}
	};
	const char *out = NULL, *lib = NULL, *check = NULL;
	char libbuf[PATH_MAX], pidbuf[32], *preload;
	struct trace_check t;
	int c, status, fd, r;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "+ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case OPT_LIB:
			lib = optarg;
			break;
		case OPT_CHECK:
			check = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("lalloc-record " LALLOC_VERSION "\n");
			return 0;
		default:
			/* getopt printed what was wrong */
			exit(2);
		}
	}
	if (check) {
		if (out || lib || optind < argc)
			bad("--check takes only the trace", NULL);
		return do_check(check);
	}
	if (!out)
		bad("missing -o FILE", NULL);
	if (optind >= argc)
		bad("missing PROGRAM", NULL);
	if (!*out)
		bad("empty -o FILE", NULL);
	if (!lib) {
		find_lib(libbuf, sizeof(libbuf));
		lib = libbuf;
	}
	if (access(lib, R_OK))
		bad("cannot read the preload library", lib);
	if (strchr(lib, ' ') || strchr(lib, ':'))
		bad("the library's path may not contain ' ' or ':' (LD_PRELOAD)", lib);

	/* A fresh, empty FILE: the recorded program claims it. */
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, out, strerror(errno));
		return 2;
	}
	close(fd);
	child_traces(out, remove_trace, NULL);

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		const char *old = getenv("LD_PRELOAD");

		if (old && *old) {
			preload = malloc(strlen(lib) + strlen(old) + 2);
			if (!preload)
				_exit(127);
			sprintf(preload, "%s:%s", lib, old);
		} else {
			preload = (char *)lib;
		}
		snprintf(pidbuf, sizeof(pidbuf), "%ld", (long)getpid());
		if (setenv("LD_PRELOAD", preload, 1) || setenv("LALLOC_RECORD_FILE", out, 1) ||
		    setenv("LALLOC_RECORD_PID", pidbuf, 1))
			_exit(127);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "%s: %s: %s\n", prog, argv[optind], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	/* The terminal's ^C goes to the program; we report when it ends. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("waitpid");
			return 2;
		}

	r = check_file(out, &t, true);
	if (r == 2) {
		/* nothing to say beyond check_file's message */
	} else if (t.lines == 0) {
		if (WIFEXITED(status) && (WEXITSTATUS(status) == 126 || WEXITSTATUS(status) == 127))
			; /* could not run it: said so */
		else
			fprintf(stderr, "%s: %s: nothing recorded (is %s dynamically linked?)\n",
				prog, out, argv[optind]);
	} else {
		int kids = child_traces(out, NULL, NULL);

		fprintf(stderr, "%s: %s: %" PRIu64 " ops recorded, peak live %" PRIu64
			" bytes requested%s%s", prog, out,
			t.n_alloc + t.n_resize + t.n_free, t.peak_bytes,
			r ? ", INCONSISTENT: " : "", r ? t.error : "");
		if (kids)
			fprintf(stderr, "; %d more process%s in %s.PID\n", kids,
				kids == 1 ? "" : "es", out);
		else
			fprintf(stderr, "\n");
	}
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}
