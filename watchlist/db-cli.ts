import { type CliIO, parseCommandArgs, processIO, usageError } from '../shared/cli/index.ts';
import { asDatabaseError } from './db.ts';
import { cliPool, readCliConfig } from './cli-context.ts';
import { appliedVersions, loadMigrations, migrate } from './migrate.ts';

const HELP = `usage: platestream db migrate   apply every pending migration (safe to run twice or concurrently)
       platestream db status    list migrations and whether each is applied

Environment: DATABASE_URL (postgres://user:password@host:5432/db)
`;

export const summary = 'PostgreSQL schema: apply migrations (migrate) or show them (status)';

export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  const { positionals, values } = parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  const [sub] = positionals;
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  if (!sub || !['migrate', 'status'].includes(sub))
    throw usageError(sub ? `unknown subcommand "${sub}"` : 'a subcommand is needed: migrate or status');
  const { databaseUrl } = readCliConfig(io.env);
  const pool = cliPool(databaseUrl);
  try {
    if (sub === 'migrate') {
      const applied = await migrate(pool);
      if (applied.length === 0) io.stdout.write('database schema is up to date\n');
      for (const m of applied) io.stdout.write(`applied ${String(m.version).padStart(3, '0')}-${m.name}\n`);
      return 0;
    }
    const have = new Set(await appliedVersions(pool));
    let pending = 0;
    for (const m of loadMigrations()) {
      const ok = have.has(m.version);
      if (!ok) pending++;
      io.stdout.write(`${ok ? 'applied' : 'PENDING'}  ${String(m.version).padStart(3, '0')}-${m.name}\n`);
    }
    if (pending) io.stdout.write(`${pending} pending: run "platestream db migrate"\n`);
    return pending ? 1 : 0;
  } catch (err) {
    throw asDatabaseError(err, `running "db ${sub}"`, databaseUrl);
  } finally {
    await pool.end().catch(() => {});
  }
}
