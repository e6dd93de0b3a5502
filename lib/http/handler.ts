import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { ZodError, type ZodType } from 'zod';
import type { Scope } from '../store/api-keys';
import { isStoreUnavailable, sdkMetadataOf } from '../store/unavailable';
import { DomainError } from '../model/domain-error';
import type { AuthContext, Authenticator } from './auth';
import { HttpProblem, InvalidRequestError, PROBLEM_TYPE_BASE, StoreUnavailableError, type FieldError } from './errors';
import { problemOf } from './problems';
import { JsonTooDeepError, parseJsonBounded } from '../json/bounded';
import { logger, startInvocationLog } from '../observability/logger';

export interface HttpRequest {
  event: APIGatewayProxyEventV2;
  requestId: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  query: Record<string, string>;
  path: Record<string, string>;
  /** The parsed JSON body, when the request has one. */
  body: unknown;
  /**
   * The body exactly as received: webhook signatures are computed over it. Decoded when first read;
   * reading it throws {@link InvalidRequestError} (400) when the body is not valid UTF-8.
   */
  readonly rawBody: string;
}

/** The request of a route with a scope: its key was checked, so its tenant and key are known. */
export interface AuthenticatedRequest extends HttpRequest {
  readonly auth: AuthContext;
}

export interface HttpResult {
  status: number;
  body?: unknown;
  /** A body sent as it is (an HTML page), instead of `body` as JSON; `headers` give its content-type. */
  text?: string;
  headers?: Record<string, string>;
}

export interface HttpHandlerOptions {
  /** Whether to parse the body as JSON (and refuse other content types). */
  jsonBody?: boolean;
}

/** A route that requires a valid API key with `scope`: its handler gets an {@link AuthenticatedRequest}. */
export interface ScopedHttpHandlerOptions extends HttpHandlerOptions {
  scope: Scope;
  authenticator: Authenticator;
}

type HttpLambda = ReturnType<typeof buildHttpHandler>;

const MAX_BODY_BYTES = 64 * 1024;

/**
 * The shared middy stack of every HTTP function: request id and logging context, API-key auth,
 * JSON body parsing, and one place where errors become problem+json.
 */
export function httpHandler(options: ScopedHttpHandlerOptions, fn: (request: AuthenticatedRequest) => Promise<HttpResult>): HttpLambda;
export function httpHandler(options: HttpHandlerOptions & { scope?: never }, fn: (request: HttpRequest) => Promise<HttpResult>): HttpLambda;
export function httpHandler(
  options: HttpHandlerOptions & Partial<ScopedHttpHandlerOptions>,
  fn: (request: AuthenticatedRequest) => Promise<HttpResult>,
): HttpLambda {
  return buildHttpHandler(options, fn);
}

function buildHttpHandler(
  options: HttpHandlerOptions & Partial<ScopedHttpHandlerOptions>,
  fn: (request: AuthenticatedRequest) => Promise<HttpResult>,
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2, Error, Context>()
    .use({
      onError: (request: middy.Request<APIGatewayProxyEventV2, APIGatewayProxyResultV2, Error, Context>) => {
        request.response = problemResponse(request.error, request.context?.awsRequestId ?? 'local');
      },
    })
    .handler(async (event: APIGatewayProxyEventV2, context: Context) => {
      // Lambda's own id: unique per invocation, and the one CloudWatch shows beside each log line.
      const requestId = context.awsRequestId;
      startInvocationLog(context);
      logger.appendKeys({ requestId, route: event.routeKey });
      const headers = lowerCaseHeaders(event.headers);
      let rawBody: string | undefined;
      const request: HttpRequest & { auth?: AuthContext } = {
        event,
        requestId,
        headers,
        query: definedValues(event.queryStringParameters),
        path: definedValues(event.pathParameters),
        body: undefined,
        // Decoded on first read, so that a route which authenticates first (API keys, the PBX events
        // token) never looks at a stranger's body, and a body that is not UTF-8 is a 400 only to callers who get that far.
        get rawBody() {
          return (rawBody ??= decodeBody(event));
        },
      };
      if (options.scope) {
        if (!options.authenticator) throw new Error('An authenticator is required for a scoped route');
        request.auth = await options.authenticator.authenticate(headers.authorization, options.scope);
        logger.appendKeys({ tenantId: request.auth.tenant.tenantId, keyId: request.auth.keyId });
      }
      if (options.jsonBody) request.body = parseJsonBody(headers, request.rawBody);
      // Only a scoped route reads `auth` (the overloads above), and on a scoped route it was set just before.
      const result = await fn(request as AuthenticatedRequest);
      const asJson = result.text === undefined && result.body !== undefined;
      return {
        statusCode: result.status,
        headers: {
          ...(asJson ? { 'content-type': 'application/json' } : {}),
          'x-request-id': requestId,
          ...result.headers,
        },
        body: result.text ?? (asJson ? JSON.stringify(result.body) : ''),
      };
    });
}

/** Parses with a zod schema; failures become a 400 naming each field (prefixed by `where`). */
export function parseInput<T>(schema: ZodType<T>, value: unknown, where = ''): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new InvalidRequestError(`The ${where || 'body'} is not valid.`, zodFieldErrors(parsed.error, where));
}

export function zodFieldErrors(error: ZodError, prefix = ''): FieldError[] {
  const pathOf = (path: PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || '(root)';
  return error.issues.flatMap((issue) =>
    // Name each unknown field itself: a typo ("too" for "to") is found at a glance.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: pathOf([...issue.path, key]), message: 'unknown field' }))
      : issue.code === 'invalid_key'
        ? // A refused name (of a record such as customData): say why, not only "Invalid key in record".
          [{ path: pathOf(issue.path), message: issue.issues.map((inner) => inner.message).join('; ') || issue.message }]
        : [{ path: pathOf(issue.path), message: issue.message }],
  );
}

function problemResponse(error: unknown, requestId: string): APIGatewayProxyResultV2 {
  let problem: HttpProblem;
  if (error instanceof HttpProblem) problem = error;
  else if (error instanceof DomainError) problem = problemOf(error);
  else if (error instanceof ZodError) problem = new InvalidRequestError('The request is not valid.', zodFieldErrors(error));
  else if (isStoreUnavailable(error)) {
    // Not a bug: DynamoDB throttled or failed after the SDK's own retries. The caller's retry is the cure.
    const metadata = sdkMetadataOf(error);
    logger.warn('DynamoDB unavailable: answered 503', {
      errorName: (error as Error).name,
      httpStatusCode: metadata?.httpStatusCode,
      attempts: metadata?.attempts,
      awsRequestId: metadata?.requestId,
    });
    problem = new StoreUnavailableError({ cause: error });
  } else {
    logger.error('Unhandled error', { error: error instanceof Error ? error : String(error) });
    problem = new HttpProblem(500, 'internal_error', 'Internal error', `Something went wrong on our side. Request id: ${requestId}.`);
  }
  if (problem.status >= 500) logger.warn('Answered with a server error', { code: problem.code, status: problem.status });
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', 'x-request-id': requestId, ...problem.headers },
    body: JSON.stringify({
      type: `${PROBLEM_TYPE_BASE}${problem.code}`,
      title: problem.title,
      status: problem.status,
      code: problem.code,
      detail: problem.message,
      ...(problem.errors ? { errors: problem.errors } : {}),
      ...problem.extensions,
      requestId,
    }),
  };
}

function lowerCaseHeaders(headers: APIGatewayProxyEventV2['headers'] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) out[name.toLowerCase()] = value;
  return out;
}

function definedValues(record: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(record ?? {})) if (value !== undefined) out[name] = value;
  return out;
}

// `ignoreBOM` keeps a byte-order mark in the text, as sent: signatures are computed over it.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** A UTF-16 surrogate without its pair: a Lambda event's body can hold one (a `\uD800` escape), no UTF-8 bytes can. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * The body as text. Bytes that are not UTF-8 are refused rather than silently replaced by U+FFFD: a
 * signature would then be checked over text the sender never sent, and a value stored that nobody wrote.
 *
 * @throws {InvalidRequestError} the body is not valid UTF-8
 */
function decodeBody(event: APIGatewayProxyEventV2): string {
  if (!event.body) return '';
  const text = event.isBase64Encoded ? decodeUtf8(Buffer.from(event.body, 'base64')) : event.body;
  if (text === undefined || LONE_SURROGATE.test(text)) {
    throw new InvalidRequestError('The body is not valid UTF-8.', [{ path: 'body', message: 'not valid UTF-8' }]);
  }
  return text;
}

function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function parseJsonBody(headers: Record<string, string>, rawBody: string): unknown {
  if (Buffer.byteLength(rawBody, 'utf8') > MAX_BODY_BYTES) {
    throw new InvalidRequestError(`The body is larger than ${MAX_BODY_BYTES} bytes.`, [{ path: 'body', message: 'too large' }]);
  }
  const contentType = headers['content-type'] ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(contentType)) {
    throw new InvalidRequestError('Send the body as JSON.', [{ path: 'headers.content-type', message: 'must be application/json' }]);
  }
  try {
    return parseJsonBounded(rawBody);
  } catch (error) {
    if (error instanceof JsonTooDeepError)
      throw new InvalidRequestError(error.message, [{ path: 'body', message: `nested deeper than ${error.maxDepth} levels` }]);
    throw new InvalidRequestError('The body is not valid JSON.', [{ path: 'body', message: 'not valid JSON' }]);
  }
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): HttpResult => ({ status, body, headers });
