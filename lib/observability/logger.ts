import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';
import type { Context } from 'aws-lambda';
import { observabilityEnv } from '../config';

type LogKeys = Parameters<Logger['appendKeys']>[0];

/** Powertools' Logger, told when it is built after the container's first invocation. */
export class ServiceLogger extends Logger {
  /** Powertools reports `cold_start: true` on its first `addContext`: wrong when that is not the container's first invocation. */
  markWarm(): void {
    this.coldStart = false;
  }
}

/**
 * The container's logger: Powertools' Logger, built when the first line is written. Building it costs a few ms of
 * module load at every cold start (BENCHMARKS.md, "Cold start, per function"), and most invocations of most functions
 * write no line: a read that succeeds logs nothing. The keys and the Lambda context given before it exists are kept,
 * and handed to it when it is built, so a line carries the same keys whenever the logger was built.
 */
export class DeferredLogger {
  #built: Logger | undefined;
  #keys: LogKeys = {};
  #context: Context | undefined;
  #invocations = 0;

  constructor(private readonly build: () => ServiceLogger) {}

  /** The Logger, built on first use with the keys and context given so far. */
  get built(): Logger {
    if (this.#built) return this.#built;
    const logger = this.build();
    if (this.#invocations > 1) logger.markWarm();
    if (this.#context) logger.addContext(this.#context);
    logger.appendKeys(this.#keys);
    this.#built = logger;
    return logger;
  }

  info(input: LogItemMessage, ...extraInput: LogItemExtraInput): void {
    this.built.info(input, ...extraInput);
  }

  warn(input: LogItemMessage, ...extraInput: LogItemExtraInput): void {
    this.built.warn(input, ...extraInput);
  }

  error(input: LogItemMessage, ...extraInput: LogItemExtraInput): void {
    this.built.error(input, ...extraInput);
  }

  debug(input: LogItemMessage, ...extraInput: LogItemExtraInput): void {
    this.built.debug(input, ...extraInput);
  }

  appendKeys(keys: LogKeys): void {
    if (this.#built) this.#built.appendKeys(keys);
    else this.#keys = { ...this.#keys, ...keys };
  }

  resetKeys(): void {
    if (this.#built) this.#built.resetKeys();
    else this.#keys = {};
  }

  addContext(context: Context): void {
    this.#invocations += 1;
    if (this.#built) this.#built.addContext(context);
    else this.#context = context;
  }
}

/**
 * One logger per container. Phone numbers and secrets never reach it whole: callers log masked
 * numbers (`maskNumber`) and key ids, never keys.
 */
export const logger = new DeferredLogger(() => new ServiceLogger({ serviceName: observabilityEnv().serviceName }));

/**
 * Starts an invocation's log context: the keys of the previous invocation dropped, the Lambda context (request id,
 * function, cold start) added. HTTP functions get it from httpHandler; stream and scheduled functions call it first.
 * The context is absent only when a test or the local stack calls a handler directly.
 */
export function startInvocationLog(context: Context | undefined): void {
  logger.resetKeys();
  if (context) logger.addContext(context);
}
