import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One logger per container. Phone numbers and secrets never reach it whole: callers log masked
 * numbers (`maskNumber`) and key ids, never keys.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'c2c' });
