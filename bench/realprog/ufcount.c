// SPDX-License-Identifier: MIT
/*
 * Count the records of uftrace-format data files (uftrace's and ftrace_rt's
 * DIR/<tid>.dat: 16-byte records, {u64 time; u64 type:2, more:1, magic:3,
 * depth:10, addr:48}), by type: entry, exit, lost (the number of records the
 * writer says it dropped is the record's addr), event; records whose magic is
 * wrong are counted as bad. Data with arguments or return values (more = 1,
 * recorded only with uftrace -A/-R/-a) is refused: the bench never asks for it.
 * Prints: entries exits lost_records lost_count events bad_records
 *
 * usage: ufcount FILE.dat...
 */
#include <stdint.h>
#include <stdio.h>

#define RECORD_MAGIC 5

int main(int argc, char **argv)
{
	unsigned long long n[4] = {0}, lost = 0, bad = 0;
	static uint64_t buf[65536 * 2];

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t got;

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		while ((got = fread(buf, 16, 65536, f)) > 0) {
			for (size_t r = 0; r < got; r++) {
				uint64_t w = buf[2 * r + 1];
				unsigned type = w & 3, more = (w >> 2) & 1, magic = (w >> 3) & 7;

				if (magic != RECORD_MAGIC) {
					bad++;
					continue;
				}
				n[type]++;
				if (type == 2)
					lost += w >> 16;
				if (more) {
					fprintf(stderr, "%s: a record with argument data\n",
						argv[i]);
					return 1;
				}
			}
		}
		fclose(f);
	}
	printf("%llu %llu %llu %llu %llu %llu\n", n[0], n[1], n[2], lost, n[3], bad);
	return 0;
}
