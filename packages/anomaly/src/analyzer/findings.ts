import type { AnalyzerContext, Bottleneck, Recommendation } from '@wai/metrics-core';
import type { AnalysisOptions } from './options.js';

/** What one analyzer rule reports. */
export interface Findings {
  bottlenecks: Bottleneck[];
  recommendations: Recommendation[];
}

/** One rule of the analyzer: reads the context, returns its findings (stateless; state lives in the analyzer). */
export type AnalyzerRule = (context: AnalyzerContext, options: AnalysisOptions) => Findings;
