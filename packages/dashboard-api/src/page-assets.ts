import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '@wai/metrics-core';
import type { DashboardResponse, DashboardRoute } from './handlers.js';
import type { ResolvedOptions } from './options.js';

interface Asset {
  contentType: string;
  /** Where the file lives: our `assets/` folder, or a file inside the installed `uplot` package. */
  source: { own: string } | { uplot: string };
}

const ASSETS: Record<string, Asset> = {
  'dashboard.js': { contentType: 'text/javascript; charset=utf-8', source: { own: 'dashboard.js' } },
  'dashboard.css': { contentType: 'text/css; charset=utf-8', source: { own: 'dashboard.css' } },
  'uplot.js': { contentType: 'text/javascript; charset=utf-8', source: { uplot: 'uplot/dist/uPlot.iife.min.js' } },
  'uplot.css': { contentType: 'text/css; charset=utf-8', source: { uplot: 'uplot/dist/uPlot.min.css' } },
};

/**
 * Everything the page loads comes from here (no CDN). `../assets/` is the same folder from `src/*.ts` and
 * from `dist/*.js`, so the page works from sources in tests and from the published build.
 */
const ASSET_DIRECTORY = new URL('../assets/', import.meta.url);

/** The page's Content-Security-Policy: only our own scripts, styles and same-origin fetch/WebSocket. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function readAsset(asset: Asset): Buffer {
  if ('own' in asset.source) return readFileSync(fileURLToPath(new URL(asset.source.own, ASSET_DIRECTORY)));
  return readFileSync(createRequire(import.meta.url).resolve(asset.source.uplot));
}

/** The JSON the page reads its settings from, safe inside a `<script>` element. */
function pageConfig(options: ResolvedOptions): string {
  return JSON.stringify({
    prefix: options.prefix,
    livePath: options.live ? `${options.prefix}/live` : null,
    tokenRequired: options.token !== undefined,
    publicReads: options.publicReads,
    mutationsEnabled: options.mutationsEnabled,
    interval: options.liveInterval,
  }).replace(/</g, '\\u003c');
}

/**
 * The page, its assets, and (unless `redirectBare` is false) a redirect from the page path without its
 * trailing slash. Fastify apps with `ignoreTrailingSlash` treat both as one route, so the plugin skips it.
 */
export function createPageAssets(options: ResolvedOptions, pagePath: string, redirectBare = true): DashboardRoute[] {
  const cache = new Map<string, Buffer>();
  const load = (name: string, asset: Asset): Buffer => {
    let content = cache.get(name);
    if (!content) {
      content = readAsset(asset);
      cache.set(name, content);
    }
    return content;
  };
  const assetBase = `${options.prefix}/assets`;
  let html: string | undefined;
  const page = (): DashboardResponse => {
    html ??= load('dashboard.html', { contentType: '', source: { own: 'dashboard.html' } })
      .toString('utf8')
      .replaceAll('%ASSETS%', assetBase)
      .replace('%CONFIG%', pageConfig(options));
    return {
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-cache',
      },
      body: html,
    };
  };
  const routes: DashboardRoute[] = [
    { method: 'GET', path: pagePath, access: 'public', schema: {}, handle: page },
    {
      method: 'GET',
      path: `${assetBase}/:file`,
      access: 'public',
      schema: {},
      handle: ({ params }) => {
        const name = String(params.file);
        const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
        if (!asset) throw new NotFoundError(`[wai:dashboard-api] no asset "${name}"`);
        return {
          status: 200,
          headers: { 'content-type': asset.contentType, 'x-content-type-options': 'nosniff', 'cache-control': 'public, max-age=300' },
          body: load(name, asset),
        };
      },
    },
  ];
  if (redirectBare && pagePath.length > 1 && pagePath.endsWith('/')) {
    const bare = pagePath.slice(0, -1);
    routes.push({ method: 'GET', path: bare, access: 'public', schema: {}, handle: () => ({ status: 302, headers: { location: pagePath, 'content-type': 'text/plain; charset=utf-8' }, body: `Redirecting to ${pagePath}` }) });
  }
  return routes;
}
