// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "load/hist.h"

int hist_init(struct hist *h, int digits)
{
	/* 2 * 10^digits linear buckets per power of two give a relative error below 10^-digits. */
	int sub_mag = digits >= 3 ? 10 : 7;
	int bits = 64 - __builtin_clzll(HIST_MAX_NS);

	memset(h, 0, sizeof(*h));
	h->sub_mag = sub_mag;
	h->counts_len = (bits - sub_mag + 1) << sub_mag;
	h->counts = calloc((size_t)h->counts_len, sizeof(*h->counts));
	if (!h->counts)
		return -ENOMEM;
	h->min = UINT64_MAX;
	return 0;
}

void hist_free(struct hist *h)
{
	free(h->counts);
	h->counts = NULL;
}

void hist_reset(struct hist *h)
{
	memset(h->counts, 0, (size_t)h->counts_len * sizeof(*h->counts));
	h->total = 0;
	h->min = UINT64_MAX;
	h->max = 0;
	h->sum = h->sumsq = 0;
}

int hist_merge(struct hist *dst, const struct hist *src)
{
	if (dst->sub_mag != src->sub_mag)
		return -EINVAL;
	if (!src->total)
		return 0;
	for (int i = 0; i < dst->counts_len; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->sum += src->sum;
	dst->sumsq += src->sumsq;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

uint64_t hist_bucket_lo(const struct hist *h, int i)
{
	int half = 1 << h->sub_mag;
	int bucket = (i >> h->sub_mag) - 1;
	uint64_t sub = (uint64_t)(i & (half - 1)) + half;

	if (bucket < 0)
		return (uint64_t)i; /* the first 2*half values are exact */
	return sub << bucket;
}

uint64_t hist_bucket_hi(const struct hist *h, int i)
{
	int bucket = (i >> h->sub_mag) - 1;

	if (bucket < 0)
		return (uint64_t)i;
	return hist_bucket_lo(h, i) + (1ULL << bucket) - 1;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	uint64_t want, seen = 0;

	if (!h->total)
		return 0;
	if (p <= 0)
		return h->min;
	want = (uint64_t)ceil(p / 100.0 * (double)h->total);
	if (want < 1)
		want = 1;
	if (want > h->total)
		want = h->total;
	for (int i = 0; i < h->counts_len; i++) {
		seen += h->counts[i];
		if (seen >= want) {
			uint64_t v = hist_bucket_hi(h, i);

			if (v > h->max)
				v = h->max;
			if (v < h->min)
				v = h->min;
			return v;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	return h->total ? h->sum / (double)h->total : NAN;
}

double hist_stddev(const struct hist *h)
{
	double m, var;

	if (!h->total)
		return NAN;
	m = h->sum / (double)h->total;
	var = h->sumsq / (double)h->total - m * m;
	return var > 0 ? sqrt(var) : 0;
}

void hist_summarize(const struct hist *h, struct hist_summary *o)
{
	o->count = h->total;
	o->mean_ns = hist_mean(h);
	o->stddev_ns = hist_stddev(h);
	o->min_ns = h->total ? h->min : 0;
	o->p50_ns = hist_percentile(h, 50);
	o->p90_ns = hist_percentile(h, 90);
	o->p99_ns = hist_percentile(h, 99);
	o->p999_ns = hist_percentile(h, 99.9);
	o->max_ns = h->max;
}
