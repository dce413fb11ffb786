// The one error of federated training. The coordinator answers every refusal
// with it (as JSON: { error: { code, reason, message } } and the HTTP status
// below) and the client throws it again on its side, so a caller branches on
// `err.reason` wherever the refusal was made.

import { ManytaskError } from '../runtime/errors.js';

/** Why a request or an update was refused; each has its HTTP status (STATUS). */
export type FederatedReason =
  /** No token, a token whose signature does not verify, or an expired one. */
  | 'unauthorized'
  /** A valid token that may not do this (a client token on an admin action, another federation's token). */
  | 'forbidden'
  /** Bytes that are not an update: bad magic, checksum, JSON, lengths, parts, or a value that is no value of its encoding. */
  | 'malformed'
  /** More bytes than an update of this model can take. */
  | 'too-large'
  /** A NaN or infinite value in an update. */
  | 'not-finite'
  /** A finite value or a count beyond what the exact fixed-point sum can hold. */
  | 'out-of-range'
  /** An update for a round that is not the open one (closed, abandoned, or not started yet). */
  | 'stale-round'
  /** An update computed from other weights than the federation's current version. */
  | 'wrong-version'
  /** An update of another federation or another model (its parameter layout differs). */
  | 'wrong-model'
  /** A second update of the same client in one round: the first one counts, this one is ignored. */
  | 'duplicate'
  /** The federation has not been started. */
  | 'not-started'
  /** The federation has run all its rounds. */
  | 'finished'
  /** A start request for a federation that is running. */
  | 'already-started'
  /** The deployment or the federation is misconfigured (a missing secret, an option out of range). */
  | 'config'
  /** No such action or version. */
  | 'not-found'
  /** The coordinator failed (its storage lost a blob, a bug): the request changed nothing. */
  | 'internal'
  /** The client could not reach the coordinator, or it answered something that is not the protocol. */
  | 'transport';

export const STATUS: Readonly<Record<FederatedReason, number>> = Object.freeze({
  unauthorized: 401,
  forbidden: 403,
  malformed: 400,
  'too-large': 413,
  'not-finite': 400,
  'out-of-range': 400,
  'stale-round': 409,
  'wrong-version': 409,
  'wrong-model': 409,
  duplicate: 409,
  'not-started': 409,
  finished: 409,
  'already-started': 409,
  config: 500,
  'not-found': 404,
  internal: 500,
  transport: 502,
});

export class FederatedError extends ManytaskError {
  readonly reason: FederatedReason;
  constructor(reason: FederatedReason, message: string, options?: { cause?: unknown }) {
    super('E_FEDERATED', message, options);
    this.reason = reason;
  }

  /** The HTTP status the coordinator answers this refusal with. */
  get status(): number {
    return STATUS[this.reason];
  }
}

export function isFederatedReason(v: unknown): v is FederatedReason {
  return typeof v === 'string' && Object.hasOwn(STATUS, v);
}
