// SPDX-License-Identifier: MIT
/*
 * Library calls of the executable, traced through its PLT slots.
 *
 * A call to malloc() in the executable goes through its PLT entry, which
 * jumps through a GOT word (a JUMP_SLOT relocation) to malloc. Tracing it
 * points that word at a stub of ours (arch_plt_stub) that looks to the
 * trampoline like a patched site of a traced function: a slot ahead of its
 * entry holding the stub's own ops, a call into the slot trampoline, then a
 * jump through a word holding malloc's address. The stub's callback
 * (lib/dispatch/pltcb.c) calls the tracer's ops with the PLT entry as the
 * ip, so the data names the call malloc@plt as uftrace's does, and
 * function_graph hooks its return as any other.
 *
 * Nothing here changes code a thread may be running: the stubs are written
 * before any GOT word points at them, and then never change or go away (a
 * thread may have loaded a GOT word just before it was put back and enter
 * the stub any time later: it still finds valid code, its ops, and a target
 * that pltcb.c reads inside the read-side section). Attaching and detaching
 * are aligned 8-byte stores of a GOT word, which a calling thread reads
 * either before or after. GOT pages under RELRO are made writable only for
 * the stores and read-only again.
 *
 * vfork's slot gets a stub of its own (arch_plt_vfork_stub): the child
 * shares this thread's memory and TLS, so whatever it recorded would land in
 * the parent's buffer and shadow stack; the stub sets the recursion guard's
 * FRT_UNTRACED bit around vfork and clears it in the parent only.
 *
 * Left untraced: calls that return twice or never through their own return
 * (setjmp, getcontext...: a hooked return address would be taken again after
 * its shadow entry was gone), the unwinder's entry points and
 * __libc_start_main (as uftrace), longjmp and the exec family (uftrace's
 * readers expect no exit for them, and ours would come where setjmp returns
 * again or where exec closes the image's frames). A slot the loader has not bound yet
 * (lazy binding) is left alone: choosing its target as the loader would
 * (interposers such as our own exec hooks, symbol versions) is the loader's
 * business; `ftrace-rt record` runs programs with LD_BIND_NOW=1.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <urcu-bp.h>

#include "alloc.h"
#include "arch.h"
#include "elf_scan.h"
#include "guard.h"
#include "init.h"
#include "libcall.h"
#include "log.h"
#include "pltcb.h"
#include "sync.h"

bool frt_libcall_wanted;

#ifdef ARCH_HAS_PLT_STUB

static const char *const untraced[] = {
	"__libc_start_main",
	"execl",
	"execlp",
	"execle",
	"execv",
	"execvp",
	"execvpe",
	"execve",
	"fexecve",
	"longjmp",
	"_longjmp",
	"siglongjmp",
	"__longjmp_chk",
	"setjmp",
	"_setjmp",
	"__setjmp",
	"sigsetjmp",
	"__sigsetjmp",
	"savectx",
	"getcontext",
	"setcontext",
	"swapcontext",
	"makecontext",
	"__cxa_throw",
	"__cxa_rethrow",
	"__cxa_begin_catch",
	"__cxa_end_catch",
	"__cxa_finalize",
	"_Unwind_Resume",
	"_Unwind_RaiseException",
	"_Unwind_ForcedUnwind",
	"_Unwind_Resume_or_Rethrow",
	"__tls_get_addr",
	"__stack_chk_fail",
};

static pthread_mutex_t lc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t lc_once = PTHREAD_ONCE_INIT;

/*
 * fork() waits for an attach or detach in progress: a child must neither
 * inherit lc_lock held (its next detach would hang) nor GOT pages left
 * writable in the middle of set_gots().
 */
static void lc_prepare(void)
{
	pthread_mutex_lock(&lc_lock);
}

static void lc_release(void)
{
	pthread_mutex_unlock(&lc_lock);
}

static void lc_atfork(void)
{
	pthread_atfork(lc_prepare, lc_release, lc_release);
}
static struct {
	bool built;
	int error; /* of the build: given again to each attach */
	char why[160];
	uintptr_t *tramp_word;
	struct frt_plt_stub *data;
	uintptr_t **got;
	uintptr_t *stub_entry;
	uint32_t *name; /* of each stub's function, in names */
	char *names;
	size_t n;
	uintptr_t relro_lo, relro_hi; /* pages the loader made read-only */
	uintptr_t plt_lo, plt_hi;     /* the PLT: where an unbound GOT word points */
	bool attached;
	unsigned long unbound; /* slots the loader had not bound: not traced */
} lc;

struct main_obj {
	uintptr_t bias;
	uintptr_t relro_lo, relro_hi;
	bool found;
};

static int main_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct main_obj *m = arg;
	long pg = sysconf(_SC_PAGESIZE);

	(void)size;
	m->bias = info->dlpi_addr;
	m->found = true;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		/* the loader protects whole pages inside the segment (rounded down) */
		if (ph->p_type == PT_GNU_RELRO) {
			m->relro_lo = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)(pg - 1);
			m->relro_hi = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) &
				      ~(uintptr_t)(pg - 1);
		}
	}
	return 1; /* the executable comes first */
}

static bool is_untraced(const char *name)
{
	for (size_t i = 0; i < sizeof(untraced) / sizeof(untraced[0]); i++)
		if (!strcmp(name, untraced[i]))
			return true;
	return false;
}

static int fail(int err, const char *fmt, const char *arg)
{
	lc.error = err;
	snprintf(lc.why, sizeof(lc.why), fmt, arg);
	return err;
}

/* Where an initial-exec TLS variable of this thread is, from the thread pointer. */
static int32_t tp_offset(const void *var)
{
	return (int32_t)((const char *)var - (const char *)__builtin_thread_pointer());
}

static uintptr_t round_page(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) & ~(pg - 1);
}

/* Read the executable's PLT slots, bind them, and write the stubs. Once. */
static int build(void)
{
	struct frt_elf_plt p;
	struct main_obj m = {0};
	size_t stub_bytes, data_bytes, n = 0;
	uint8_t *map;
	int fd, ret;

	lc.built = true;
	dl_iterate_phdr(main_cb, &m);
	if (!m.found)
		return fail(-ENOENT, "%s", "the executable is not among the loaded objects");
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(-errno, "cannot open /proc/self/exe: %s", strerror(errno));
	ret = frt_elf_plt_read(fd, ARCH_R_JUMP_SLOT, &p);
	close(fd);
	if (ret)
		return fail(ret, "cannot read the executable's PLT: %s", strerror(-ret));
	lc.relro_lo = m.relro_lo;
	lc.plt_lo = m.bias + p.plt_lo;
	lc.plt_hi = m.bias + p.plt_hi;
	lc.relro_hi = m.relro_hi;
	/* vfork and __vfork take ARCH_PLT_VFORK_SIZE each */
	stub_bytes = round_page(p.n * ARCH_PLT_STUB_SIZE + 2 * ARCH_PLT_VFORK_SIZE);
	data_bytes = round_page(sizeof(uintptr_t) + p.n * sizeof(struct frt_plt_stub));
	map = mmap(NULL, stub_bytes + data_bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	lc.got = frt_calloc(p.n + 1, sizeof(*lc.got));
	lc.stub_entry = frt_calloc(p.n + 1, sizeof(*lc.stub_entry));
	lc.name = frt_calloc(p.n + 1, sizeof(*lc.name));
	lc.names = frt_calloc(p.names_len + 1, 1);
	if (map == MAP_FAILED || !lc.got || !lc.stub_entry || !lc.name || !lc.names) {
		if (map != MAP_FAILED)
			munmap(map, stub_bytes + data_bytes);
		frt_elf_plt_free(&p);
		return fail(-ENOMEM, "%s", "out of memory for the PLT stubs");
	}
	lc.tramp_word = (uintptr_t *)(map + stub_bytes);
	lc.data = (struct frt_plt_stub *)(map + stub_bytes + sizeof(uintptr_t));
	for (size_t i = 0, off = 0; i < p.n; i++) {
		const char *name = p.names + p.v[i].name;
		uintptr_t *got = (uintptr_t *)(m.bias + p.v[i].got);
		uintptr_t real = __atomic_load_n(got, __ATOMIC_ACQUIRE);
		uintptr_t at = (uintptr_t)map + off;
		bool vfork = !strcmp(name, "vfork") || !strcmp(name, "__vfork");

		if (is_untraced(name))
			continue;
		/*
		 * Not bound yet (lazy binding): the GOT word points back into the
		 * PLT. Binding it here would have to choose as the loader does
		 * (interposers, versions, IFUNCs); left to the loader: such a slot
		 * is not traced (LD_BIND_NOW=1 binds every slot at start-up, as
		 * `ftrace-rt record` sets it).
		 */
		if (real >= m.bias + p.plt_lo && real < m.bias + p.plt_hi) {
			lc.unbound++;
			continue;
		}
		if (!real)
			continue;
		lc.data[n] = (struct frt_plt_stub){
			.ops = {.func = frt_plt_cb, .flags = FTRACE_RT_OPS_F_NO_VECTOR},
			.plt_ip = m.bias + p.v[i].plt,
			.real = real,
		};
		if (vfork) {
			arch_plt_vfork_stub((uint8_t *)at, at, (uintptr_t)&lc.data[n].real,
					    tp_offset(&frt_in_callback), tp_offset(&frt_vfork_ret),
					    FRT_UNTRACED);
			lc.stub_entry[n] = at;
			off += ARCH_PLT_VFORK_SIZE;
		} else {
			arch_plt_stub((uint8_t *)at, at, (uintptr_t)&lc.data[n].ops,
				      (uintptr_t)lc.tramp_word, (uintptr_t)&lc.data[n].real);
			lc.stub_entry[n] = at + ARCH_PLT_STUB_ENTRY;
			off += ARCH_PLT_STUB_SIZE;
		}
		lc.got[n] = got;
		lc.name[n] = p.v[i].name;
		n++;
	}
	memcpy(lc.names, p.names, p.names_len);
	frt_elf_plt_free(&p);
	lc.n = n;
	if (mprotect(map, stub_bytes, PROT_READ | PROT_EXEC))
		return fail(-errno, "cannot make the PLT stubs executable: %s", strerror(errno));
	arch_flush((uintptr_t)map, stub_bytes);
	frt_sync_core(); /* new code: every core serializes before it can see a pointer to it */
	return 0;
}

/* Point every traced GOT word at its stub (@on) or back at its target. */
static int set_gots(bool on)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	bool prot = false;

	for (size_t i = 0; i < lc.n; i++) {
		uintptr_t a = (uintptr_t)lc.got[i];

		if (a >= lc.relro_lo && a < lc.relro_hi) {
			if (a < lo)
				lo = a;
			if (a + sizeof(uintptr_t) > hi)
				hi = a + sizeof(uintptr_t);
		}
	}
	if (hi) {
		lo &= ~(pg - 1);
		hi = (hi + pg - 1) & ~(pg - 1);
		if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE))
			return -errno;
		prot = true;
	}
	/*
	 * A word someone else rewrote since (the program, an audit module's
	 * la_symbind, another hooker) is theirs: attaching takes its value as
	 * the target, detaching leaves it alone. data[i].real is a word a stub
	 * jumps through: one aligned store, old or new target alike valid.
	 */
	for (size_t i = 0; i < lc.n; i++) {
		uintptr_t cur = __atomic_load_n(lc.got[i], __ATOMIC_ACQUIRE);

		if (on) {
			if (cur != lc.stub_entry[i] && (cur < lc.plt_lo || cur >= lc.plt_hi))
				__atomic_store_n(&lc.data[i].real, cur, __ATOMIC_RELEASE);
			__atomic_store_n(lc.got[i], lc.stub_entry[i], __ATOMIC_RELEASE);
		} else {
			uintptr_t stub = lc.stub_entry[i];

			__atomic_compare_exchange_n(lc.got[i], &stub, lc.data[i].real, false,
						    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
		}
	}
	if (prot && mprotect((void *)lo, hi - lo, PROT_READ))
		frt_msg("library calls: cannot make the GOT read-only again: %s", strerror(errno));
	return 0;
}

int frt_libcall_attach(struct ftrace_rt_ops *target, char *msg, size_t msglen)
{
	int ret = 0;

	if (msg && msglen)
		msg[0] = 0;
	pthread_once(&lc_once, lc_atfork);
	pthread_mutex_lock(&lc_lock);
	if (!lc.built)
		build();
	if (lc.error) {
		ret = lc.error;
		if (msg && msglen)
			snprintf(msg, msglen, "library calls not traced: %s", lc.why);
		goto out;
	}
	/* the trampoline the stubs enter: one that saves what the callback may clobber */
	__atomic_store_n(lc.tramp_word,
			 target->flags & FTRACE_RT_OPS_F_NO_VECTOR ? frt_tramps.slot_gpr
								   : frt_tramps.slot,
			 __ATOMIC_RELEASE);
	rcu_assign_pointer(frt_libcall_target, target);
	ret = set_gots(true);
	if (ret) {
		rcu_assign_pointer(frt_libcall_target, NULL);
		if (msg && msglen)
			snprintf(msg, msglen,
				 "library calls not traced: cannot make the GOT writable: %s",
				 strerror(-ret));
		goto out;
	}
	lc.attached = true;
	if (lc.unbound && msg && msglen)
		snprintf(msg, msglen,
			 "library calls: %lu functions the loader has not bound yet are not traced "
			 "(LD_BIND_NOW=1 binds them at start-up)",
			 lc.unbound);
out:
	pthread_mutex_unlock(&lc_lock);
	return ret;
}

void frt_libcall_detach(void)
{
	pthread_mutex_lock(&lc_lock);
	if (lc.attached) {
		int ret = set_gots(false);

		if (ret)
			frt_msg("library calls: cannot make the GOT writable to put it back: %s; "
				"their stubs stay in place and record nothing",
				strerror(-ret));
		lc.attached = false;
	}
	/* the caller's unregister waits a grace period: no stub calls the target after it */
	rcu_assign_pointer(frt_libcall_target, NULL);
	pthread_mutex_unlock(&lc_lock);
}

unsigned long frt_libcall_count(void)
{
	return lc.attached ? lc.n : 0;
}

const char *frt_libcall_name(uintptr_t ip)
{
	const char *name = NULL;

	pthread_mutex_lock(&lc_lock);
	for (size_t i = 0; i < lc.n && !name; i++)
		if (lc.data[i].plt_ip == ip)
			name = lc.names + lc.name[i];
	pthread_mutex_unlock(&lc_lock);
	return name;
}

#else /* !ARCH_HAS_PLT_STUB */

int frt_libcall_attach(struct ftrace_rt_ops *target, char *msg, size_t msglen)
{
	(void)target;
	if (msg && msglen)
		snprintf(msg, msglen, "library calls are not traced on %s yet", ARCH_NAME);
	return -ENOSYS;
}

void frt_libcall_detach(void)
{
}

unsigned long frt_libcall_count(void)
{
	return 0;
}

const char *frt_libcall_name(uintptr_t ip)
{
	(void)ip;
	return NULL;
}

#endif
