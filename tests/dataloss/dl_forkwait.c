// SPDX-License-Identifier: MIT
/*
 * A fork child handler that runs before the runtime's (this library's
 * constructor registers it first) and returns only once the parent has
 * exited: the child is then re-parented before the runtime's handler runs,
 * which is what a slow child sees when its parent exits at once.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

static pid_t parent;
static volatile int enabled;

void dl_forkwait_enable(void)
{
	enabled = 1;
}

static void prepare(void)
{
	parent = getpid();
}

static void child(void)
{
	while (enabled && getppid() == parent)
		sched_yield();
}

__attribute__((constructor)) static void init(void)
{
	pthread_atfork(prepare, NULL, child);
}
