// Records keyed by names the user chose: tasks, columns, classes. On a plain
// object, the names that Object.prototype already has misbehave — assigning
// `record['__proto__'] = v` sets the prototype and the value is lost, and
// `record['constructor']` reads a function the record never held. Inside the
// library such tables are Maps; the records handed to users (predictions,
// evaluations, training logs) and the ones they hand in are written with setOwn
// and read with getOwn, so any name works like any other.

/** record[key] = value, always as an own enumerable property (also for "__proto__"). */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}

/** record[key] if the record itself holds that key (never an inherited property), else undefined. */
export function getOwn<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
