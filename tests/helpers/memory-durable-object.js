// Durable Objects in memory, for running the federated coordinator in the unit
// tests under Node, Deno and Bun (tests/runtimes/federated.test.js runs the same
// scenarios in workerd through Miniflare, with real storage, R2, alarms and
// WebSockets). Storage values are structured-cloned on the way in and out and
// held to the key-value API's limits (128 keys a put, 128 KiB a value), as
// Durable Object storage does; `restart()` gives every object a new instance over
// the same storage, as a crash or an eviction does; alarms are recorded, and
// `alarm(name)` runs the object's alarm handler, as the runtime does at the time.
export class MemoryStorage {
  map = new Map();
  alarm = null;
  async get(key) { return this.map.has(key) ? structuredClone(this.map.get(key)) : undefined; }
  async put(entries) {
    if (Object.keys(entries).length > 128) throw new Error(`storage.put: ${Object.keys(entries).length} keys (at most 128)`);
    for (const [k, v] of Object.entries(entries)) {
      if (ArrayBuffer.isView(v) && v.byteLength > 128 * 1024) throw new Error(`storage.put: value of ${k} is ${v.byteLength} bytes (at most 128 KiB)`);
      this.map.set(k, structuredClone(v));
    }
  }
  async delete(keys) { let n = 0; for (const k of keys) if (this.map.delete(k)) n++; return n; }
  async list({ prefix }) {
    return new Map([...this.map].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, structuredClone(v)]));
  }
  async setAlarm(t) { this.alarm = t; }
  async deleteAlarm() { this.alarm = null; }
}

/** An R2 bucket in memory. */
export class MemoryBucket {
  objects = new Map();
  async put(key, value) { this.objects.set(key, new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength))); }
  async get(key) { const v = this.objects.get(key); return v === undefined ? null : { arrayBuffer: async () => v.slice().buffer }; }
  async delete(keys) { for (const k of [keys].flat()) this.objects.delete(k); }
}

/**
 * A Durable Object namespace of `Coordinator` objects in memory: `idFromName`
 * and `get(id).fetch(request)` as a Worker's binding has them.
 */
export function memoryNamespace(Coordinator, env) {
  const objects = new Map(); // name → { storage, object, ready }
  const create = (name, storage) => {
    let ready = Promise.resolve();
    const ctx = {
      storage,
      blockConcurrencyWhile(f) { const p = f(); ready = p; return p; },
      acceptWebSocket() { throw new Error('no WebSockets in memory'); },
      getWebSockets() { return []; },
    };
    const entry = { storage, object: new Coordinator(ctx, env) };
    entry.ready = () => ready;
    objects.set(name, entry);
    return entry;
  };
  const instance = async (name) => {
    const entry = objects.get(name) ?? create(name, new MemoryStorage());
    await entry.ready();
    return entry;
  };
  return {
    idFromName: (name) => name,
    get: (name) => ({ fetch: async (request) => (await instance(name)).object.fetch(request) }),
    /** Every object anew over its storage (a restart of the runtime). */
    async restart() { for (const [name, { storage }] of [...objects]) await create(name, storage).ready(); },
    /** Runs federation `name`'s alarm handler, as the runtime does when its alarm is due. */
    async alarm(name) { const entry = await instance(name); assert(entry.storage.alarm !== null, `${name} has no alarm set`); await entry.object.alarm(); },
    storage: (name) => objects.get(name)?.storage,
  };
}

function assert(ok, message) { if (!ok) throw new Error(message); }
