// SPDX-License-Identifier: MIT
// C++ exceptions thrown through frames whose return addresses function_graph hooked.
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <ftrace_rt/ftrace_rt.h> // the public header compiles as C++

#define NOINLINE __attribute__((noinline))

static volatile long sink;

struct Guard {
	~Guard()
	{
		sink++;
	}
};

NOINLINE void cx_leaf()
{
	sink++;
}

NOINLINE void cx_thrower(int n)
{
	Guard g; // a cleanup landing pad on the way
	cx_leaf();
	if (n == 0)
		throw std::runtime_error("boom");
	cx_thrower(n - 1);
	sink--;
}

NOINLINE int cx_catcher(int i)
{
	try {
		cx_thrower(i % 5);
	} catch (const std::exception &e) {
		cx_leaf();
		return 1;
	}
	return 0;
}

NOINLINE int cx_rethrow(int i)
{
	try {
		try {
			cx_thrower(2);
		} catch (...) {
			cx_leaf();
			throw;
		}
	} catch (const std::runtime_error &) {
		return i;
	}
	return -1;
}

static_assert(sizeof(ftrace_rt_ops) == 4 * sizeof(void *), "C and C++ agree on the ops layout");

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100, caught = 0;

	for (int i = 0; i < n; i++) {
		caught += cx_catcher(i);
		caught += cx_rethrow(i) == i;
	}
	std::printf("caught %d of %d\n", caught, 2 * n);
	return caught == 2 * n ? 0 : 1;
}
