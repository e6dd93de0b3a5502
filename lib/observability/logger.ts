import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { observabilityEnv } from '../config';

/**
 * One logger per container. Phone numbers and secrets never reach it whole: callers log masked
 * numbers (`maskNumber`) and key ids, never keys.
 */
export const logger = new Logger({ serviceName: observabilityEnv().serviceName });

/**
 * Starts an invocation's log context: the keys of the previous invocation dropped, the Lambda context (request id,
 * function, cold start) added. HTTP functions get it from httpHandler; stream and scheduled functions call it first.
 * The context is absent only when a test or the local stack calls a handler directly.
 */
export function startInvocationLog(context: Context | undefined): void {
  logger.resetKeys();
  if (context) logger.addContext(context);
}
