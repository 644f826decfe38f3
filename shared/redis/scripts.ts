import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from './connection.ts';

/** Folder holding every Lua script, each named `<name>-<numKeys>.lua`. */
export const LUA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'lua');

export interface LuaScript {
  name: string;
  numberOfKeys: number;
  lua: string;
}

let cache: Map<string, LuaScript> | undefined;

/** Reads every script once. A file whose name does not follow `<name>-<numKeys>.lua` is an error. */
export function loadScripts(dir = LUA_DIR): Map<string, LuaScript> {
  if (cache && dir === LUA_DIR) return cache;
  const out = new Map<string, LuaScript>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.lua')) continue;
    const m = /^([a-zA-Z][a-zA-Z0-9]*)-(\d+)\.lua$/.exec(file);
    if (!m) throw new Error(`Lua script ${file} must be named <name>-<numKeys>.lua`);
    const name = m[1]!;
    out.set(name, { name, numberOfKeys: Number(m[2]), lua: readFileSync(join(dir, file), 'utf8') });
  }
  if (dir === LUA_DIR) cache = out;
  return out;
}

/**
 * Registers every script as an ioredis command (EVALSHA with a NOSCRIPT fallback to EVAL, so a restarted
 * Redis that lost its script cache still works). Idempotent per connection.
 */
export function defineScripts(redis: RedisClient): void {
  const marked = redis as RedisClient & { __platestreamScripts?: boolean };
  if (marked.__platestreamScripts) return;
  for (const s of loadScripts().values()) {
    redis.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
  }
  marked.__platestreamScripts = true;
}

type ScriptArg = string | number | Buffer;

/** Calls a script defined by `defineScripts`. */
export function runScript<T = unknown>(
  redis: RedisClient,
  name: string,
  keys: string[],
  args: ScriptArg[],
): Promise<T> {
  defineScripts(redis);
  const fn = (redis as unknown as Record<string, (...a: ScriptArg[]) => Promise<T>>)[name];
  if (typeof fn !== 'function') throw new Error(`Lua script "${name}" is not defined in ${LUA_DIR}`);
  return fn.call(redis, ...keys, ...args);
}
