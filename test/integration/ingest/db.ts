// One PostgreSQL cluster per test file, a fresh database per test, migrated.
import { after, before } from 'node:test';
import pg from 'pg';
import { migrate } from '../../../ingest/migrations.ts';
import { Postgres } from '../../helpers/postgres.ts';

export interface TestDb {
  url: string;
  pool: pg.Pool;
}

export function postgresForFile(): { server: () => Postgres; db: (name: string) => Promise<TestDb> } {
  let server: Postgres | undefined;
  const pools: pg.Pool[] = [];
  before(async () => {
    server = await Postgres.start();
  });
  after(async () => {
    for (const p of pools) await p.end().catch(() => {});
    server?.stop();
  });
  return {
    server: () => server!,
    db: async (name) => {
      const url = await server!.createDb(name);
      const pool = new pg.Pool({ connectionString: url, max: 4, options: '-c search_path=lineside' });
      pools.push(pool);
      const c = await pool.connect();
      try {
        await migrate(c, 'lineside');
      } finally {
        c.release();
      }
      return { url, pool };
    },
  };
}
