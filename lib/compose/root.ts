import { loadConfig, type Config } from '../config';
import { systemClock, type Clock } from '../time/clock';

/**
 * What one container is built from: its configuration and its clock. Every other piece (table, sealer,
 * repositories, use cases) is built from a root on first use and kept for the root's life ({@link perRoot}).
 */
export interface Root {
  readonly config: Config;
  readonly clock: Clock;
}

/** A root of its own: tests, the local stack and benches build one with their configuration or clock. */
export function createRoot(options: { config?: Config; clock?: Clock } = {}): Root {
  return { config: options.config ?? loadConfig(), clock: options.clock ?? systemClock };
}

let shared: Root | undefined;

/** The root of this Lambda instance: the environment parsed on first use, then reused while the container is warm. */
export function root(): Root {
  shared ??= createRoot();
  return shared;
}

/**
 * A piece built once per root, on first call: a function's cold start builds only what its own use case asks
 * for, and its bundle holds only the modules that use case imports.
 */
export function perRoot<T>(build: (root: Root) => T): (from?: Root) => T {
  const built = new WeakMap<Root, T>();
  return (from = root()) => {
    if (!built.has(from)) built.set(from, build(from));
    return built.get(from) as T;
  };
}

/** A piece that needs no configuration (a static page, a document), built on first call and kept for the container's life. */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
