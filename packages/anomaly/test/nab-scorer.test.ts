import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findNabDirectory } from '../bench/nab-data.js';
import { loadNabCorpus, parseNabTimestamp, readNabCsv } from '../src/nab/corpus.js';
import { NAB_PROFILES, nabProbationLength, nabScaledSigmoid, normalizeNabScore, scoreNabFile, type NabProfileName } from '../src/nab/scorer.js';

const root = findNabDirectory();
const corpus = loadNabCorpus(root);
// Each reference detector's per-file anomaly scores, read once for the three profiles.
const referenceScores = new Map<string, number[]>();
function readReferenceScores(detector: string, category: string, name: string): number[] {
  const key = `${detector}/${category}/${name}`;
  let values = referenceScores.get(key);
  if (values === undefined) {
    values = readNabCsv(join(root, 'reference', detector, category, `${detector}_${name}`), { parseTimestamps: false }).values;
    referenceScores.set(key, values);
  }
  return values;
}
const thresholds = JSON.parse(readFileSync(join(root, 'reference', 'thresholds.json'), 'utf8')) as Record<string, Record<string, { threshold: number }>>;

describe('NAB scorer', () => {
  it('loads the 44 labelled series', () => {
    expect(corpus).toHaveLength(44);
    const windows = corpus.reduce((sum, series) => sum + series.windows.length, 0);
    expect(windows).toBeGreaterThan(50);
    for (const series of corpus) for (const window of series.windows) expect(window.end).toBeGreaterThanOrEqual(window.start);
  });

  it('follows the published shape of the scaled sigmoid and probation', () => {
    expect(nabScaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(nabScaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(nabScaledSigmoid(0)).toBe(0);
    expect(nabScaledSigmoid(3)).toBe(-1);
    expect(nabProbationLength(4032)).toBe(604);
    expect(nabProbationLength(22_000)).toBe(750);
    expect(parseNabTimestamp('2014-04-10 07:15:00.000000')).toBe(Date.UTC(2014, 3, 10, 7, 15));
  });

  for (const detector of ['numenta', 'windowedGaussian']) {
    for (const profile of Object.keys(NAB_PROFILES) as NabProfileName[]) {
      it(`reproduces NAB's per-file ${profile} scores of the ${detector} reference detector`, () => {
        const threshold = thresholds[detector]?.[profile]?.threshold as number;
        const rows = readFileSync(join(root, 'reference', `${detector}_${profile}_scores.csv`), 'utf8').trim().split('\n').slice(1);
        let compared = 0;
        for (const row of rows) {
          const [, , file, , score, tp, tn, fp, fn] = row.split(',');
          const series = corpus.find((candidate) => candidate.file === file);
          if (series === undefined) continue; // the Totals row
          const [category, name] = (file as string).split('/');
          const values = readReferenceScores(detector, category as string, name as string);
          expect(values).toHaveLength(series.values.length);
          const result = scoreNabFile(values.map((value) => value >= threshold), series.windows, NAB_PROFILES[profile]);
          expect(Math.abs(result.score - Number(score)), file).toBeLessThan(0.001);
          expect([result.tp, result.tn, result.fp, result.fn], file).toEqual([Number(tp), Number(tn), Number(fp), Number(fn)]);
          compared += 1;
        }
        expect(compared).toBe(44);
      });
    }
  }

  it('normalises the null detector to 0 and the perfect detector to 100', () => {
    const cost = NAB_PROFILES.standard;
    let nullScore = 0;
    let perfectScore = 0;
    let windowCount = 0;
    for (const series of corpus) {
      const none = new Array<boolean>(series.values.length).fill(false);
      nullScore += scoreNabFile(none, series.windows, cost).score;
      const perfect = none.slice();
      for (const window of series.windows) perfect[window.start] = true;
      perfectScore += scoreNabFile(perfect, series.windows, cost).score;
      windowCount += series.windows.length;
    }
    expect(normalizeNabScore(nullScore, nullScore, windowCount, cost)).toBe(0);
    // A detection on every window's first row earns σ̃(−1)/σ̃(−1) = A_tp per window (windows in probation excepted).
    expect(normalizeNabScore(perfectScore, nullScore, windowCount, cost)).toBeGreaterThan(99);
  });

  it('rejects overlapping or out-of-range windows', () => {
    expect(() => scoreNabFile([false, false, false], [{ start: 0, end: 5 }], NAB_PROFILES.standard)).toThrow(/out of range/);
    expect(() => scoreNabFile([false, false, false, false], [{ start: 0, end: 2 }, { start: 1, end: 3 }], NAB_PROFILES.standard)).toThrow(/overlaps/);
  });
});
