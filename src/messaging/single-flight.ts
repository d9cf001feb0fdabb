// Concurrent callers asking for the same key share one in-flight promise: after a start or reconnect, hundreds
// of sends miss the same cache entry at once, and without this each would run its own identical query.
export type SingleFlight<V> = (key: string, load: () => Promise<V>) => Promise<V>;

export function createSingleFlight<V>(): SingleFlight<V> {
  const inflight = new Map<string, Promise<V>>();
  return (key, load) => {
    const pending = inflight.get(key);
    if (pending) return pending;
    const p = load().finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  };
}
