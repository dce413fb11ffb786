// Signed tokens for a deployment's clients and admins: HMAC-SHA256 (Web Crypto)
// over the claims, under the deployment's secret (a Worker secret,
// `wrangler secret put FEDERATED_SECRET`). The coordinator holds only the
// secret; whoever holds it issues tokens (createToken, e.g. from a Node script).
//
//   mtfl1.<claims: base64url JSON>.<HMAC-SHA256(secret, "mtfl1." + claims): base64url>
//
// Claims: sub (the client's id: one update per round per sub), role ('client'
// or 'admin': start a federation), fed (optional: the one federation the token
// is good for), exp (optional: seconds since 1970 after which it is refused).
// The signature is checked with crypto.subtle.verify (constant time).

import { FederatedError } from './errors.js';

export type TokenRole = 'client' | 'admin';

export interface TokenClaims {
  /** Who the token identifies: one update per round per id. Letters, digits and . _ : @ - (1–128). */
  sub: string;
  role: TokenRole;
  /** The federation the token is good for; absent: any federation of the deployment. */
  fed?: string;
  /** Expiry, in seconds since 1970 (UTC); absent: never. */
  exp?: number;
}

export interface CreateTokenOptions {
  /** The client's id (TokenClaims.sub). */
  clientId: string;
  /** Default 'client'. */
  role?: TokenRole;
  /** Restrict the token to one federation. */
  federation?: string;
  /** Seconds from now until the token expires; absent: never. */
  expiresIn?: number;
  /** The current time in ms (default Date.now()), for expiresIn. */
  now?: number;
}

const PREFIX = 'mtfl1';
/** The shortest secret a deployment may use (characters). */
export const MIN_SECRET_LENGTH = 32;
const ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const FEDERATION = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `name` is a valid federation name (letters, digits, _ and -, 1–64). */
export function isFederationName(name: unknown): name is string {
  return typeof name === 'string' && FEDERATION.test(name);
}

function checkSecret(secret: unknown): string {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new FederatedError('config', `the deployment's secret must be a string of at least ${MIN_SECRET_LENGTH} characters (set it with \`wrangler secret put FEDERATED_SECRET\`)`);
  }
  return secret;
}

async function hmacKey(secret: string, use: 'sign' | 'verify'): Promise<CryptoKey> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) throw new FederatedError('config', 'tokens need Web Crypto (crypto.subtle), and this runtime has none');
  return subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [use]);
}

/** A signed token for a client (or an admin) of the deployment whose secret this is. */
export async function createToken(secret: string, options: CreateTokenOptions): Promise<string> {
  checkSecret(secret);
  const { clientId, role = 'client', federation, expiresIn, now = Date.now() } = options;
  if (typeof clientId !== 'string' || !ID.test(clientId)) throw new FederatedError('config', `createToken: clientId must be 1–128 letters, digits or . _ : @ -, got ${JSON.stringify(clientId)}`);
  if (role !== 'client' && role !== 'admin') throw new FederatedError('config', `createToken: role must be 'client' or 'admin', got ${JSON.stringify(role)}`);
  if (federation !== undefined && !isFederationName(federation)) throw new FederatedError('config', `createToken: federation must be 1–64 letters, digits, _ or -, got ${JSON.stringify(federation)}`);
  if (expiresIn !== undefined && !(typeof expiresIn === 'number' && expiresIn > 0 && Number.isFinite(expiresIn))) throw new FederatedError('config', `createToken: expiresIn must be a number of seconds > 0, got ${String(expiresIn)}`);
  const claims: TokenClaims = { sub: clientId, role, ...(federation !== undefined ? { fed: federation } : {}), ...(expiresIn !== undefined ? { exp: Math.floor(now / 1000 + expiresIn) } : {}) };
  const body = base64url(new TextEncoder().encode(JSON.stringify(claims)));
  const signature = await globalThis.crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), new TextEncoder().encode(`${PREFIX}.${body}`));
  return `${PREFIX}.${body}.${base64url(new Uint8Array(signature))}`;
}

/** The claims of a token signed with `secret`; FederatedError 'unauthorized' for anything else. */
export async function verifyToken(secret: string, token: unknown, now = Date.now()): Promise<TokenClaims> {
  checkSecret(secret);
  const refuse = (why: string): never => { throw new FederatedError('unauthorized', `the token is refused: ${why}`); };
  if (typeof token !== 'string' || token.length > 4096) refuse('no token (send Authorization: Bearer <token>)');
  const parts = (token as string).split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) refuse('it is not a manytask federated token');
  const signature = fromBase64url(parts[2]!);
  const body = fromBase64url(parts[1]!);
  if (signature === null || body === null) refuse('it is not base64url');
  const ok = await globalThis.crypto.subtle.verify('HMAC', await hmacKey(secret, 'verify'), signature as Uint8Array<ArrayBuffer>, new TextEncoder().encode(`${PREFIX}.${parts[1]!}`));
  if (!ok) refuse('its signature does not verify (another deployment\'s token, or altered)');
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body!));
  } catch {
    refuse('its claims are not JSON');
  }
  const c = claims as Partial<TokenClaims> | null;
  if (typeof c !== 'object' || c === null || typeof c.sub !== 'string' || !ID.test(c.sub) || (c.role !== 'client' && c.role !== 'admin')) refuse('its claims lack a valid sub and role');
  if (c!.fed !== undefined && !isFederationName(c!.fed)) refuse('its federation claim is not a federation name');
  if (c!.exp !== undefined && !(typeof c!.exp === 'number' && now / 1000 < c!.exp)) refuse('it has expired');
  return c as TokenClaims;
}

/** The bearer token of a request: `Authorization: Bearer <t>`, or (WebSocket upgrades) the subprotocol after "manytask-federated". */
export function requestToken(headers: { get(name: string): string | null }): string | null {
  const auth = headers.get('authorization');
  if (auth !== null) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m ? m[1]! : null;
  }
  const protocols = headers.get('sec-websocket-protocol');
  if (protocols !== null) {
    const list = protocols.split(',').map((p) => p.trim());
    const at = list.indexOf(WS_PROTOCOL);
    if (at >= 0 && at + 1 < list.length) return list[at + 1]!;
  }
  return null;
}

/** The WebSocket subprotocol of the protocol; the token travels as the next one (browsers cannot set headers on a WebSocket). */
export const WS_PROTOCOL = 'manytask-federated';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += ALPHABET[(n >>> 18) & 63]! + ALPHABET[(n >>> 12) & 63]!;
    if (i + 1 < bytes.length) out += ALPHABET[(n >>> 6) & 63]!;
    if (i + 2 < bytes.length) out += ALPHABET[n & 63]!;
  }
  return out;
}

function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0, acc = 0, at = 0;
  for (const ch of text) {
    acc = ((acc << 6) | ALPHABET.indexOf(ch)) & 0x3fff; // at most 7 + 6 bits are pending
    bits += 6;
    if (bits >= 8) { bits -= 8; out[at++] = (acc >>> bits) & 0xff; }
  }
  return out;
}
