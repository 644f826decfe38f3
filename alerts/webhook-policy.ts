import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { EnvReader } from '../shared/config/env-reader.ts';

/**
 * Where webhooks may point. A webhook URL comes from whoever can edit the watchlist; unchecked, the notifier
 * would POST signed alerts (with the plate) to 127.0.0.1 admin ports or 169.254.169.254 (cloud metadata).
 * Refused unless allowed: loopback, link-local (169.254/16, fe80::/10), private (10/8, 172.16/12,
 * 192.168/16, 100.64/10, fc00::/7), unspecified, multicast and reserved addresses, and `localhost` names.
 * `allow` (LPR_WEBHOOK_ALLOW) lists CIDRs (`10.1.0.0/16`, `127.0.0.1/32`) and host names (`hooks.internal`,
 * `*.corp.example`) that are allowed anyway. Checked when a webhook is added or imported (the URL as
 * written) and again at every delivery, after DNS resolution: every address the name resolves to must
 * pass, and the connection goes to the address that was checked (no second lookup to rebind).
 */
export interface WebhookPolicy {
  allow: readonly string[];
}

export const DEFAULT_WEBHOOK_POLICY: WebhookPolicy = Object.freeze({ allow: Object.freeze([]) });

const REFUSED: ReadonlyArray<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'private (carrier-grade NAT)'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['192.0.0.0', 24, 'ipv4', 'reserved'],
  ['198.18.0.0', 15, 'ipv4', 'reserved'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fc00::', 7, 'ipv6', 'private'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

/** Reads LPR_WEBHOOK_ALLOW: comma-separated CIDRs and host names (`*.suffix` for a domain). */
export function readWebhookPolicy(r: EnvReader): WebhookPolicy {
  const raw = r.optionalString('LPR_WEBHOOK_ALLOW') ?? '';
  const allow = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  for (const entry of allow) {
    const problem = allowEntryProblem(entry);
    if (problem) r.problem('LPR_WEBHOOK_ALLOW', problem);
  }
  return Object.freeze({ allow: Object.freeze(allow) });
}

function allowEntryProblem(entry: string): string | undefined {
  if (entry.includes('/')) {
    const [addr, bits] = entry.split('/');
    const family = isIP(addr ?? '');
    const n = Number(bits);
    if (!family || !Number.isInteger(n) || n < 0 || n > (family === 4 ? 32 : 128))
      return `"${entry}" is not a CIDR such as 10.1.0.0/16 or fd00::/8`;
    return undefined;
  }
  if (!/^(\*\.)?[a-z0-9.-]+$/.test(entry) && !isIP(entry))
    return `"${entry}" is neither a CIDR nor a host name (hooks.internal, *.corp.example)`;
  return undefined;
}

/** Turns `::ffff:127.0.0.1` into `127.0.0.1` so IPv4 rules apply to mapped addresses too. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address: a, family: isIP(a) === 6 ? 'ipv6' : 'ipv4' };
}

const refusedList = (() => {
  const lists = REFUSED.map(([net, bits, family, why]) => {
    const b = new BlockList();
    b.addSubnet(net, bits, family);
    return { b, why };
  });
  return lists;
})();

function allowedCidrs(policy: WebhookPolicy): BlockList {
  const b = new BlockList();
  for (const entry of policy.allow) {
    if (!entry.includes('/')) {
      const family = isIP(entry);
      if (family) b.addAddress(entry, family === 4 ? 'ipv4' : 'ipv6');
      continue;
    }
    const [addr, bits] = entry.split('/');
    const family = isIP(addr!);
    if (family) b.addSubnet(addr!, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
  }
  return b;
}

function hostAllowed(host: string, policy: WebhookPolicy): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return policy.allow.some((e) =>
    e.startsWith('*.') ? h.endsWith(e.slice(1)) : !e.includes('/') && e === h,
  );
}

/** Why one address is refused under the policy, or undefined when it may be used. */
export function addressProblem(address: string, policy: WebhookPolicy): string | undefined {
  const { address: a, family } = normalise(address);
  if (allowedCidrs(policy).check(a, family)) return undefined;
  const hit = refusedList.find(({ b }) => b.check(a, family));
  return hit ? `${a} is a ${hit.why} address` : undefined;
}

/**
 * The static check (watchlist add/import, LPR_WEBHOOK_URL): scheme, then the host as written: IP literals
 * against the ranges, `localhost` names refused. Names are resolved only at delivery.
 */
export function webhookPolicyProblem(url: string, policy: WebhookPolicy): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined; // the URL rule reports it
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (hostAllowed(host, policy)) return undefined;
  const why = isIP(host)
    ? addressProblem(host, policy)
    : /(^|\.)localhost\.?$/i.test(host)
      ? `${host} is a loopback name`
      : undefined;
  return why ? refusal(why) : undefined;
}

function refusal(why: string): string {
  return `webhook destination refused: ${why}; webhooks may not point at loopback, link-local or private addresses unless LPR_WEBHOOK_ALLOW lists them (e.g. LPR_WEBHOOK_ALLOW=10.1.0.0/16,hooks.internal)`;
}

export class WebhookRefusedError extends Error {
  readonly code = 'WEBHOOK_REFUSED';
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http.request / https.request: resolves the name, checks every address it resolves to,
 * and hands only checked addresses to the socket. A name that resolves to any refused address is refused
 * as a whole (a name with one public and one internal address is a classic rebinding trick).
 */
export function checkedLookup(policy: WebhookPolicy) {
  return (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses) => {
      if (err) return callback(err, '');
      if (!hostAllowed(hostname, policy)) {
        for (const a of addresses) {
          const why = addressProblem(a.address, policy);
          if (why) return callback(new WebhookRefusedError(refusal(`${hostname} resolves to ${why}`)), '');
        }
      }
      if (addresses.length === 0) return callback(new Error(`${hostname} resolves to no address`), '');
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
