/**
 * `pnpm test:packages`: the packages as a user installs them. Packs every publishable package (`pnpm pack`, after
 * `pnpm build`), lints each tarball (publint, attw across node10 / node16 / bundler resolution), installs the tarballs
 * with plain npm into an empty project, and runs every README example as written:
 * - `js` blocks run with node (`.mjs`; `.cjs` when the block uses `require`); a block that starts a server passes
 *   once it answers HTTP on `PORT`, one that does not must exit 0;
 * - `ts` blocks are type-checked with `moduleResolution: nodenext` and `skipLibCheck: false`.
 * A block is an example when it imports one of the packages; others (option shapes, fragments) are skipped. Every
 * entry point of every package is also imported by one type-checked file, so all declarations are checked.
 * Redis comes from a throwaway redis-server (REDIS_URL); DATABASE_URL is passed through.
 * `WAI_KEEP_PACKAGES_DIR=1` keeps the temporary project for inspection.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, hasRedisServer, startRedisServer, type RedisServerHandle } from '@wai/test-services';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const failures: string[] = [];
const say = (line: string) => console.log(`[test:packages] ${line}`);

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function mustRun(command: string, args: string[], cwd: string): string {
  const result = run(command, args, cwd);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Versions the workspace tests with (the pnpm catalog), so the examples run against the same peers. */
function catalogVersion(name: string): string {
  const text = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`^\\s+'?${escaped}'?:\\s*(\\S+)\\s*$`, 'm').exec(text);
  if (!match?.[1]) throw new Error(`no catalog entry for ${name} in pnpm-workspace.yaml`);
  return match[1];
}

interface Example {
  packageName: string;
  file: string;
  language: 'js' | 'ts';
  line: number;
  source: string;
}

/** Fenced `js` / `ts` blocks of a README that import one of our packages. */
function readmeExamples(packageName: string, readme: string, slug: string): Example[] {
  const examples: Example[] = [];
  const lines = readme.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const open = /^```(js|ts)\s*$/.exec(lines[index]!);
    if (!open) continue;
    const body: string[] = [];
    const first = index + 1;
    for (index += 1; index < lines.length && !lines[index]!.startsWith('```'); index++) body.push(lines[index]!);
    const source = body.join('\n') + '\n';
    if (!/(from\s+|require\()'@wai\//.test(source)) continue;
    const language = open[1] as 'js' | 'ts';
    const extension = language === 'ts' ? 'ts' : /\brequire\('/.test(source) ? 'cjs' : 'mjs';
    examples.push({ packageName, file: `${slug}-line${first}.${extension}`, language, line: first, source });
  }
  return examples;
}

function httpAnswers(port: number): Promise<boolean> {
  return new Promise((resolveAnswer) => {
    const probe = request({ host: '127.0.0.1', port, path: '/', timeout: 1000 }, (response) => {
      response.resume();
      resolveAnswer(true);
    });
    probe.on('error', () => resolveAnswer(false));
    probe.on('timeout', () => {
      probe.destroy();
      resolveAnswer(false);
    });
    probe.end();
  });
}

/** Runs one JS example; a server passes once it answers HTTP, anything else must exit 0 within the limit. */
async function runJsExample(example: Example, directory: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const port = await freePort();
  const serves = /\.listen\(/.test(example.source);
  const child = spawn(process.execPath, [example.file], { cwd: directory, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  const limitMs = 30_000;
  const deadline = Date.now() + limitMs;
  if (serves) {
    let exitCode: number | null | undefined;
    void exited.then((code) => (exitCode = code));
    while (Date.now() < deadline && exitCode === undefined) {
      if (await httpAnswers(port)) {
        child.kill('SIGTERM');
        await exited;
        return undefined;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGKILL');
    return exitCode === undefined ? `did not answer HTTP on PORT within ${limitMs} ms\n${output}` : `exited (${exitCode}) before serving\n${output}`;
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const code = await exited;
  clearTimeout(timer);
  return code === 0 ? undefined : `exited with ${code ?? 'a signal (timeout?)'}\n${output}`;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'wai-packages-'));
  const tarballs = join(work, 'tarballs');
  const project = join(work, 'project');
  const examplesDirectory = join(project, 'examples');
  mkdirSync(tarballs);
  mkdirSync(examplesDirectory, { recursive: true });
  let redis: RedisServerHandle | undefined;
  try {
    // 1. Pack (the beforePacking hook in .pnpmfile.cjs shapes the manifests) and lint each tarball.
    const packages = readdirSync(join(root, 'packages'))
      .map((name) => join(root, 'packages', name))
      .filter((directory) => existsSync(join(directory, 'package.json')))
      .map((directory) => ({ directory, manifest: JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name: string; private?: boolean } }))
      .filter(({ manifest }) => !manifest.private);
    const bin = (name: string) => join(root, 'node_modules', '.bin', name);
    const examples: Example[] = [];
    for (const { directory, manifest } of packages) {
      const before = new Set(readdirSync(tarballs));
      mustRun('pnpm', ['pack', '--pack-destination', tarballs], directory);
      const tarball = readdirSync(tarballs).find((name) => !before.has(name));
      if (!tarball) throw new Error(`pnpm pack wrote no tarball for ${manifest.name}`);
      const path = join(tarballs, tarball);
      const publint = run(bin('publint'), ['run', path, '--strict'], work);
      const publintSummary = (publint.stdout + publint.stderr).trim().split('\n').at(-1) ?? '';
      if (publint.status !== 0) failures.push(`${manifest.name}: publint\n${publint.stdout}${publint.stderr}`);
      const attw = run(bin('attw'), [path, '--format', 'ascii'], work);
      const attwSummary = /No problems found/.test(attw.stdout) ? 'No problems found' : 'problems';
      if (attw.status !== 0) failures.push(`${manifest.name}: attw\n${attw.stdout}${attw.stderr}`);
      say(`${manifest.name}: ${tarball}; publint: ${publintSummary}; attw: ${attwSummary}`);
      const packed = mustRun('tar', ['-xzOf', path, 'package/package.json'], work);
      if (/@wai\/source|@wai\/test-services|devDependencies/.test(packed)) failures.push(`${manifest.name}: the packed package.json still names @wai/source, devDependencies or @wai/test-services`);
      const files = mustRun('tar', ['-tzf', path], work);
      if (!/^package\/LICENSE$/m.test(files)) failures.push(`${manifest.name}: no LICENSE in the tarball`);
      // Declarations must not import an optional peer: a TypeScript user without it would get TS2307 with
      // skipLibCheck off (the npm project below has the peers installed, so tsc alone cannot see this).
      const optionalPeers = Object.keys((JSON.parse(packed) as { peerDependenciesMeta?: Record<string, unknown> }).peerDependenciesMeta ?? {}).filter(
        (peer) => peer !== 'vitest', // imported only by the ./testing entries, which exist for vitest users
      );
      for (const declaration of files.split('\n').filter((name) => /\.d\.c?ts$/.test(name))) {
        const text = mustRun('tar', ['-xzOf', path, declaration], work);
        for (const peer of optionalPeers) {
          if (text.includes(`from '${peer}'`) || text.includes(`import('${peer}')`) || text.includes(`declare module '${peer}'`)) {
            failures.push(`${manifest.name}: ${declaration} imports the optional peer ${peer}`);
          }
        }
      }
      const slug = manifest.name.replace(/^@wai\//, '');
      examples.push(...readmeExamples(manifest.name, readFileSync(join(directory, 'README.md'), 'utf8'), slug));
    }

    // 2. An empty project with the tarballs and the peers the examples use, installed by npm.
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'wai-packages-check', private: true, type: 'module' }, null, 2));
    const peers = ['ioredis', 'pg', 'fastify', '@fastify/websocket', 'express', '@types/express', 'keyv', 'vitest', 'typescript', '@types/node', '@opentelemetry/api'];
    const installs = [...readdirSync(tarballs).map((name) => join(tarballs, name)), ...peers.map((name) => `${name}@${catalogVersion(name)}`)];
    // better-sqlite3 (the README's L3) compiles from source on this machine (~60 s); the workspace's build of the
    // same version is linked instead, as a user's installed copy would be. Install scripts stay off: npm would
    // otherwise rebuild that linked copy in place (none of our packages has one).
    const sqlite = join(root, 'packages', 'cache-tiers', 'node_modules', 'better-sqlite3');
    if (existsSync(sqlite)) installs.push(`better-sqlite3@file:${realpathSync(sqlite)}`);
    say(`npm install in ${project} (${installs.length} packages)`);
    mustRun('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', ...installs], project);

    say(`installed (${Math.round((Date.now() - started) / 1000)} s so far)`);

    // 3. TypeScript blocks: one tsc run over all of them, as strict as a user's project can be. Every entry point of
    // every package is imported too, so each package's declarations are checked even where no ts block uses them.
    const entryImports = packages.flatMap(({ manifest }) =>
      Object.keys((manifest as { exports?: Record<string, unknown> }).exports ?? { '.': null })
        .filter((subpath) => subpath !== './package.json')
        .map((subpath) => `${manifest.name}${subpath.slice(1)}`),
    );
    examples.push({
      packageName: 'every entry point',
      file: 'entry-points.ts',
      language: 'ts',
      line: 0,
      source: entryImports.map((specifier, index) => `export * as entry${index} from '${specifier}';`).join('\n') + '\n',
    });
    const typed = examples.filter((example) => example.language === 'ts');
    for (const example of [...typed, ...examples.filter((example) => example.language === 'js')]) writeFileSync(join(examplesDirectory, example.file), example.source);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['ES2023'], types: ['node'], strict: true, skipLibCheck: false, noEmit: true },
          files: typed.map((example) => `examples/${example.file}`),
        },
        null,
        2,
      ),
    );
    if (typed.length > 0) {
      const tsc = run(join(project, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], project);
      const errors = (tsc.stdout + tsc.stderr).trim().split('\n').filter((line) => /error TS\d+/.test(line));
      for (const example of typed) {
        const own = errors.filter((line) => line.startsWith(`examples/${example.file}`));
        say(`${own.length === 0 ? 'ok  ' : 'FAIL'} tsc ${example.packageName}${example.line > 0 ? ` README line ${example.line}` : ''}`);
        if (own.length > 0) failures.push(`${example.packageName} README line ${example.line} (ts) does not type-check:\n${own.join('\n')}`);
      }
      // With skipLibCheck off, the installed declarations are checked too: an import of a peer that is not installed shows here.
      const elsewhere = errors.filter((line) => !line.startsWith('examples/'));
      if (elsewhere.length > 0) failures.push(`installed declarations do not type-check:\n${elsewhere.join('\n')}`);
      if (tsc.status !== 0 && errors.length === 0) failures.push(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
    }

    // 4. JavaScript blocks, run as written.
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development' };
    if (hasRedisServer()) {
      redis = await startRedisServer();
      env.REDIS_URL = redis.url;
    }
    for (const example of examples.filter((candidate) => candidate.language === 'js')) {
      const problem = await runJsExample(example, examplesDirectory, env);
      say(`${problem ? 'FAIL' : 'ok  '} node ${example.packageName} README line ${example.line} (${example.file.endsWith('.cjs') ? 'CommonJS' : 'ESM'})`);
      if (problem) failures.push(`${example.packageName} README line ${example.line} (js): ${problem}`);
    }
    say(`${examples.length} examples (${typed.length} type-checked, ${examples.length - typed.length} run), ${packages.length} tarballs, ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    // Reported before the clean-up: an await below that never settles would otherwise let the process end, with
    // exit code 0, before the failures were printed (it did: FAIL lines, then a green run).
    for (const failure of failures) console.error(`\n[test:packages] FAILED: ${failure}`);
    if (failures.length > 0) process.exitCode = 1;
    await redis?.close();
    if (process.env.WAI_KEEP_PACKAGES_DIR) say(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  process.exit(failures.length > 0 ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
