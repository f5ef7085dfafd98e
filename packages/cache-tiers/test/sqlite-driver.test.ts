import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WaiError } from '@wai/metrics-core';
import { createCache } from '../src/cache.js';
import { availableSqliteDrivers, openSqlite, SqliteDriverMissingError, toSqliteConnection, type SqliteDriverName } from '../src/l3/index.js';
import { resetSqliteDrivers, sqliteDriverLoaders } from '../src/l3/sqlite-driver.js';

const directory = mkdtempSync(join(tmpdir(), 'wai-sqlite-driver-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const drivers = availableSqliteDrivers();
const originalLoaders = { ...sqliteDriverLoaders };
const requireHere = createRequire(import.meta.url);
/** Makes a driver fail to load the way an absent package does: a real MODULE_NOT_FOUND from `require`. */
const uninstall = (name: SqliteDriverName) => {
  sqliteDriverLoaders[name] = () => requireHere(`@wai/not-installed-${name.replace(':', '-')}`);
  resetSqliteDrivers();
};
afterEach(() => {
  Object.assign(sqliteDriverLoaders, originalLoaders);
  resetSqliteDrivers();
});

// CI names the drivers its runtime must have (WAI_SQLITE_DRIVERS=node:sqlite,better-sqlite3) so that a driver
// that failed to install or build fails the run instead of quietly shrinking the suite.
it.runIf(process.env.WAI_SQLITE_DRIVERS)('loads every driver CI requires', () => {
  expect(drivers).toEqual(expect.arrayContaining(process.env.WAI_SQLITE_DRIVERS!.split(',')));
});

it('prefers node:sqlite where the runtime has it', () => {
  const connection = openSqlite(':memory:');
  expect(connection.driver).toBe(process.getBuiltinModule?.('node:sqlite') ? 'node:sqlite' : 'better-sqlite3');
  connection.close();
});

describe.each(drivers)('connection over %s', (driver) => {
  it('binds and returns BLOBs, numbers, text and null; reports changes and readers', () => {
    const connection = openSqlite(join(directory, `shape-${driver}.db`), { driver });
    connection.exec('create table t (id integer primary key, b blob, n real, s text)');
    const insert = connection.prepare('insert into t (b, n, s) values (?, ?, ?)');
    expect(insert.reader).toBe(false);
    expect(insert.run(Buffer.from([0, 1, 255]), 1.5, null).changes).toBe(1);
    const select = connection.prepare('select b, n, s from t where id = ?');
    expect(select.reader).toBe(true);
    const row = select.get(1)!;
    expect(Buffer.from(row.b as Uint8Array)).toEqual(Buffer.from([0, 1, 255]));
    expect({ ...row, b: undefined }).toEqual({ b: undefined, n: 1.5, s: null });
    expect(select.get(2)).toBeUndefined();
    const returning = connection.prepare('update t set s = ? returning id');
    expect(returning.reader).toBe(true);
    expect(returning.run('x').changes).toBe(1);
    expect(connection.prepare('select count(*) as n from t').all()).toHaveLength(1);
    connection.close();
    expect(connection.open).toBe(false);
  });

  it('pragma gives the first value; immediate commits, and rolls back when the work throws', () => {
    const connection = openSqlite(join(directory, `tx-${driver}.db`), { driver, busyTimeout: 1234 });
    expect(connection.pragma('busy_timeout')).toBe(1234);
    expect(connection.pragma('journal_mode = WAL')).toBe('wal');
    connection.exec('create table t (v integer)');
    expect(connection.immediate(() => connection.prepare('insert into t values (1)').run().changes)).toBe(1);
    expect(() =>
      connection.immediate(() => {
        connection.prepare('insert into t values (2)').run();
        throw new Error('abort');
      }),
    ).toThrow('abort');
    expect(connection.prepare('select group_concat(v) as v from t').get()!.v).toBe('1');
    // The connection is usable after a rollback (no transaction left open).
    connection.immediate(() => connection.prepare('insert into t values (3)').run());
    expect(connection.prepare('select count(*) as n from t').get()!.n).toBe(2);
    connection.close();
  });

  it('wraps the driver handle as it is, without loading any driver', () => {
    const opened = openSqlite(':memory:', { driver });
    uninstall('node:sqlite');
    uninstall('better-sqlite3');
    const wrapped = toSqliteConnection(opened.database);
    expect(wrapped.driver).toBe(driver);
    expect(wrapped.prepare('select 41 + 1 as answer').get()!.answer).toBe(42);
    // The composed cache accepts the handle too, with no driver loadable.
    const cache = createCache({ namespace: 'passed', l1: false, l3: { driver: 'sqlite', database: opened.database } });
    expect(cache).toBeDefined();
    return cache.close().then(() => {
      expect(wrapped.open).toBe(true); // a database passed in stays open
      opened.close();
    });
  });
});

// Node 22's node:sqlite bound an empty Buffer that better-sqlite3 had bound before as NULL (a tombstone's value).
it.runIf(drivers.length === 2)('an empty BLOB one driver bound stays an empty BLOB on the other', () => {
  const empty = Buffer.alloc(0);
  const connections = (['better-sqlite3', 'node:sqlite'] as const).map((driver) => openSqlite(':memory:', { driver }));
  for (const connection of connections) {
    connection.exec('create table t (v blob not null)');
    connection.prepare('insert into t values (?)').run(empty);
    expect(connection.prepare('select length(v) as n, typeof(v) as type from t').get()).toEqual({ n: 0, type: 'blob' });
    connection.close();
  }
});

describe('a driver that cannot load fails createCache with a typed error', () => {
  it('better-sqlite3 asked for and not installed: names the package and the node:sqlite alternative', () => {
    uninstall('better-sqlite3');
    let thrown: unknown;
    try {
      createCache({ namespace: 'missing', l3: { driver: 'sqlite', path: join(directory, 'never.db'), sqliteDriver: 'better-sqlite3' } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SqliteDriverMissingError);
    expect(WaiError.isInstance(thrown)).toBe(true);
    const error = thrown as SqliteDriverMissingError;
    expect(error.code).toBe('E_SQLITE_DRIVER_MISSING');
    expect(error.message).toMatch(/npm install better-sqlite3/);
    expect(error.message).toMatch(/node:sqlite/);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('MODULE_NOT_FOUND');
  });

  it('neither driver: the default fails the same way', () => {
    uninstall('node:sqlite');
    uninstall('better-sqlite3');
    expect(() => createCache({ namespace: 'none', l3: { driver: 'sqlite', path: join(directory, 'never.db') } })).toThrow(
      expect.objectContaining({ code: 'E_SQLITE_DRIVER_MISSING', message: expect.stringMatching(/better-sqlite3.*node:sqlite|node:sqlite.*better-sqlite3/s) }),
    );
  });

  it('node:sqlite asked for on a runtime without it: names the Node version and better-sqlite3', () => {
    uninstall('node:sqlite');
    expect(() => createCache({ namespace: 'old', l3: { driver: 'sqlite', path: ':memory:', sqliteDriver: 'node:sqlite' } })).toThrow(
      expect.objectContaining({ code: 'E_SQLITE_DRIVER_MISSING', message: expect.stringMatching(/Node >= 22\.13.*better-sqlite3/) }),
    );
  });

  it('an unknown driver name is refused', () => {
    expect(() => createCache({ namespace: 'bad', l3: { driver: 'sqlite', sqliteDriver: 'sqlite4' as never } })).toThrow(/sqliteDriver must be/);
  });
});
