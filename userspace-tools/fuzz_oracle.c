// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-fuzz's oracle: which errnos the uapi header and
 * Documentation/device.rst list for each command, whether one result keeps
 * to that and to what its arguments make certain, and the failure report.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"

const char *const cmd_names[C_COUNT] = {
	[C_ALLOC] = "ALLOC", [C_FREE] = "FREE", [C_GROW] = "GROW",
	[C_SHRINK] = "SHRINK", [C_REALLOC] = "REALLOC", [C_WRITE] = "WRITE",
	[C_READ] = "READ", [C_INFO] = "INFO", [C_STATS] = "STATS",
	[C_BATCH] = "BATCH", [C_SET_BACKEND] = "SET_BACKEND", [C_FILL] = "FILL",
	[C_CHECK] = "CHECK", [C_BAD_OP] = "bad-op", [C_UNKNOWN] = "unknown-ioctl",
};

static const struct {
	int err;
	const char *name;
} err_table[E_COUNT] = {
	[E_INVAL] = { EINVAL, "EINVAL" }, [E_NOENT] = { ENOENT, "ENOENT" },
	[E_NOMEM] = { ENOMEM, "ENOMEM" }, [E_2BIG] = { E2BIG, "E2BIG" },
	[E_DQUOT] = { EDQUOT, "EDQUOT" }, [E_NOSPC] = { ENOSPC, "ENOSPC" },
	[E_RANGE] = { ERANGE, "ERANGE" }, [E_FAULT] = { EFAULT, "EFAULT" },
	[E_BUSY] = { EBUSY, "EBUSY" }, [E_NOTTY] = { ENOTTY, "ENOTTY" },
	[E_ILSEQ] = { EILSEQ, "EILSEQ" },
};

/*
 * Per command, from the header's error list and device.rst's table:
 * EINVAL for a bad layout, reserved field, unknown flag or wrong resize
 * direction; ENOENT for every command that names a handle; the resource
 * errors for what takes memory (WRITE's bounce buffer included); ERANGE
 * for ranges; EFAULT for every user pointer; E2BIG for sizes past 1 GiB and
 * extensible structs (INFO, STATS, BATCH entries); EBUSY for SET_BACKEND
 * only; EILSEQ for CHECK only. EINTR is left out: only a process being
 * killed sees it, and the fuzzer never kills a process it checks.
 */
errset documented_errors(enum cmd c, bool batch_entry)
{
	errset fault = batch_entry ? 0 : ERR(E_FAULT);

	switch (c) {
	case C_ALLOC:
		return ERR(E_INVAL) | ERR(E_2BIG) | ERR_RESOURCE | fault;
	case C_FREE:
		return ERR(E_INVAL) | ERR(E_NOENT) | fault;
	case C_GROW:
	case C_SHRINK:
	case C_REALLOC:
		return ERR(E_INVAL) | ERR(E_NOENT) | ERR(E_2BIG) | ERR_RESOURCE | fault;
	case C_WRITE:
		return ERR(E_INVAL) | ERR(E_NOENT) | ERR(E_RANGE) | ERR(E_FAULT) | ERR(E_NOMEM);
	case C_READ:
		return ERR(E_INVAL) | ERR(E_NOENT) | ERR(E_RANGE) | ERR(E_FAULT);
	case C_INFO:
		return ERR(E_INVAL) | ERR(E_NOENT) | ERR(E_2BIG) | ERR(E_FAULT);
	case C_STATS:
		return ERR(E_INVAL) | ERR(E_2BIG) | ERR(E_FAULT);
	case C_BATCH:
		return ERR(E_INVAL) | ERR(E_2BIG) | ERR(E_FAULT);
	case C_SET_BACKEND:
		return ERR(E_INVAL) | ERR(E_BUSY) | ERR(E_FAULT);
	case C_FILL:
		return ERR(E_INVAL) | ERR(E_NOENT) | ERR(E_RANGE);
	case C_CHECK:
		return ERR(E_INVAL) | ERR(E_NOENT) | ERR(E_RANGE) | ERR(E_ILSEQ);
	case C_BAD_OP:
		return ERR(E_INVAL);
	case C_UNKNOWN:
		return ERR(E_NOTTY);
	default:
		return 0;
	}
}

int err_to_bit(int neg_errno)
{
	for (int i = 0; i < E_COUNT; i++)
		if (err_table[i].err == -neg_errno)
			return i;
	return E_COUNT;
}

const char *err_name(int neg_errno)
{
	static _Thread_local char other[32];
	int b;

	if (!neg_errno)
		return "0";
	b = err_to_bit(neg_errno);
	if (b < E_COUNT)
		return err_table[b].name;
	snprintf(other, sizeof(other), "errno %d (%s)", -neg_errno, strerror(-neg_errno));
	return other;
}

void errset_format(errset s, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (int i = 0; i < E_COUNT && used < len; i++)
		if (s & ERR(i))
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 used ? "|" : "", err_table[i].name);
	if (!used)
		snprintf(buf, len, "none");
}

void describe(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	/* The op before this one goes into the history first. */
	if (w->desc[0]) {
		memcpy(w->history[w->nhistory % FUZZ_HISTORY], w->desc, FUZZ_DESC);
		w->nhistory++;
	}
	va_start(ap, fmt);
	vsnprintf(w->desc, sizeof(w->desc), fmt, ap);
	va_end(ap);
	if (run.trace)
		fprintf(stderr, "%s%u.%" PRIu64 ": %s\n", w->is_child ? "child " : "", w->id,
			w->op_index, w->desc);
}

void fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;
	unsigned int n, i;

	/* Every failure counts; the first is the one worth reading in full. */
	if (atomic_fetch_add(&run.errors, 1) > 0) {
		atomic_store(&run.stop, true);
		return;
	}
	atomic_store(&run.stop, true);
	pthread_mutex_lock(&run.report_lock);
	fflush(stdout);
	fprintf(stderr, "lalloc-fuzz: FAIL: seed %" PRIu64 ", %s %u, op %" PRIu64 ": %s\n",
		run.seed, w->is_child ? "child of worker" : "worker", w->id, w->op_index,
		w->desc);
	fprintf(stderr, "lalloc-fuzz: FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	n = w->nhistory < FUZZ_HISTORY ? w->nhistory : FUZZ_HISTORY;
	if (n)
		fprintf(stderr, "lalloc-fuzz: the worker's ops before it, oldest first:\n");
	for (i = w->nhistory - n; i < w->nhistory; i++)
		fprintf(stderr, "    %s\n", w->history[i % FUZZ_HISTORY]);
	fprintf(stderr, "lalloc-fuzz: replay: lalloc-fuzz --seed %" PRIu64
		" --threads 1 --ops %" PRIu64 " (one thread repeats the sequence)\n",
		run.seed, w->op_index + 1);
	pthread_mutex_unlock(&run.report_lock);
}

bool check_result(struct worker *w, enum cmd c, int ret, struct expect e, bool batch_entry)
{
	errset documented = documented_errors(c, batch_entry);
	int bit = err_to_bit(ret);
	char want[160];

	w->counts[c][ret != 0]++;
	if (ret && (bit == E_COUNT || !(documented & ERR(bit)))) {
		errset_format(documented, want, sizeof(want));
		fail(w, "%s%s returned %s, which the uapi does not document for it (documented: %s)",
		     batch_entry ? "BATCH entry " : "", cmd_names[c], err_name(ret), want);
		return false;
	}
	if (e.must) {
		if (!ret || !((e.must | e.may) & ERR(bit))) {
			errset_format(e.must | e.may, want, sizeof(want));
			fail(w, "%s%s returned %s; its arguments call for %s",
			     batch_entry ? "BATCH entry " : "", cmd_names[c], err_name(ret), want);
			return false;
		}
		return true;
	}
	if (ret && !(e.may & ERR(bit))) {
		errset_format(e.may, want, sizeof(want));
		fail(w, "%s%s returned %s for valid arguments (allowed: 0|%s)",
		     batch_entry ? "BATCH entry " : "", cmd_names[c], err_name(ret), want);
		return false;
	}
	return true;
}
