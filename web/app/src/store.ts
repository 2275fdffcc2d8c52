/** A value that components follow: `useStore(store)` re-renders on every `set`. */

import { useEffect, useState } from "preact/hooks";

export class Store<T> {
  private readonly listeners = new Set<(value: T) => void>();

  constructor(private current: T) {}

  get value(): T {
    return this.current;
  }

  set(value: T): void {
    this.current = value;
    for (const listener of [...this.listeners]) listener(value);
  }

  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function useStore<T>(store: Store<T>): T {
  const [, setTick] = useState(0);
  const value = store.value;
  useEffect(() => {
    const off = store.subscribe(() => setTick((t) => t + 1));
    // A change between the render and this effect was not heard.
    if (store.value !== value) setTick((t) => t + 1);
    return off;
  }, [store]);
  return value;
}

/** Re-renders whenever `subscribe` reports (an emitter's `on`), until unmounted. */
export function useEvents(subscribe: ((notify: () => void) => () => void) | undefined, deps: unknown[]): void {
  const [, setTick] = useState(0);
  useEffect(() => (subscribe ? subscribe(() => setTick((t) => t + 1)) : undefined), deps);
}

/** The state of an async load: re-run with `reload`. */
export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      // A failed reload keeps what was shown, with the error beside it.
      (error: unknown) => live && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return { ...state, reload: () => setRound((r) => r + 1) };
}
