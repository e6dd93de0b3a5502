import { JsonTooDeepError, parseJsonBounded } from '../../json/bounded';
import { WebhookBodyError } from '../errors';

/**
 * JSON, or a form body (Zoho and some automation tools post parameters as a form): the body parser of every source
 * so far. Parsed only once authenticated.
 */
export function parseJsonOrForm(headers: Readonly<Record<string, string>>, rawBody: string): unknown {
  const contentType = headers['content-type'] ?? '';
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType)) return Object.fromEntries(new URLSearchParams(rawBody));
  if (rawBody.trim() === '') throw new WebhookBodyError('The body is empty.', [{ path: 'body', message: 'empty' }]);
  try {
    return parseJsonBounded(rawBody);
  } catch (error) {
    if (error instanceof JsonTooDeepError)
      throw new WebhookBodyError(error.message, [{ path: 'body', message: `nested deeper than ${error.maxDepth} levels` }]);
    throw new WebhookBodyError('The body is not valid JSON.', [{ path: 'body', message: 'not valid JSON' }]);
  }
}
