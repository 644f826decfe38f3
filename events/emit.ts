import type { RedisClient } from '../shared/redis/connection.ts';
import { PlatestreamError } from '../shared/errors.ts';
import type { StreamKeys } from '../shared/redis/keys.ts';
import { runScript } from '../shared/redis/scripts.ts';

/** One events-stage commit (see shared/lua/emitEvents-8.lua): everything a batch or a flush changed. */
export interface EmitRequest {
  keys: StreamKeys;
  /** The partition's group, state hash and lease key. */
  partition: { group: string; state: string; lock: string };
  /** The lease value this process holds (the script writes nothing under another). */
  lease: string;
  /** Result ids consumed by this batch (XACK'd in the script). */
  ack: readonly string[];
  /** New state per camera: JSON, or '' to delete the camera's field. */
  states: ReadonlyMap<string, string>;
  /** Counter increments (COUNTER fields). */
  counters: ReadonlyMap<string, number>;
  events: readonly { fields: readonly string[]; alert?: readonly string[] }[];
  eventsMaxLen: number;
  indexMaxLen: number;
  alertsMaxLen: number;
}

export type EmitOutcome =
  | { kind: 'lease-lost' }
  | { kind: 'written'; acked: number; eventIds: string[]; alertIds: string[] };

export function emitArgs(req: EmitRequest): { keys: string[]; args: string[] } {
  const k = req.keys;
  const args: string[] = [
    req.partition.group,
    req.lease,
    String(req.eventsMaxLen),
    String(req.indexMaxLen),
    String(req.alertsMaxLen),
    String(req.ack.length),
    ...req.ack,
    String(req.states.size),
  ];
  for (const [camera, json] of req.states) args.push(camera, json);
  args.push(String(req.counters.size));
  for (const [field, by] of req.counters) args.push(field, String(by));
  args.push(String(req.events.length));
  for (const e of req.events) {
    if (e.fields.length % 2 !== 0) throw new Error('event fields are not field/value pairs');
    const alert = e.alert ?? [];
    if (alert.length % 2 !== 0) throw new Error('alert fields are not field/value pairs');
    args.push(String(e.fields.length / 2), ...e.fields, String(alert.length / 2), ...alert);
  }
  return {
    keys: [
      k.results,
      req.partition.state,
      k.events,
      k.counters,
      k.alerts,
      req.partition.lock,
      k.eventsByPlate,
      k.eventsByTime,
    ],
    args,
  };
}

/** Runs emitEvents-8.lua. */
export async function emitEvents(redis: RedisClient, req: EmitRequest): Promise<EmitOutcome> {
  const call = emitArgs(req);
  const reply = await runScript<number | [number, string[], string[]]>(
    redis,
    'emitEvents',
    call.keys,
    call.args,
  );
  if (reply === -1 || Number(reply) === -1) return { kind: 'lease-lost' };
  if (!Array.isArray(reply) || reply.length !== 3) {
    throw new PlatestreamError(
      'SCRIPT_FAILED',
      `emitEvents returned ${JSON.stringify(reply)} (${req.ack.length} results, ${req.events.length} events)`,
    );
  }
  return {
    kind: 'written',
    acked: Number(reply[0]),
    eventIds: (reply[1] ?? []).map(String),
    alertIds: (reply[2] ?? []).map(String),
  };
}
