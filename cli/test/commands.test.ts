import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../shared/cli/index.ts';
import { COMMAND_NAMES, main } from '../commands.ts';

function io(): CliIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    env: {},
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    out: () => out,
    err: () => err,
  };
}

describe('platestream <command>', () => {
  it('lists every command with the summary its module exports', async () => {
    const help = io();
    expect(await main(['--help'], help)).toBe(0);
    for (const name of COMMAND_NAMES) {
      const mod = await import(`../../${commandPath(name)}`);
      expect(help.out()).toContain(`  ${name.padEnd(10)} ${mod.summary}`);
    }
    const none = io();
    expect(await main([], none)).toBe(2);
    const unknown = io();
    expect(await main(['frobnicate'], unknown)).toBe(2);
    expect(unknown.err()).toMatch(/unknown command "frobnicate"/);
  });

  it.each(COMMAND_NAMES)(
    '%s: --help exits 0 and a usage error exits 2 before touching Redis',
    async (name) => {
      const help = io();
      expect(await main([name, '--help'], help)).toBe(0);
      expect(help.out()).toMatch(/usage/i);
      const bad = io();
      expect(await main([name, '--no-such-option'], bad)).toBe(2);
      expect(bad.out() + bad.err()).toMatch(/no-such-option|unknown|usage/i);
    },
  );
});

/** Where each command lives (kept beside the table's imports so a moved file fails here too). */
function commandPath(name: string): string {
  const paths: Record<string, string> = {
    ingest: 'ingest/cli.ts',
    replay: 'ingest/replay-cli.ts',
    capture: 'capture/cli.ts',
    worker: 'worker/cli.ts',
    stats: 'worker/stats-cli.ts',
    dlq: 'worker/dlq-cli.ts',
    partitions: 'worker/partitions-cli.ts',
    results: 'results/cli.ts',
    annotate: 'results/annotate-cli.ts',
    models: 'models/cli.ts',
    synth: 'models/synthetic/cli.ts',
    db: 'watchlist/db-cli.ts',
    watchlist: 'watchlist/cli.ts',
    notifier: 'alerts/notifier-cli.ts',
    alerts: 'alerts/cli.ts',
    events: 'events/cli.ts',
    web: 'web/cli.ts',
    privacy: 'privacy/cli.ts',
    erase: 'privacy/erase-cli.ts',
    audit: 'privacy/audit-cli.ts',
  };
  return paths[name]!;
}
