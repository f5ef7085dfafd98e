import type { Analyzer, AnalyzerContext } from '../contracts/analyzer.js';
import type { Bottleneck, Recommendation } from '../contracts/findings.js';
import { WaiError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AlertEngine, AlertTransitions } from './alert-engine.js';
import { FindingRegistry } from './finding-registry.js';

/** An analyzer that takes longer than this is abandoned for the run (logged), so sampling never hangs. */
const ANALYZER_TIMEOUT_MS = 30_000;

export interface AnalyzerRunnerOptions {
  logger: Logger;
  alertEngine: AlertEngine;
  /** Receives the alert transitions of each analyzer's run (the monitor emits them). */
  emitTransitions: (transitions: AlertTransitions) => void;
}

/**
 * Runs the monitor's analyzers after each sample, one after another, each bounded by a timeout; merges their
 * bottlenecks and recommendations by id and feeds their alerts through the monitor's alert engine. An analyzer
 * that throws or times out keeps its previous findings.
 */
export class AnalyzerRunner {
  private readonly analyzers: Analyzer[] = [];
  readonly bottlenecks = new FindingRegistry<Bottleneck>();
  readonly recommendations = new FindingRegistry<Recommendation>();

  constructor(private readonly options: AnalyzerRunnerOptions) {}

  get size(): number {
    return this.analyzers.length;
  }

  add(analyzer: Analyzer): void {
    this.analyzers.push(analyzer);
  }

  async run(context: AnalyzerContext): Promise<void> {
    const { logger, alertEngine, emitTransitions } = this.options;
    const now = context.now;
    for (const analyzer of this.analyzers) {
      let timer: NodeJS.Timeout | undefined;
      try {
        const result = await Promise.race([
          Promise.resolve().then(() => analyzer.analyze(context)),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new WaiError('E_TIMEOUT', `[wai:metrics-core] analyzer ${analyzer.name} took over ${ANALYZER_TIMEOUT_MS} ms`)), ANALYZER_TIMEOUT_MS);
            timer.unref();
          }),
        ]);
        this.bottlenecks.replace(analyzer.name, result?.bottlenecks, now);
        this.recommendations.replace(analyzer.name, result?.recommendations, now);
        const transitions: AlertTransitions = { fired: [], resolved: [] };
        alertEngine.apply(`analyzer:${analyzer.name}`, result?.alerts ?? [], 0, now, transitions);
        emitTransitions(transitions);
      } catch (error) {
        logger.error({ err: error, analyzer: analyzer.name }, '[wai:metrics-core] analyzer failed; its previous findings are kept');
      } finally {
        if (timer) clearTimeout(timer);
      }
    }
  }

  /** Closes every analyzer; one that fails to close is logged and the rest still close. */
  async close(): Promise<void> {
    for (const analyzer of this.analyzers) {
      try {
        await analyzer.close?.();
      } catch (error) {
        this.options.logger.warn({ err: error, analyzer: analyzer.name }, '[wai:metrics-core] analyzer close failed');
      }
    }
  }
}
