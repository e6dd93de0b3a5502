import { CancelCall } from '../calls/cancel-call';
import { perRoot } from './root';
import { calls } from './call-store';

/** DELETE /v1/calls/{callId}: cancels a scheduled or queued call. */
export const cancelCallUseCase = perRoot((r) => new CancelCall({ calls: calls(r) }));
