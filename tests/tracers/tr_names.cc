// SPDX-License-Identifier: MIT
// C++ names for filter patterns over demangled names (Registry::get, shapes::*).
#include <cstdio>
#include <cstdlib>

#define NOINLINE __attribute__((noinline))

static volatile long sink;

class Registry
{
      public:
	NOINLINE int get(int k);
	NOINLINE void set(int k, int v);

      private:
	int v_[8] = {};
};

int Registry::get(int k)
{
	return v_[k & 7];
}

void Registry::set(int k, int v)
{
	v_[k & 7] = v;
}

namespace shapes
{
struct Circle {
	double r;
	NOINLINE double area() const
	{
		return 3.0 * r * r;
	}
};
struct Square {
	double s;
	NOINLINE double area() const
	{
		return s * s;
	}
};
NOINLINE double total(const Circle &c, const Square &s)
{
	return c.area() + s.area();
}
} // namespace shapes

NOINLINE double other_area(double x)
{
	return x * 2;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;
	Registry reg;
	double sum = 0;

	for (int i = 0; i < n; i++) {
		reg.set(i, i);
		sink += reg.get(i);
		sum += shapes::total(shapes::Circle{1.0 * i}, shapes::Square{2.0});
		sum += other_area(i);
	}
	std::printf("sum %.0f sink %ld\n", sum, (long)sink);
	return 0;
}
