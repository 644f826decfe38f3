// Placeholder until this command is built; see the open issue that owns it.
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('this command is not built yet\n');
  return 1;
}
