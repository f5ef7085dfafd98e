import type { BaseDetectorOptions, DetectorResult, StreamingDetector } from '../detector-types.js';
import { ExponentialMoments, notReady, standardise, zResult } from './moments.js';
import { checkPoint, numberOption } from './options.js';

const DAY_MS = 86_400_000;

export interface SeasonalOptions extends BaseDetectorOptions {
  /**
   * Buckets per day (24 = one per hour of the day, UTC).
   * @default 24
   */
  bucketsPerDay?: number;
  /**
   * Also learn separate day-of-week buckets (used once each has `minSamples`, else the time-of-day bucket).
   * @default true
   */
  weekly?: boolean;
  /**
   * Smoothing factor of each bucket's exponentially weighted mean and variance.
   * @default 0.1
   */
  alpha?: number;
  /**
   * Samples a bucket needs before it is trusted; some of them must also come from an earlier day (an earlier week
   * for a day-of-week bucket), since only those say anything about the time of day.
   * @default 10
   */
  minSamples?: number;
  /**
   * Offset added to timestamps before bucketing, so buckets follow local time (e.g. +3_600_000 for UTC+1).
   * @default 0
   */
  utcOffsetMs?: number;
  /**
   * |x − bucket mean| / bucket σ at which the score reaches 0.5 (z = 5: a two-sided Gaussian tail of 6e-7, about one false alarm in
   * 1.7 million points of Gaussian noise; real metrics have heavier tails).
   * @default 5
   */
  alarmZ?: number;
}

/**
 * Seasonal baseline learned online: each time-of-day bucket (and, once it has data, each day-of-week ×
 * time-of-day bucket) keeps an exponentially weighted mean and variance of the values seen in it, the
 * online analogue of a seasonal-naive forecast with per-slot dispersion. A point is scored against its
 * bucket before updating it; memory is fixed (bucketsPerDay × 8 buckets).
 */
export function createSeasonalDetector(options: SeasonalOptions = {}): StreamingDetector {
  const name = 'createSeasonalDetector';
  const bucketsPerDay = numberOption(name, 'bucketsPerDay', options.bucketsPerDay, 24, { min: 1, max: 1440, integer: true });
  const weekly = options.weekly ?? true;
  const alpha = numberOption(name, 'alpha', options.alpha, 0.1, { min: 0, max: 1, exclusiveMin: true });
  const minSamples = numberOption(name, 'minSamples', options.minSamples, 10, { min: 2, integer: true });
  const utcOffsetMs = numberOption(name, 'utcOffsetMs', options.utcOffsetMs, 0);
  const alarmZ = numberOption(name, 'alarmZ', options.alarmZ, 5, { min: 0, exclusiveMin: true });
  const warmUp = numberOption(name, 'warmUp', options.warmUp, 50, { min: 0, integer: true });
  const threshold = numberOption(name, 'threshold', options.threshold, 0.5, { min: 0, max: 1 });
  const bucketMs = DAY_MS / bucketsPerDay;
  const daily: ExponentialMoments[] = [];
  const weeklyBuckets: ExponentialMoments[] = [];
  // Day number of each bucket's first sample (NaN while empty): a bucket predicts a slot only from earlier cycles.
  const dailyFirstDay = new Float64Array(bucketsPerDay);
  const weeklyFirstDay = new Float64Array(bucketsPerDay * 7);
  const reset = (): void => {
    daily.length = 0;
    weeklyBuckets.length = 0;
    for (let index = 0; index < bucketsPerDay; index += 1) daily.push(new ExponentialMoments());
    for (let index = 0; index < bucketsPerDay * 7; index += 1) weeklyBuckets.push(new ExponentialMoments());
    dailyFirstDay.fill(Number.NaN);
    weeklyFirstDay.fill(Number.NaN);
    seen = 0;
  };
  let seen = 0;
  reset();

  return {
    update(value: number, timestamp: number): DetectorResult {
      checkPoint(name, value, timestamp);
      seen += 1;
      const local = timestamp + utcOffsetMs;
      const slot = Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / bucketMs);
      const day = Math.floor(local / DAY_MS);
      // 1970-01-01 was a Thursday; day 0 of the week here is Monday.
      const dayOfWeek = (((day + 3) % 7) + 7) % 7;
      const weekIndex = dayOfWeek * bucketsPerDay + slot;
      const dayBucket = daily[slot] as ExponentialMoments;
      const weekBucket = weeklyBuckets[weekIndex] as ExponentialMoments;
      // Trusted = enough samples AND some of them from an earlier cycle (day or week) than this point's. Without the
      // second condition a series sampled every 30 s fills a slot with 10 samples in its first 5 minutes, and the
      // bucket then "predicts" the rest of that hour from a 10-sample σ — no seasonal knowledge, and a noisy σ that
      // raised false alarms at the same minute of every hour of a new series (10 points after each hour began).
      const weekTrusted = weekly && weekBucket.count >= minSamples && (weeklyFirstDay[weekIndex] as number) < day;
      const dayTrusted = dayBucket.count >= minSamples && (dailyFirstDay[slot] as number) < day;
      const reference = weekTrusted ? weekBucket : dayBucket;
      let result: DetectorResult;
      if (!weekTrusted && !dayTrusted) {
        result = notReady(value, { bucket: slot, samples: reference.count });
      } else {
        const sigma = reference.sigma;
        const z = standardise(value, reference.mean, sigma);
        result = zResult(z, reference.mean, sigma, alarmZ, threshold, seen <= warmUp, { z, bucket: slot, dayOfWeek, samples: reference.count, sigma });
      }
      // Until a bucket is trusted its moments are a plain running average, then exponential and Huberised.
      if (dayBucket.count === 0) dailyFirstDay[slot] = day;
      dayBucket.update(value, alpha, alarmZ, minSamples);
      if (weekly) {
        if (weekBucket.count === 0) weeklyFirstDay[weekIndex] = day;
        weekBucket.update(value, alpha, alarmZ, minSamples);
      }
      return result;
    },
    reset,
  };
}
