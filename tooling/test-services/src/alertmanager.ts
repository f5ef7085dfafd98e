import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnHttpService } from './http-service.js';
import { freePort } from './ports.js';

/** Debian's `prometheus-alertmanager` installs the binary under this name. */
export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

/**
 * True when an Alertmanager binary is installed. Without one a suite skips, except under CI, where this throws:
 * `.ci/run` installs it, so a missing binary there is a broken setup, not a reason to pass.
 */
export function hasAlertmanager(): boolean {
  if (existsSync(ALERTMANAGER_BIN)) return true;
  if (process.env.CI) throw new Error(`[wai:test-services] CI is set but ${ALERTMANAGER_BIN} is missing (apt-get install prometheus-alertmanager)`);
  return false;
}

export interface AlertmanagerHandle {
  url: string;
  /** `GET /api/v2/alerts` (active, unresolved alerts). */
  alerts(): Promise<Array<{ labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; status: { state: string } }>>;
  /** `GET /api/v2/alerts/groups`: how the route's `group_by` grouped them. */
  groups(): Promise<Array<{ labels: Record<string, string>; alerts: Array<{ labels: Record<string, string> }> }>>;
  close(): Promise<void>;
}

/**
 * Starts a real Alertmanager on a free loopback port with its own storage directory and no cluster gossip.
 * The route groups by `groupBy` and sends nowhere (a receiver without integrations): tests read its API.
 */
export async function startAlertmanager(options: { groupBy?: string[] } = {}): Promise<AlertmanagerHandle> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wai-alertmanager-'));
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    [
      'route:',
      '  receiver: tests',
      `  group_by: [${(options.groupBy ?? ['alertname']).map((label) => `'${label}'`).join(', ')}]`,
      '  group_wait: 100ms',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: tests',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  const service = await spawnHttpService(
    'alertmanager',
    ALERTMANAGER_BIN,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    `${url}/-/ready`,
    dir,
  );
  const getJson = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`);
    if (!response.ok) throw new Error(`[wai:test-services] alertmanager GET ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    url,
    alerts: () => getJson('/api/v2/alerts'),
    groups: () => getJson('/api/v2/alerts/groups'),
    close: service.stop,
  };
}
