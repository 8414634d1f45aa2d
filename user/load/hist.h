/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log-linear latency histogram in the manner of HdrHistogram: values in nanoseconds, every
 * power-of-two range split into 2^sub linear buckets, so a recorded value is kept to within
 * 1 part in 2^sub (sub = 10 gives 3 significant digits) from 1 ns up to HIST_MAX_NS (1 h).
 * Fixed-size, no allocation on the record path, mergeable, one per worker: nothing is shared.
 */
#ifndef VP_LOAD_HIST_H
#define VP_LOAD_HIST_H

#include <stdint.h>

#define HIST_MIN_NS 1000ULL		      /* reported range starts at 1 us ... */
#define HIST_MAX_NS (3600ULL * 1000000000ULL) /* ... and ends at 1 h; larger values clamp */

struct hist {
	int sub_mag; /* log2 of linear buckets per half range (10: 3 significant digits) */
	int counts_len;
	uint64_t *counts;
	uint64_t total;
	uint64_t min, max; /* exact */
	double sum, sumsq; /* exact mean and stddev, not bucket midpoints */
};

/* digits: 2 or 3 significant decimal digits.  Returns 0 or -ENOMEM. */
int hist_init(struct hist *h, int digits);
void hist_free(struct hist *h);
void hist_reset(struct hist *h);

/* Hot path: a few shifts and one add. */
static inline int hist_index(const struct hist *h, uint64_t v)
{
	int half = 1 << h->sub_mag;
	uint64_t mask = ((uint64_t)half << 1) - 1;
	int pow2ceil = 64 - __builtin_clzll(v | mask);
	int bucket = pow2ceil - (h->sub_mag + 1);
	int sub = (int)(v >> bucket);

	return ((bucket + 1) << h->sub_mag) + (sub - half);
}

static inline void hist_record(struct hist *h, uint64_t v)
{
	if (v > HIST_MAX_NS)
		v = HIST_MAX_NS;
	h->counts[hist_index(h, v)]++;
	h->total++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->sum += (double)v;
	h->sumsq += (double)v * (double)v;
}

/* Add src into dst (same digits).  -EINVAL when they differ. */
int hist_merge(struct hist *dst, const struct hist *src);
/* Smallest and largest value that land in bucket i. */
uint64_t hist_bucket_lo(const struct hist *h, int i);
uint64_t hist_bucket_hi(const struct hist *h, int i);
/* Value at percentile p (0..100]: the highest value equivalent to the bucket holding the
 * ceil(p% * total)-th sample, capped at the exact max.  0 when empty. */
uint64_t hist_percentile(const struct hist *h, double p);
double hist_mean(const struct hist *h);
double hist_stddev(const struct hist *h);

/* What a report prints of one histogram. */
struct hist_summary {
	uint64_t count;
	double mean_ns, stddev_ns;
	uint64_t min_ns, p50_ns, p90_ns, p99_ns, p999_ns, max_ns;
};

void hist_summarize(const struct hist *h, struct hist_summary *out);

#endif
