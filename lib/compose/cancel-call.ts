import { CancelCall } from '../calls/cancel-call';
import { perRoot } from './root';
import { calls } from './shared';

/** DELETE /v1/calls/{callId}: cancels a scheduled or queued call. */
export const cancelCallUseCase = perRoot((r) => new CancelCall({ calls: calls(r) }));
