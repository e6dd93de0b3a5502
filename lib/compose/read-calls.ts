import { ReadCalls } from '../calls/read-calls';
import { perRoot } from './root';
import { calls } from './call-store';

/** GET /v1/calls/{callId} and GET /v1/calls: the call resources of a tenant. */
export const readCallsUseCase = perRoot((r) => new ReadCalls({ calls: calls(r) }));
