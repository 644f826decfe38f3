import { parseArgs } from 'node:util';
import { asDatabaseError } from './db.ts';
import { cliPool, readCliConfig } from './cli-context.ts';
import { appliedVersions, loadMigrations, migrate } from './migrate.ts';

const USAGE = `usage: platestream db migrate   apply every pending migration (safe to run twice or concurrently)
       platestream db status    list migrations and whether each is applied

Environment: DATABASE_URL (postgres://user:password@host:5432/db)`;

export const summary = 'PostgreSQL schema: apply migrations (migrate) or show them (status)';

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  const [sub] = positionals;
  if (values.help || !sub || !['migrate', 'status'].includes(sub)) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const { databaseUrl } = readCliConfig();
  const pool = cliPool(databaseUrl);
  try {
    if (sub === 'migrate') {
      const applied = await migrate(pool);
      if (applied.length === 0) process.stdout.write('database schema is up to date\n');
      for (const m of applied)
        process.stdout.write(`applied ${String(m.version).padStart(3, '0')}-${m.name}\n`);
      return 0;
    }
    const have = new Set(await appliedVersions(pool));
    let pending = 0;
    for (const m of loadMigrations()) {
      const ok = have.has(m.version);
      if (!ok) pending++;
      process.stdout.write(
        `${ok ? 'applied' : 'PENDING'}  ${String(m.version).padStart(3, '0')}-${m.name}\n`,
      );
    }
    if (pending) process.stdout.write(`${pending} pending: run "platestream db migrate"\n`);
    return pending ? 1 : 0;
  } catch (err) {
    throw asDatabaseError(err, `running "db ${sub}"`, databaseUrl);
  } finally {
    await pool.end().catch(() => {});
  }
}
