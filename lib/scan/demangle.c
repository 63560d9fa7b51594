// SPDX-License-Identifier: MIT
/*
 * Itanium C++ ABI demangler, simple form: names, nested names, templates,
 * substitutions, std abbreviations, operators, constructors and destructors,
 * local names, lambdas, ABI tags. Parameter lists are skipped, including
 * those of the function enclosing a local name (f()::A::g() -> f::A::g).
 * Everything is built by appending to one fixed arena; substitution candidates
 * and template arguments are copied into fixed pools so that the arena can be
 * rearranged. Any overflow or unknown production fails the whole name.
 */
#include "demangle.h"

#include <stdio.h>
#include <string.h>

#define ARENA	 4096
#define POOL	 8192
#define NSUBS	 128
#define MAXDEPTH 64

struct span {
	unsigned off, len;
};

struct dm {
	const char *p, *end;
	bool fail;
	int depth;
	unsigned n; /* arena length */
	char a[ARENA];
	unsigned pooln;
	char pool[POOL];
	struct span subs[NSUBS];
	unsigned nsubs;
	struct span targs[NSUBS];
	unsigned ntargs;
	const char *ctor; /* a constructor's name from an abbreviation, else NULL */
};

static void put(struct dm *d, const char *s, size_t len)
{
	if (d->fail || len > ARENA - d->n) {
		d->fail = true;
		return;
	}
	memcpy(d->a + d->n, s, len);
	d->n += len;
}

static void puts_(struct dm *d, const char *s)
{
	put(d, s, strlen(s));
}

static bool pool_add(struct dm *d, struct span *tab, unsigned *n, unsigned from)
{
	unsigned len = d->n - from;

	if (d->fail || *n >= NSUBS || len > POOL - d->pooln)
		return !(d->fail = true);
	memcpy(d->pool + d->pooln, d->a + from, len);
	tab[(*n)++] = (struct span){d->pooln, len};
	d->pooln += len;
	return true;
}

static void add_sub(struct dm *d, unsigned from)
{
	pool_add(d, d->subs, &d->nsubs, from);
}

static char peek(struct dm *d, int i)
{
	return d->end - d->p > i ? d->p[i] : 0;
}

static bool eat(struct dm *d, char c)
{
	if (peek(d, 0) == c) {
		d->p++;
		return true;
	}
	return false;
}

/* A non-negative decimal number; -1 if none. */
static long number(struct dm *d)
{
	long v = 0;

	if (peek(d, 0) < '0' || peek(d, 0) > '9')
		return -1;
	while (peek(d, 0) >= '0' && peek(d, 0) <= '9') {
		v = v * 10 + (*d->p++ - '0');
		if (v > 100000)
			return -1;
	}
	return v;
}

/* <seq-id> _ ; returns the index or -1 */
static long seq_id(struct dm *d)
{
	long v = 0;

	if (eat(d, '_'))
		return 0;
	while (1) {
		char c = peek(d, 0);

		if (c >= '0' && c <= '9')
			v = v * 36 + (c - '0');
		else if (c >= 'A' && c <= 'Z')
			v = v * 36 + (c - 'A' + 10);
		else
			break;
		d->p++;
		if (v > 100000)
			return -1;
	}
	return eat(d, '_') ? v + 1 : -1;
}

static void type(struct dm *d);
static void name(struct dm *d, bool *is_type);
static void template_args(struct dm *d, bool top);
static void encoding(struct dm *d, bool skip_params);

static void source_name(struct dm *d)
{
	long len = number(d);

	if (len <= 0 || d->end - d->p < len) {
		d->fail = true;
		return;
	}
	if (len >= 10 && !strncmp(d->p, "_GLOBAL__N", 10))
		puts_(d, "(anonymous namespace)");
	else
		put(d, d->p, len);
	d->p += len;
}

static const struct {
	char code[3];
	const char *name;
} ops[] = {
	{"nw", "new"}, {"na", "new[]"}, {"dl", "delete"}, {"da", "delete[]"}, {"ps", "+"},
	{"ng", "-"},   {"ad", "&"},	{"de", "*"},	  {"co", "~"},	      {"pl", "+"},
	{"mi", "-"},   {"ml", "*"},	{"dv", "/"},	  {"rm", "%"},	      {"an", "&"},
	{"or", "|"},   {"eo", "^"},	{"aS", "="},	  {"pL", "+="},	      {"mI", "-="},
	{"mL", "*="},  {"dV", "/="},	{"rM", "%="},	  {"aN", "&="},	      {"oR", "|="},
	{"eO", "^="},  {"ls", "<<"},	{"rs", ">>"},	  {"lS", "<<="},      {"rS", ">>="},
	{"eq", "=="},  {"ne", "!="},	{"lt", "<"},	  {"gt", ">"},	      {"le", "<="},
	{"ge", ">="},  {"ss", "<=>"},	{"nt", "!"},	  {"aa", "&&"},	      {"oo", "||"},
	{"pp", "++"},  {"mm", "--"},	{"cm", ","},	  {"pm", "->*"},      {"pt", "->"},
	{"cl", "()"},  {"ix", "[]"},	{"qu", "?"},	  {"aw", "co_await"},
};

/* Appends the unqualified name; @last gets the span of a plain source name (for ctors). */
static void unqualified(struct dm *d, struct span *last)
{
	char c = peek(d, 0), c1 = peek(d, 1);
	unsigned from = d->n;

	if (c == 'L') /* internal linkage */
		d->p++, c = c1, c1 = peek(d, 1);
	if (c >= '1' && c <= '9') {
		source_name(d);
		*last = (struct span){from, d->n - from};
		d->ctor = NULL;
	} else if (c == 'C' || c == 'D') {
		bool dtor = c == 'D';

		if ((dtor && (c1 < '0' || c1 > '2')) ||
		    (!dtor && !((c1 >= '1' && c1 <= '5') || c1 == 'I'))) {
			d->fail = true;
			return;
		}
		d->p += 2;
		if (c1 == 'I') { /* inheriting constructor: CI1 <type> */
			if (peek(d, 0) < '1' || peek(d, 0) > '2') {
				d->fail = true;
				return;
			}
			d->p++;
			unsigned t = d->n;
			type(d);
			d->n = t;
		}
		if (dtor)
			puts_(d, "~");
		if (d->ctor) {
			puts_(d, d->ctor);
			goto tags;
		}
		if (!last->len) {
			d->fail = true;
			return;
		}
		char tmp[256];
		if (last->len > sizeof(tmp)) {
			d->fail = true;
			return;
		}
		memcpy(tmp, d->a + last->off, last->len);
		put(d, tmp, last->len);
	} else if (c == 'U' && c1 == 't') { /* unnamed type */
		d->p += 2;
		long n = number(d);
		char buf[48];

		if (!eat(d, '_')) {
			d->fail = true;
			return;
		}
		snprintf(buf, sizeof(buf), "{unnamed type#%ld}", n < 0 ? 1 : n + 2);
		puts_(d, buf);
	} else if (c == 'U' && c1 == 'l') { /* lambda: Ul <types> E [n] _ */
		d->p += 2;
		puts_(d, "{lambda(");
		bool first = true;
		while (!d->fail && peek(d, 0) && peek(d, 0) != 'E') {
			if (eat(d, 'v') && peek(d, 0) == 'E')
				break;
			if (!first)
				puts_(d, ", ");
			first = false;
			type(d);
		}
		if (!eat(d, 'E')) {
			d->fail = true;
			return;
		}
		long n = number(d);
		char buf[48];

		if (!eat(d, '_')) {
			d->fail = true;
			return;
		}
		snprintf(buf, sizeof(buf), ")#%ld}", n < 0 ? 1 : n + 2);
		puts_(d, buf);
	} else if (c >= 'a' && c <= 'z' && c1) {
		d->p += 2;
		if (c == 'c' && c1 == 'v') { /* conversion operator */
			puts_(d, "operator ");
			type(d);
		} else if (c == 'l' && c1 == 'i') { /* literal operator */
			puts_(d, "operator\"\" ");
			source_name(d);
		} else {
			size_t i;

			for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
				if (ops[i].code[0] == c && ops[i].code[1] == c1)
					break;
			if (i == sizeof(ops) / sizeof(ops[0])) {
				d->fail = true;
				return;
			}
			puts_(d, "operator");
			const char *o = ops[i].name;
			if (*o >= 'a' && *o <= 'z')
				puts_(d, " ");
			puts_(d, o);
		}
	} else {
		d->fail = true;
		return;
	}
tags:
	while (!d->fail && peek(d, 0) == 'B') { /* ABI tags */
		d->p++;
		puts_(d, "[abi:");
		source_name(d);
		puts_(d, "]");
	}
}

/*
 * S_, S<seq>_, St/Sa/Sb/Ss/Si/So/Sd. Appends; returns true if it was an
 * abbreviation. Ss/Si/So/Sd are written out in full (std::string::size is
 * std::basic_string<char, ...>::size), as c++filt shows them; d->ctor gets the
 * template's name, for a constructor that follows.
 */
static bool substitution(struct dm *d, bool *is_std_prefix)
{
	static const struct {
		char c;
		const char *full, *name;
	} full[] = {
		{'s', "std::basic_string<char, std::char_traits<char>, std::allocator<char> >",
		 "basic_string"},
		{'i', "std::basic_istream<char, std::char_traits<char> >", "basic_istream"},
		{'o', "std::basic_ostream<char, std::char_traits<char> >", "basic_ostream"},
		{'d', "std::basic_iostream<char, std::char_traits<char> >", "basic_iostream"},
	};
	char c = peek(d, 1);

	*is_std_prefix = false;
	d->p++; /* 'S' */
	for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
		if (full[i].c == c) {
			d->p++;
			puts_(d, full[i].full);
			d->ctor = full[i].name;
			return true;
		}
	}
	switch (c) {
	case 't':
		d->p++;
		*is_std_prefix = true;
		return true;
	case 'a':
		d->p++;
		puts_(d, "std::allocator");
		d->ctor = "allocator";
		return true;
	case 'b':
		d->p++;
		puts_(d, "std::basic_string");
		d->ctor = "basic_string";
		return true;
	case 's':
		d->p++;
		puts_(d, "std::string");
		return true;
	case 'i':
		d->p++;
		puts_(d, "std::istream");
		return true;
	case 'o':
		d->p++;
		puts_(d, "std::ostream");
		return true;
	case 'd':
		d->p++;
		puts_(d, "std::iostream");
		return true;
	}
	long i = seq_id(d);
	if (i < 0 || (unsigned long)i >= d->nsubs) {
		d->fail = true;
		return false;
	}
	put(d, d->pool + d->subs[i].off, d->subs[i].len);
	return false;
}

static void template_param(struct dm *d)
{
	d->p++; /* 'T' */
	long i = seq_id(d);

	if (i < 0 || (unsigned long)i >= d->ntargs) {
		d->fail = true;
		return;
	}
	put(d, d->pool + d->targs[i].off, d->targs[i].len);
}

/*
 * The last component of a substituted name, without template arguments, for a
 * constructor or destructor that follows it: "ns::Foo<int>" -> "Foo".
 */
static struct span last_name(struct dm *d, unsigned from)
{
	unsigned start = from, end = d->n, i;
	int depth = 0;

	for (i = from; i < d->n; i++) {
		char c = d->a[i];

		if (c == '<' && !depth++)
			end = i;
		else if (c == '>' && depth)
			depth--;
		else if (!depth && c == ':' && i + 1 < d->n && d->a[i + 1] == ':')
			start = i + 2, end = d->n;
	}
	if (end < start)
		end = start;
	return (struct span){start, end - start};
}

/* N [CV] [ref] <prefix>... E */
static void nested(struct dm *d, bool *is_type)
{
	struct span last = {0, 0};
	unsigned from = d->n;
	int comps = 0;

	d->p++; /* 'N' */
	while (peek(d, 0) == 'r' || peek(d, 0) == 'V' || peek(d, 0) == 'K')
		d->p++; /* qualifiers of a member function: after the parameters, dropped */
	if (peek(d, 0) == 'R' || peek(d, 0) == 'O')
		d->p++;
	while (!d->fail && !eat(d, 'E')) {
		char c = peek(d, 0);

		if (!c) {
			d->fail = true;
			return;
		}
		if (c == 'I') {
			if (!comps) {
				d->fail = true;
				return;
			}
			template_args(d, d->depth <= 2);
		} else {
			if (comps && c != 'M')
				puts_(d, "::");
			if (c == 'S') {
				bool std;

				unsigned at = d->n;

				comps++;
				if (!substitution(d, &std)) {
					last = last_name(d, at);
					d->ctor = NULL;
				} else if (std)
					puts_(d, "std");
				/* "std", an abbreviation or a substitution: no new candidate */
				continue;
			} else if (c == 'T') {
				template_param(d);
			} else if (c == 'M') { /* data-member prefix (closure in initializer) */
				d->p++;
				continue;
			} else {
				unqualified(d, &last);
			}
			comps++;
		}
		if (peek(d, 0) != 'E')
			add_sub(d, from);
	}
	*is_type = true;
}

static void local(struct dm *d)
{
	d->p++; /* 'Z' */
	encoding(d, true);
	if (!eat(d, 'E')) {
		d->fail = true;
		return;
	}
	puts_(d, "::");
	if (eat(d, 's')) {
		puts_(d, "string literal");
	} else {
		bool t;
		if (eat(d, 'd')) { /* default argument: d [n] _ */
			number(d);
			if (!eat(d, '_'))
				d->fail = true;
		}
		name(d, &t);
	}
	if (eat(d, '_')) { /* discriminator */
		if (eat(d, '_')) {
			number(d);
			eat(d, '_');
		} else if (peek(d, 0) >= '0' && peek(d, 0) <= '9') {
			d->p++;
		}
	}
}

static void name(struct dm *d, bool *is_type)
{
	char c = peek(d, 0);
	unsigned from = d->n;

	if (++d->depth > MAXDEPTH) {
		d->fail = true;
		return;
	}
	*is_type = false;
	if (c == 'N') {
		nested(d, is_type);
	} else if (c == 'Z') {
		local(d);
	} else {
		struct span last = {0, 0};

		if (c == 'S') {
			bool std;

			if (peek(d, 1) == 't') {
				substitution(d, &std);
				puts_(d, "std::");
				unqualified(d, &last);
				if (peek(d, 0) == 'I')
					add_sub(d, from);
			} else {
				substitution(d, &std);
			}
		} else {
			unqualified(d, &last);
			if (peek(d, 0) == 'I')
				add_sub(d, from);
		}
		if (!d->fail && peek(d, 0) == 'I')
			template_args(d, d->depth <= 2);
	}
	d->depth--;
}

static const struct {
	char c;
	const char *name;
} builtins[] = {
	{'v', "void"},	      {'w', "wchar_t"},
	{'b', "bool"},	      {'c', "char"},
	{'a', "signed char"}, {'h', "unsigned char"},
	{'s', "short"},	      {'t', "unsigned short"},
	{'i', "int"},	      {'j', "unsigned int"},
	{'l', "long"},	      {'m', "unsigned long"},
	{'x', "long long"},   {'y', "unsigned long long"},
	{'n', "__int128"},    {'o', "unsigned __int128"},
	{'f', "float"},	      {'d', "double"},
	{'e', "long double"}, {'g', "__float128"},
	{'z', "..."},
};

/* Moves arena[from..mid) after arena[mid..n): "AB" -> "BA". */
static void rotate(struct dm *d, unsigned from, unsigned mid)
{
	unsigned la = mid - from, lb = d->n - mid;

	if (d->fail || d->n + la > ARENA) {
		d->fail = true;
		return;
	}
	memcpy(d->a + d->n, d->a + from, la);
	memmove(d->a + from, d->a + mid, lb + la);
}

static void function_type(struct dm *d)
{
	/* F [Y] <ret> <params> [R|O] E -> "ret (params)" */
	d->p++;
	eat(d, 'Y');
	type(d);
	puts_(d, " (");
	bool first = true;
	while (!d->fail && peek(d, 0) != 'E') {
		if (!peek(d, 0)) {
			d->fail = true;
			return;
		}
		if ((peek(d, 0) == 'R' || peek(d, 0) == 'O') && peek(d, 1) == 'E') {
			d->p++;
			continue;
		}
		if (peek(d, 0) == 'v' && peek(d, 1) == 'E') {
			d->p++;
			continue;
		}
		if (!first)
			puts_(d, ", ");
		first = false;
		type(d);
	}
	d->p++;
	puts_(d, ")");
}

static void type(struct dm *d)
{
	char c = peek(d, 0), c1 = peek(d, 1);
	unsigned from = d->n;
	size_t i;

	if (++d->depth > MAXDEPTH || !c) {
		d->fail = true;
		return;
	}
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		if (builtins[i].c == c) {
			d->p++;
			puts_(d, builtins[i].name);
			d->depth--;
			return;
		}
	}
	switch (c) {
	case 'r':
	case 'V':
	case 'K': {
		const char *q[3];
		int nq = 0;

		while (peek(d, 0) == 'r' || peek(d, 0) == 'V' || peek(d, 0) == 'K')
			q[nq++ % 3] = *d->p++ == 'K'	? " const"
				      : d->p[-1] == 'V' ? " volatile"
							: " restrict";
		if (nq > 3) {
			d->fail = true;
			break;
		}
		type(d);
		while (nq--)
			puts_(d, q[nq]);
		add_sub(d, from);
		break;
	}
	case 'P':
	case 'R':
	case 'O':
		d->p++;
		type(d);
		puts_(d, c == 'P' ? "*" : c == 'R' ? "&" : "&&");
		add_sub(d, from);
		break;
	case 'F':
		function_type(d);
		add_sub(d, from);
		break;
	case 'A': { /* A <dim> _ <type> -> "type [dim]" */
		char dim[24];
		long n;

		d->p++;
		n = number(d);
		if (!eat(d, '_')) {
			d->fail = true;
			break;
		}
		type(d);
		if (n >= 0)
			snprintf(dim, sizeof(dim), " [%ld]", n);
		else
			snprintf(dim, sizeof(dim), " []");
		puts_(d, dim);
		add_sub(d, from);
		break;
	}
	case 'M': { /* M <class> <member type> -> "member class::*" or "ret (class::*)(args)" */
		d->p++;
		type(d);
		puts_(d, "::*");
		unsigned mid = d->n;
		const char *q = d->p;

		while (q < d->end && (*q == 'r' || *q == 'V' || *q == 'K'))
			q++; /* a member function's own qualifiers: dropped with its parameters */
		if (!d->fail && q < d->end && *q == 'F') {
			d->p = q;
			function_type(d);
			if (d->fail)
				break;
			/* "ret (args)": the class goes in before the parameter list */
			char *paren = memchr(d->a + mid, '(', d->n - mid);

			rotate(d, from, mid); /* "ret (args)A::*" */
			if (d->fail || !paren)
				break;
			unsigned at = from + (unsigned)(paren - (d->a + mid)),
				 cls = d->n - (mid - from);

			puts_(d, ")");
			rotate(d, at, cls); /* "ret A::*)(args)" */
			if (d->fail)
				break;
			unsigned end = d->n;
			puts_(d, "(");
			rotate(d, at, end); /* "ret (A::*)(args)" */
		} else {
			type(d);
			puts_(d, " ");
			rotate(d, from, mid); /* "A::*int " -> "int A::*" */
		}
		add_sub(d, from);
		break;
	}
	case 'T':
		template_param(d);
		add_sub(d, from);
		if (peek(d, 0) == 'I') {
			template_args(d, false);
			add_sub(d, from);
		}
		break;
	case 'S':
		if (c1 != 't' && c1 != 'a' && c1 != 'b' && c1 != 's' && c1 != 'i' && c1 != 'o' &&
		    c1 != 'd') {
			bool std;

			substitution(d, &std);
			if (peek(d, 0) == 'I') {
				template_args(d, false);
				add_sub(d, from);
			}
			break;
		}
		__attribute__((fallthrough)); /* a name starting with a std abbreviation */
	case 'N':
	case 'Z':
	case '1' ... '9': {
		bool t;

		name(d, &t);
		add_sub(d, from);
		break;
	}
	case 'D':
		if (!c1) {
			d->fail = true;
			break;
		}
		d->p += 2;
		switch (c1) {
		case 'n':
			puts_(d, "decltype(nullptr)");
			break;
		case 'i':
			puts_(d, "char32_t");
			break;
		case 's':
			puts_(d, "char16_t");
			break;
		case 'u':
			puts_(d, "char8_t");
			break;
		case 'a':
			puts_(d, "auto");
			break;
		case 'c':
			puts_(d, "decltype(auto)");
			break;
		case 'p': /* pack expansion */
			type(d);
			puts_(d, "...");
			add_sub(d, from);
			break;
		default:
			d->fail = true;
		}
		break;
	default:
		d->fail = true;
	}
	d->depth--;
}

static void literal(struct dm *d)
{
	/* L <builtin type> [n] <digits> E */
	static const char *const suffix[] = {
		['i'] = "", ['j'] = "u", ['l'] = "l", ['m'] = "ul", ['x'] = "ll", ['y'] = "ull"};
	char c = peek(d, 0);

	d->p++;
	if (c == 'b' && (peek(d, 0) == '0' || peek(d, 0) == '1') && peek(d, 1) == 'E') {
		puts_(d, *d->p == '1' ? "true" : "false");
		d->p += 2;
		return;
	}
	const char *suf = NULL;
	if (c >= 'a' && c <= 'z' && (size_t)c < sizeof(suffix) / sizeof(suffix[0]))
		suf = suffix[(int)c];
	if (!suf) {
		d->p--;
		puts_(d, "(");
		type(d);
		puts_(d, ")");
	}
	if (eat(d, 'n'))
		puts_(d, "-");
	const char *s = d->p;
	while (peek(d, 0) >= '0' && peek(d, 0) <= '9')
		d->p++;
	if (s == d->p || !eat(d, 'E')) {
		d->fail = true;
		return;
	}
	put(d, s, d->p - 1 - s);
	if (suf)
		puts_(d, suf);
}

static void template_arg(struct dm *d)
{
	char c = peek(d, 0);

	if (c == 'L') {
		d->p++;
		if (peek(d, 0) == '_' && peek(d, 1) == 'Z') {
			d->fail = true; /* external names in arguments: not handled */
			return;
		}
		literal(d);
	} else if (c == 'J') {
		d->p++;
		bool first = true;
		while (!d->fail && !eat(d, 'E')) {
			if (!first)
				puts_(d, ", ");
			first = false;
			template_arg(d);
		}
	} else if (c == 'X') {
		d->fail = true; /* expressions: not handled */
	} else {
		type(d);
	}
}

static void template_args(struct dm *d, bool top)
{
	bool first = true, last_empty = false;

	const char *ctor = d->ctor; /* the arguments' own names are not the constructor's */

	d->p++; /* 'I' */
	if (top)
		d->ntargs = 0;
	if (d->n && d->a[d->n - 1] == '<')
		puts_(d, " "); /* operator<< <T> */
	puts_(d, "<");
	while (!d->fail && !eat(d, 'E')) {
		unsigned a = d->n;

		if (!peek(d, 0)) {
			d->fail = true;
			return;
		}
		if (!first)
			puts_(d, ", ");
		a = d->n;
		template_arg(d);
		if (top)
			pool_add(d, d->targs, &d->ntargs, a);
		last_empty = d->n == a; /* an empty pack: no separator (as c++filt) */
		if (last_empty && !first)
			d->n -= 2;
		first = false;
	}
	if (d->n && d->a[d->n - 1] == '>' && !last_empty)
		puts_(d, " ");
	puts_(d, ">");
	d->ctor = ctor;
}

/* <encoding> ::= <name> [<bare-function-type>] */
static void encoding(struct dm *d, bool skip_params)
{
	bool t;

	if (++d->depth > MAXDEPTH) {
		d->fail = true;
		return;
	}
	name(d, &t);
	if (skip_params && !d->fail) {
		unsigned keep = d->n;

		while (!d->fail && peek(d, 0) && peek(d, 0) != 'E' && peek(d, 0) != '.')
			type(d);
		d->n = keep;
	}
	d->depth--;
}

bool frt_demangle_simple(const char *mangled, char *out, size_t outlen)
{
	struct dm d;
	size_t len;

	if (!mangled || strncmp(mangled, "_Z", 2) || !outlen)
		return false;
	len = strnlen(mangled, ARENA);
	if (len >= ARENA)
		return false;
	d.p = mangled + 2;
	d.end = mangled + len;
	d.fail = false;
	d.depth = 0;
	d.n = 0;
	d.pooln = 0;
	d.nsubs = 0;
	d.ntargs = 0;
	d.ctor = NULL;
	/* special names (vtables, thunks, guard variables) are left mangled */
	if (peek(&d, 0) == 'T' || peek(&d, 0) == 'G')
		return false;
	encoding(&d, false);
	if (d.fail || !d.n || d.n >= outlen || d.n > FRT_DEMANGLE_MAX)
		return false;
	memcpy(out, d.a, d.n);
	out[d.n] = 0;
	return true;
}
