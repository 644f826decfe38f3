/** Where a command reads its environment and writes its output; tests pass their own. */
export interface CliIO {
  env: NodeJS.ProcessEnv;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/** The real process: process.env, stdout, stderr. */
export const processIO = (): CliIO => ({ env: process.env, stdout: process.stdout, stderr: process.stderr });

/** A line writer for one stream (appends the newline). */
export function lines(stream: { write(s: string): unknown }): (s: string) => void {
  return (s) => void stream.write(`${s}\n`);
}
