// The parts of the Cloudflare Workers platform the coordinator uses, as the
// structural types it needs (so that neither the library nor its users' type
// checks depend on @cloudflare/workers-types: a real DurableObjectState, R2Bucket
// or DurableObjectNamespace fits them), and the blob store over Durable Object
// storage and R2.

import { FederatedError } from './errors.js';

/** `Request` and `Response` of the environment's types (never, where the lib has none). */
export type FetchRequest = typeof globalThis extends { Request: { prototype: infer R } } ? R : never;
export type FetchResponse = typeof globalThis extends { Response: { prototype: infer R } } ? R : never;

/** What the coordinator uses of DurableObjectStorage (its key-value API, on either storage backend). */
export interface StorageLike {
  get(key: string): Promise<unknown>;
  put(entries: Record<string, unknown>): Promise<void>;
  delete(keys: string[]): Promise<number>;
  list(options: { prefix: string }): Promise<Map<string, unknown>>;
  setAlarm(scheduledTime: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

/** What the coordinator uses of a WebSocket accepted with hibernation. */
export interface HibernatingSocket {
  send(message: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

/** What the coordinator uses of DurableObjectState. */
export interface CoordinatorState {
  readonly storage: StorageLike;
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
  acceptWebSocket(socket: HibernatingSocket, tags?: string[]): void;
  getWebSockets(tag?: string): HibernatingSocket[];
}

/** What the coordinator uses of an R2 bucket binding. */
export interface BucketLike {
  put(key: string, value: ArrayBuffer | ArrayBufferView): Promise<unknown>;
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
  delete(keys: string | string[]): Promise<void>;
}

/** The Worker's bindings the coordinator reads. */
export interface CoordinatorEnv {
  /** The deployment's secret (`wrangler secret put FEDERATED_SECRET`): tokens are signed with it. */
  FEDERATED_SECRET?: string;
  /** An R2 bucket for large blobs (models and updates above the federation's r2Above bytes). */
  FEDERATED_BUCKET?: BucketLike;
}

/** What the router uses of a DurableObjectNamespace. */
export interface NamespaceLike {
  idFromName(name: string): unknown;
  get(id: never): { fetch(request: FetchRequest): Promise<FetchResponse> };
}

/** Where a blob is: chunks of Durable Object storage, or one R2 object. */
export interface BlobRef {
  readonly where: 'storage' | 'r2';
  readonly key: string;
  readonly bytes: number;
}

/**
 * Below the key-value API's 128 KiB value limit (the SQLite backend allows 2 MB;
 * the smaller works on both).
 */
const CHUNK = 120 * 1024;
/** Keys one storage.put may write atomically. */
const MAX_KEYS = 128;

export class BlobStore {
  readonly #storage: StorageLike;
  readonly #bucket: BucketLike | null;
  readonly #r2Above: number;

  constructor(storage: StorageLike, bucket: BucketLike | null, r2Above: number) {
    this.#storage = storage;
    this.#bucket = bucket;
    this.#r2Above = r2Above;
  }

  /**
   * Stores `bytes` under `key` and writes `records` (small values) after it: in
   * one atomic put with the chunks when they fit in one, else last, so that a
   * record never points at a blob that is not all there.
   */
  async put(key: string, bytes: Uint8Array, records: (ref: BlobRef) => Record<string, unknown>): Promise<BlobRef> {
    if (this.#bucket !== null && bytes.length > this.#r2Above) {
      await this.#bucket.put(key, bytes);
      const ref: BlobRef = { where: 'r2', key, bytes: bytes.length };
      await this.#storage.put(records(ref));
      return ref;
    }
    const ref: BlobRef = { where: 'storage', key, bytes: bytes.length };
    const chunks: Record<string, unknown> = {};
    const count = Math.max(1, Math.ceil(bytes.length / CHUNK));
    for (let i = 0; i < count; i++) chunks[`${key}#${i}`] = bytes.slice(i * CHUNK, (i + 1) * CHUNK);
    const tail = records(ref);
    if (count + Object.keys(tail).length <= MAX_KEYS) {
      await this.#storage.put({ ...chunks, ...tail });
    } else {
      const names = Object.keys(chunks);
      for (let i = 0; i < names.length; i += MAX_KEYS) {
        await this.#storage.put(Object.fromEntries(names.slice(i, i + MAX_KEYS).map((n) => [n, chunks[n]])));
      }
      await this.#storage.put(tail);
    }
    return ref;
  }

  async get(ref: BlobRef): Promise<Uint8Array> {
    if (ref.where === 'r2') {
      if (this.#bucket === null) throw new FederatedError('config', `blob ${ref.key} is in R2, but the deployment has no FEDERATED_BUCKET binding`);
      const object = await this.#bucket.get(ref.key);
      if (object === null) throw new FederatedError('internal', `blob ${ref.key} is missing from R2`);
      const bytes = new Uint8Array(await object.arrayBuffer());
      if (bytes.length !== ref.bytes) throw new FederatedError('internal', `blob ${ref.key} is ${bytes.length} bytes in R2, expected ${ref.bytes}`);
      return bytes;
    }
    const out = new Uint8Array(ref.bytes);
    const count = Math.max(1, Math.ceil(ref.bytes / CHUNK));
    for (let i = 0; i < count; i++) {
      const chunk = await this.#storage.get(`${ref.key}#${i}`);
      if (!(chunk instanceof Uint8Array) && !(chunk instanceof ArrayBuffer)) throw new FederatedError('internal', `blob ${ref.key}: chunk ${i} is missing from storage`);
      out.set(new Uint8Array(chunk as ArrayBuffer), i * CHUNK);
    }
    return out;
  }

  async delete(refs: readonly BlobRef[]): Promise<void> {
    const r2 = refs.filter((r) => r.where === 'r2').map((r) => r.key);
    if (r2.length > 0 && this.#bucket !== null) await this.#bucket.delete(r2);
    const keys = refs.filter((r) => r.where === 'storage').flatMap((r) => Array.from({ length: Math.max(1, Math.ceil(r.bytes / CHUNK)) }, (_, i) => `${r.key}#${i}`));
    for (let i = 0; i < keys.length; i += MAX_KEYS) await this.#storage.delete(keys.slice(i, i + MAX_KEYS));
  }
}
